"""The portal's words: the reader's language, translations that wait for it (form labels are
made before any request), the labels of codes, and the services' refusals in plain words.

A service says why it refused in English (an API caller reads it as it is). The portal shows
the same sentence in the reader's language: ``refusal()`` translates a sentence the service made
with ``bnpl.i18n.said`` by its template and fills in its parts; a sentence without one (a
library's) is matched against the templates marked below, whose ``%(name)s`` stand for the parts
that vary. A sentence with neither is shown as the service wrote it.
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
    # the billing address: what the field checks (a library's words) say
    N_("Missing data for required field."),
    N_("Not an ISO 3166-1 alpha-2 country code, like NL or BE."),
    N_("Not a Dutch postcode; it looks like 1234 AB."),
    N_("A postal code is required."),
    N_("Length must be between %(least)s and %(most)s."),
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
