"""The back office's HTML forms. Every form carries a CSRF token; the checks here are
only about the shape of the input, the rules live in the services. Labels and messages are
translated when the page is shown, into its language."""
from __future__ import annotations

import re

from flask_wtf.file import MultipleFileField
from wtforms import (DateField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from bnpl.fields import FIRST_DAY, LAST_DAY
from bnpl.i18n import LANGUAGES, N_
from bnpl.staff import words
from bnpl.staff.service import MAX_PASSWORD_LENGTH
from bnpl.web.language import TranslatedForm, lazy as _


class LoginForm(TranslatedForm):
    email = EmailField(_("E-mail address"), validators=[InputRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_("Password"), validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ButtonForm(TranslatedForm):
    """A form that is only a button (sign out, approve): the CSRF token is all it sends."""


class EuroAmountField(StringField):
    """An amount typed as 12,50 or 12.50, read as integer cents: money is never a float."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip().replace(" ", "")
        if not raw:
            return
        match = re.fullmatch(r"(\d{1,9})(?:[.,](\d{1,2}))?", raw)
        if match is None:
            raise ValueError(_("Write the amount like 12.50."))
        self.data = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data // 100}.{self.data % 100:02d}"


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, _(label)) for value, label in labels.items()]


def _message(label) -> TextAreaField:
    return TextAreaField(label, validators=[InputRequired(), Length(max=5000)])


class NoteForm(TranslatedForm):
    message = _message(_("Internal note"))


class MessageForm(TranslatedForm):
    message = _message(_("Message to the consumer and the webshop"))


class AskForm(TranslatedForm):
    party = RadioField(_("Ask"), choices=_choices({"merchant": N_("The webshop"), "consumer": N_("The consumer")}),
                       validators=[InputRequired()])
    message = _message(_("What do you need from them?"))


class DecisionForm(TranslatedForm):
    outcome = RadioField(_("Outcome"), choices=_choices(words.OUTCOME), validators=[InputRequired()])
    amount = EuroAmountField(_("Amount to credit"), validators=[Optional()])
    reasons = _message(_("Reasons"))


class CallNoteForm(TranslatedForm):
    message = _message(_("Note from this call (the consumer reads it with their questions in the portal)"))


class AnswerForm(TranslatedForm):
    message = _message(_("Your answer (the consumer reads it in the portal)"))


class RefuseForm(TranslatedForm):
    reasons = _message(_("Why the case is not opened again"))


class SendBackForm(TranslatedForm):
    message = _message(_("Why it goes back to review"))


class CallerForm(TranslatedForm):
    """Who is calling: one way to find them (invoice number, e-mail address or phone number) and
    a second fact they state."""

    invoice_number = StringField(_("Invoice number"), validators=[Optional(), Length(max=30)],
                                 render_kw={"autocomplete": "off"})
    email = StringField(_("or their e-mail address"), validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "off"})
    phone = StringField(_("or their phone number"), validators=[Optional(), Length(max=30)],
                        render_kw={"autocomplete": "off"})
    postcode = StringField(_("Postcode the caller states"), validators=[Optional(), Length(max=20)],
                           render_kw={"autocomplete": "off"})
    birth_date = DateField(_("or their birth date"), validators=[Optional()])


class ChoiceForm(TranslatedForm):
    invoice_id = HiddenField(validators=[InputRequired()])


class NewCaseForm(TranslatedForm):
    """A case for a caller confirmed at the intake: the invoice is the intake's, never typed."""

    reason = SelectField(_("Reason"), choices=_choices(words.REASON), validators=[InputRequired()])
    description = _message(_("What happened, in the consumer's words"))
    contacted_merchant_on = DateField(_("Day the consumer asked the webshop"), validators=[Optional()])
    evidence = MultipleFileField(_("Evidence (optional)"))


def _plausible_day(form, field) -> None:
    """A year typed wrong (0001, 9999) is told at its field, not carried into date arithmetic."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_("A day from 2000 to 2999."))


class PeriodForm(TranslatedForm):
    """The statistics' period, in the address: a GET, so no CSRF token."""

    class Meta:
        csrf = False

    since = DateField(_("From"), validators=[Optional(), _plausible_day])
    until = DateField(_("Up to and including"), validators=[Optional(), _plausible_day])


class ReviewDecisionForm(TranslatedForm):
    """The answer to a consumer's request for a human review of a credit decision."""

    outcome = RadioField(_("Outcome"), choices=_choices(words.REVIEW_OUTCOME), validators=[InputRequired()])
    limit = EuroAmountField(_("New personal limit (optional; only when you change the decision)"),
                            validators=[Optional()])
    reasons = TextAreaField(_("Reasons (the consumer reads these in the portal; the webshop never sees them)"),
                            validators=[InputRequired(), Length(max=4000)])


# --- the admin's pages --------------------------------------------------------------------

class ChangeDecisionForm(TranslatedForm):
    """A decision on one requested change; prefixed with the change's id (one form per row)."""

    outcome = RadioField(_("Decision"), choices=_choices({"approve": N_("Approve"), "refuse": N_("Refuse")}),
                         validators=[InputRequired()])
    reason = TextAreaField(_("Reason (the webshop reads it; needed to refuse)"), validators=[Length(max=2000)])


class OnboardingForm(TranslatedForm):
    """A webshop taken on with its legal details; the rules are the merchants' (PATCH /merchant's)."""

    name = StringField(_("Shop name"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_("Contact address (told of every change of its settings)"), validators=[InputRequired(),
                                                                                            Length(max=254)])
    # Which languages we write in is the merchants' rule (merchants.service.mail_language): the
    # form does not refuse an unknown value itself, the service's reason is shown at the field.
    language = SelectField(_("Language of our mails to that address"),
                           choices=_choices({code: words.LANGUAGE[code] for code in LANGUAGES}),
                           validators=[Optional()], validate_choice=False)
    legal_name = StringField(_("Legal name"), validators=[InputRequired(), Length(max=200)])
    street = StringField(_("Street"), validators=[InputRequired(), Length(max=200)])
    house_number = StringField(_("House number"), validators=[InputRequired(), Length(max=20)])
    postal_code = StringField(_("Postcode"), validators=[InputRequired(), Length(max=20)])
    city = StringField(_("City"), validators=[InputRequired(), Length(max=100)])
    country = StringField(_("Country (ISO code, e.g. NL)"), default="NL", validators=[InputRequired(), Length(max=2)])
    vat_number = StringField(_("VAT number"), validators=[InputRequired(), Length(max=20)])
    coc_number = StringField(_("Chamber of commerce number (optional)"), validators=[Optional(), Length(max=20)])

    def identity(self) -> dict:
        address = {name: getattr(self, name).data for name in ("street", "house_number", "postal_code", "city",
                                                               "country")}
        return {"email": self.email.data, "legal_name": self.legal_name.data, "address": address,
                "vat_number": self.vat_number.data, "coc_number": self.coc_number.data or None}


class AccountForm(TranslatedForm):
    email = EmailField(_("E-mail address"), validators=[InputRequired(), Length(max=254)])
    name = StringField(_("Name"), validators=[Optional(), Length(max=100)])
    role = SelectField(_("Role"), choices=_choices({"mediator": N_("mediator (disputes)"),
                                                    "risk": N_("risk (credit reviews)"),
                                                    "support": N_("support (calls and questions)"),
                                                    "admin": N_("admin (everything, and these pages)")}),
                       validators=[InputRequired()])
