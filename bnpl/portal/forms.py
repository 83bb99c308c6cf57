"""The portal's HTML forms. Every form that changes something carries a CSRF token; the checks
here are only about the shape of the input, the rules live in the services. Labels and
messages are translated when the page is shown, into the reader's language."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, EmailField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from bnpl.portal import words
from bnpl.portal.words import lazy as _
from bnpl.web.language import TranslatedForm


class SmallIntegerField(IntegerField):
    """A whole number a person types: at most six digits (a longer one is not a quantity, and
    would overflow the range check)."""

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0].strip()) > 6:
            self.data = None
            raise ValueError(_("Choose a smaller number."))
        super().process_formdata(valuelist)


class PortalForm(TranslatedForm):
    """A form of the portal: labels and messages in the reader's language."""


def required():
    return InputRequired(message=_("Fill in this field."))


class ButtonForm(PortalForm):
    """A form that is only a button (sign out, sign in with this link, extend): the CSRF
    token is all it sends."""


class EraseForm(PortalForm):
    confirm = BooleanField(_("I understand: my data is erased and I am signed out everywhere."),
                           validators=[InputRequired(message=_("Tick the box to confirm."))])


class LinkForm(PortalForm):
    email = EmailField(_("E-mail address"), validators=[InputRequired(message=_("Fill in your e-mail address.")),
                                                         Length(max=254)],
                       render_kw={"autocomplete": "email", "inputmode": "email"})


class InvoiceSignInForm(PortalForm):
    number = StringField(_("Invoice number"), validators=[InputRequired(message=_("Fill in the invoice number.")),
                                                          Length(max=30)],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    postal_code = StringField(_("Postcode"), validators=[InputRequired(message=_("Fill in the postcode.")),
                                                         Length(max=20)],
                              render_kw={"autocomplete": "postal-code"})


class CheckoutForm(PortalForm):
    method = HiddenField()  # the button pressed names it


class MandateForm(PortalForm):
    account_holder = StringField(_("Name on the account"),
                                 validators=[InputRequired(message=_("Fill in the name on the account.")),
                                             Length(max=70)],
                                 render_kw={"autocomplete": "name"})
    iban = StringField(_("IBAN"), validators=[InputRequired(message=_("Fill in your IBAN.")), Length(max=42)],
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})


class _WithLines(PortalForm):
    """A form with a quantity for each line of the invoice (fields line_0, line_1, …)."""

    @classmethod
    def for_lines(cls, lines, **kwargs):
        fields = {f"line_{position}": SmallIntegerField(
            line.description, default=0,
            validators=[Optional(), NumberRange(min=0, max=line.quantity,
                                                message=_("Choose a number from %(min)s to %(max)s."))],
            render_kw={"min": 0, "max": line.quantity, "inputmode": "numeric"})
            for position, line in enumerate(lines)}
        return type(cls.__name__, (cls,), fields)(**kwargs)

    def line_fields(self):
        return [self[name] for name in self._fields if name.startswith("line_")]

    def chosen_lines(self, lines) -> list[tuple[str, int]]:
        """(order line reference, quantity) of every line with a quantity above 0."""
        return [(line.order_line_reference, field.data) for line, field in zip(lines, self.line_fields())
                if field.data]


class ReturnForm(_WithLines):
    carrier = StringField(_("Carrier (optional)"), validators=[Optional(), Length(max=100)])
    tracking_code = StringField(_("Tracking code (optional)"), validators=[Optional(), Length(max=100)],
                                render_kw={"spellcheck": "false"})


class PlanChoiceForm(PortalForm):
    """The number of instalments to preview: a GET, so no CSRF token."""

    class Meta:
        csrf = False

    instalments = SelectField(_("Number of monthly instalments"), coerce=int, default=3,
                              validators=[InputRequired(message=_("Choose a number of instalments."))])


class PlanForm(PortalForm):
    instalments = HiddenField(validators=[InputRequired()])


class DisputeForm(_WithLines):
    reason = SelectField(_("What went wrong?"), validators=[InputRequired(message=_("Choose what went wrong."))])
    description = TextAreaField(_("Tell us what happened"),
                                validators=[InputRequired(message=_("Tell us what happened.")), Length(max=5000)])
    contacted_merchant_on = DateField(_("The day you asked the webshop about it"), validators=[Optional()])
    new_facts = TextAreaField(_("What is new since the earlier decision"), validators=[Optional(), Length(max=5000)])
    evidence = MultipleFileField(_("Evidence (optional)"), render_kw={"accept": ".pdf,.jpg,.jpeg,.png,.webp"})


class QuestionForm(PortalForm):
    subject = StringField(_("Your question in a few words"),
                          validators=[InputRequired(message=_("Write your question in a few words.")), Length(max=200)])
    message = TextAreaField(_("Tell us more"), validators=[InputRequired(message=_("Write a message.")),
                                                         Length(max=5000)])
    checked = HiddenField()  # "1": the matching answers were shown and it is still to be sent


class ReplyQuestionForm(PortalForm):
    message = TextAreaField(_("Your message"), validators=[InputRequired(message=_("Write a message.")),
                                                           Length(max=5000)])


class ReplyForm(PortalForm):
    message = TextAreaField(_("Your message"), validators=[InputRequired(message=_("Write a message.")),
                                                           Length(max=5000)])
    evidence = MultipleFileField(_("Evidence (optional)"), render_kw={"accept": ".pdf,.jpg,.jpeg,.png,.webp"})


class AddressForm(PortalForm):
    street = StringField(_("Street"), validators=[required(), Length(max=200)],
                         render_kw={"autocomplete": "address-line1"})
    house_number = StringField(_("House number"), validators=[required(), Length(max=20)])
    postal_code = StringField(_("Postcode"), validators=[required(), Length(max=20)],
                              render_kw={"autocomplete": "postal-code"})
    city = StringField(_("Town or city"), validators=[required(), Length(max=100)],
                       render_kw={"autocomplete": "address-level2"})
    country = SelectField(_("Country"), validators=[required()], render_kw={"autocomplete": "country"})

    def address(self) -> dict:
        return {name: (self[name].data or "").strip() for name in ("street", "house_number", "postal_code", "city",
                                                                  "country")}


class ReviewForm(PortalForm):
    """A declined consumer asks a person to look at the decision again (CCD2)."""

    message = TextAreaField(_("What should we look at again?"),
                            validators=[InputRequired(message=_("Tell us what we should look at again.")),
                                        Length(max=2000)])
