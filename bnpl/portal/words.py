"""The portal's words: the reader's language, translations that wait for it (form labels are
made before any request), the labels of codes, and the services' refusals in plain words.

A service says why it refused in English (an API caller reads it as it is). The portal shows
the same sentence in the reader's language: ``refusal()`` matches it against the templates
marked below, whose ``%(name)s`` stand for the parts that vary, and fills the translated
template with those parts. A sentence without a template here is shown as the service wrote it.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from bnpl import i18n
from bnpl.i18n import N_
from bnpl.web.language import LazyText, Refusals, gettext, language, lazy, ngettext  # noqa: F401  (the portal's words)

LANGUAGES = ("nl", "en", "de")
DEFAULT_LANGUAGE = "nl"  # the provider is Dutch: whoever's browser names none of ours reads Dutch
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "de": "Deutsch"}


# --- formatting in the reader's language ------------------------------------------------------

def money(cents: int | None, currency: str = "EUR") -> str:
    return "" if cents is None else i18n.format_money(cents, currency, language())


def day(value: date | str | None) -> str:
    if not value:
        return ""
    return i18n.format_date(date.fromisoformat(value) if isinstance(value, str) else value, language())


def moment(instant, timezone: str) -> str:
    return "" if instant is None else i18n.format_datetime(instant, language(), timezone)


def when(value, timezone: str) -> str:
    """A moment (a datetime) on the business clock, or a calendar day (either as ISO text too)."""
    if isinstance(value, str) and "T" in value:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return moment(value, timezone)
    return day(value)


def percent(rate_bp: int) -> str:
    return i18n.format_percent(rate_bp, language())


def in_fours(code: str | None) -> str:
    """An IBAN or payment reference the way people read it off: NL91 ABNA 0417 1643 00."""
    code = "".join((code or "").split())
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


# --- labels of codes ------------------------------------------------------------------------

METHODS = {"ideal": N_("iDEAL"), "bancontact": N_("Bancontact"), "card": N_("Credit card")}
PAID_WITH = {**METHODS, "bank_transfer": N_("bank transfer"), "direct_debit": N_("direct debit"),
             "refund": N_("refund")}

DISPUTE_REASONS = {
    "not_received": N_("I did not receive the order"),
    "damaged": N_("It arrived damaged"),
    "wrong_item": N_("I received something else than I ordered"),
    "not_as_described": N_("It is not as described"),
    "return_not_processed": N_("I sent it back but the return was not processed"),
    "empty_box": N_("The box was empty"),
    "unauthorised": N_("I did not place this order (someone used my details)"),
    "other": N_("Something else"),
}

COUNTRIES = ("NL", "BE", "DE", "AT", "LU", "FR")  # offered first; any ISO code may be typed


def label(table: dict[str, str], code: str | None) -> str:
    """The translated label of a code; an unknown code readable as it is."""
    if code is None:
        return ""
    return gettext(table[code]) if code in table else code.replace("_", " ")


# --- the services' refusals, in the reader's language ---------------------------------------

SERVICE_MESSAGES = (
    # signing in
    N_("Enter the e-mail address your invoices were sent to."),
    N_("This sign-in link is used or expired. Ask for a new one; it arrives in a minute."),
    N_("This invoice number and postcode do not belong together. Check both on the invoice."),
    N_("Too many attempts. Please try again in %(minutes)s minutes."),
    N_("Too many attempts. Please try again in %(minutes)s minutes, or ask for a sign-in link by e-mail."),
    N_("For this, sign in with the link we e-mail you: an invoice number and postcode only open that one invoice."),
    # seeing
    N_("There is no such invoice in your purchases."),
    N_("There is no such case in your purchases."),
    N_("There is no such credit note on this invoice."),
    # returns and disputes
    N_("At most %(free)s of %(reference)s can still be returned from this invoice."),
    N_("Between 1 and %(left)s (not yet credited)."),
    N_("Line %(reference)s was already credited in full."),
    # paying
    N_("The name on the account."),
    N_("Not a valid IBAN: %(reason)s"),
    N_("No BIC is known for this bank; direct debit needs one."),
    N_("Invoice %(number)s is %(status)s: there is nothing to collect."),
    N_("Invoice %(number)s is %(status)s with a balance of 0; there is nothing to pay."),
    # returns and extensions
    N_("Choose what you sent back, and how many."),
    N_("Choose lines of this invoice."),
    N_("Line %(line)s: asked to return %(asked)s, but only %(left)s can still be returned (%(shipped)s shipped, "
       "%(returned)s already returned or announced)."),
    N_("Extensions are not offered."),
    N_("Invoice %(number)s was already extended once."),
    N_("Invoice %(number)s is on hold: nothing is due while it is."),
    N_("The due date of invoice %(number)s has passed; an extension must be asked before it. "
       "A payment plan may help instead."),
    N_("Invoice %(number)s is %(status)s: there is nothing left to pay."),
    # payment plans
    N_("Invoice %(id)s is %(status)s: nothing is left to pay in instalments."),
    N_("Invoice %(id)s already has an active payment plan %(plan)s."),
    N_("Invoice %(id)s is paused (%(pause)s); a payment plan can start once that pause ends."),
    N_("A plan has %(least)s to %(most)s monthly instalments."),
    N_("A balance of %(cents)s cents cannot be split into %(count)s instalments."),
    # disputes
    N_("Tell us in a sentence or two what went wrong (at least 10 characters)."),
    N_("Tell us the day you asked the webshop about this."),
    N_("This day is in the future."),
    N_("Invoice %(number)s is fully credited: there is nothing left to dispute."),
    N_("Please give the webshop until %(date)s to answer you (%(days)s working days from the day you asked). "
       "If they have not solved it by then, open a case here."),
    N_("There is already a case about invoice %(number)s (%(case)s); add to that one instead."),
    N_("Between 1 and %(most)s."),
    N_("This case is already %(status)s; nothing can be added."),
    N_("This case is already %(status)s; nothing can change it any more."),
    N_("The deadline to answer was %(deadline)s; the case went to a mediator."),
    N_("Write a message."),
    N_("At most %(most)s files at a time; you sent %(sent)s."),
    N_("%(file)s: the file is empty."),
    N_("%(file)s: the file is larger than the limit of %(size)s."),
    N_("%(file)s: the PDF is cut off or damaged."),
    N_("%(file)s: this is not a file we accept; send a PDF, JPEG, PNG or WebP."),
    N_("%(file)s: this is a %(kind)s image; send a PDF, JPEG, PNG or WebP."),
    # reviews of a declined order (bnpl/risk)
    N_("There is no such decision in your purchases."),
    N_("A review of this decision was already asked for."),
    N_("This decision accepted the order; there is nothing to review."),
    N_("Say what we should look at again."),
    # the billing address
    N_("You have no invoices left to pay, so there is no address to change."),
    N_("Choose at least one invoice the new address is for."),
    N_("Missing data for required field."),
    N_("Not an ISO 3166-1 alpha-2 country code, like NL or BE."),
    N_("Not a Dutch postcode; it looks like 1234 AB."),
    N_("A postal code is required."),
    N_("Length must be between %(least)s and %(most)s."),
    # erasing your data (bnpl/privacy): why it must wait, what is kept
    N_("invoice %(number)s at %(shop)s has %(amount)s open"),
    N_("the dispute about invoice %(number)s is still running"),
    N_("a refund of %(amount)s is still owed to this person"),
    N_("a fraud case is recorded against this person (legal hold)"),
    N_("Invoices %(numbers)s, their credit notes and payments are kept for fiscal retention until %(date)s, "
       "naming only whom they were issued to and where"),
)

INVOICE_STATUSES = {"open": N_("open"), "paused": N_("on hold"), "paid": N_("paid"), "credited": N_("credited")}
CASE_STATUSES = {"decided": N_("decided"), "withdrawn": N_("withdrawn")}
PAUSES = {"return": N_("a return"), "dispute": N_("a dispute"), "payment_plan": N_("a payment plan")}


def _shown(name: str, value: str) -> str:
    """A part of a refusal as the reader should see it (a date in their words, a code as a word)."""
    if name in ("date", "deadline") and re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value):
        return day(value[:10])
    if name == "status":
        return label({**INVOICE_STATUSES, **CASE_STATUSES}, value)
    if name == "pause":
        return label(PAUSES, value)
    amount = re.fullmatch(r"([A-Z]{3}) (-?\d+)\.(\d{2})", value) if name == "amount" else None
    if amount:  # Money.format(): "EUR 19.99", as the reader writes money
        return money(int(amount[2] + amount[3]), amount[1])
    return value


refusal = Refusals(SERVICE_MESSAGES, shown=_shown)  # a service's message in the reader's language
