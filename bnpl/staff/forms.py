"""The back office's HTML forms. Every FlaskForm carries a CSRF token; the checks here are
only about the shape of the input, the rules live in the services."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (DateField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, Optional

from bnpl.staff import words
from bnpl.staff.service import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[InputRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ButtonForm(FlaskForm):
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
            raise ValueError("Write the amount like 12.50.")
        self.data = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data // 100}.{self.data % 100:02d}"


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _message(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[InputRequired(), Length(max=5000)])


class NoteForm(FlaskForm):
    message = _message("Internal note")


class MessageForm(FlaskForm):
    message = _message("Message to the consumer and the webshop")


class AskForm(FlaskForm):
    party = RadioField("Ask", choices=_choices({"merchant": "The webshop", "consumer": "The consumer"}),
                       validators=[InputRequired()])
    message = _message("What do you need from them?")


class DecisionForm(FlaskForm):
    outcome = RadioField("Outcome", choices=_choices(words.OUTCOME), validators=[InputRequired()])
    amount = EuroAmountField("Amount to credit", validators=[Optional()])
    reasons = _message("Reasons")


class CallNoteForm(FlaskForm):
    message = _message("Note from this call (the consumer reads it with their questions in the portal)")


class AnswerForm(FlaskForm):
    message = _message("Your answer (the consumer reads it in the portal)")


class RefuseForm(FlaskForm):
    reasons = _message("Why the case is not opened again")


class SendBackForm(FlaskForm):
    message = _message("Why it goes back to review")


class CallerForm(FlaskForm):
    """Who is calling: one way to find them (invoice number, e-mail address or phone number) and
    a second fact they state."""

    invoice_number = StringField("Invoice number", validators=[Optional(), Length(max=30)],
                                 render_kw={"autocomplete": "off"})
    email = StringField("or their e-mail address", validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "off"})
    phone = StringField("or their phone number", validators=[Optional(), Length(max=30)],
                        render_kw={"autocomplete": "off"})
    postcode = StringField("Postcode the caller states", validators=[Optional(), Length(max=20)],
                           render_kw={"autocomplete": "off"})
    birth_date = DateField("or their birth date", validators=[Optional()])


class ChoiceForm(FlaskForm):
    invoice_id = HiddenField(validators=[InputRequired()])


class NewCaseForm(FlaskForm):
    """A case for a caller confirmed at the intake: the invoice is the intake's, never typed."""

    reason = SelectField("Reason", choices=_choices(words.REASON), validators=[InputRequired()])
    description = _message("What happened, in the consumer's words")
    contacted_merchant_on = DateField("Day the consumer asked the webshop", validators=[Optional()])
    evidence = MultipleFileField("Evidence (optional)")


class PeriodForm(FlaskForm):
    """The statistics' period, in the address: a GET, so no CSRF token."""

    class Meta:
        csrf = False

    since = DateField("From", validators=[Optional()])
    until = DateField("Up to and including", validators=[Optional()])


class ReviewDecisionForm(FlaskForm):
    """The answer to a consumer's request for a human review of a credit decision."""

    outcome = RadioField("Outcome", choices=_choices(words.REVIEW_OUTCOME), validators=[InputRequired()])
    limit = EuroAmountField("New personal limit (optional; only when you change the decision)",
                            validators=[Optional()])
    reasons = TextAreaField("Reasons (the consumer reads these in the portal; the webshop never sees them)",
                            validators=[InputRequired(), Length(max=4000)])


# --- the admin's pages --------------------------------------------------------------------

class ChangeDecisionForm(FlaskForm):
    """A decision on one requested change; prefixed with the change's id (one form per row)."""

    outcome = RadioField("Decision", choices=_choices({"approve": "Approve", "refuse": "Refuse"}),
                         validators=[InputRequired()])
    reason = TextAreaField("Reason (the webshop reads it; needed to refuse)", validators=[Length(max=2000)])


class OnboardingForm(FlaskForm):
    """A webshop taken on with its legal details; the rules are the merchants' (PATCH /merchant's)."""

    name = StringField("Shop name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Contact address (told of every change of its settings)", validators=[InputRequired(),
                                                                                            Length(max=254)])
    legal_name = StringField("Legal name", validators=[InputRequired(), Length(max=200)])
    street = StringField("Street", validators=[InputRequired(), Length(max=200)])
    house_number = StringField("House number", validators=[InputRequired(), Length(max=20)])
    postal_code = StringField("Postcode", validators=[InputRequired(), Length(max=20)])
    city = StringField("City", validators=[InputRequired(), Length(max=100)])
    country = StringField("Country (ISO code, e.g. NL)", default="NL", validators=[InputRequired(), Length(max=2)])
    vat_number = StringField("VAT number", validators=[InputRequired(), Length(max=20)])
    coc_number = StringField("Chamber of commerce number (optional)", validators=[Optional(), Length(max=20)])

    def identity(self) -> dict:
        address = {name: getattr(self, name).data for name in ("street", "house_number", "postal_code", "city",
                                                               "country")}
        return {"email": self.email.data, "legal_name": self.legal_name.data, "address": address,
                "vat_number": self.vat_number.data, "coc_number": self.coc_number.data or None}


class AccountForm(FlaskForm):
    email = EmailField("E-mail address", validators=[InputRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices=_choices({"mediator": "mediator (disputes)", "risk": "risk (credit reviews)",
                                                 "support": "support (calls and questions)",
                                                 "admin": "admin (everything, and these pages)"}),
                       validators=[InputRequired()])
