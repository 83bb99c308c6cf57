"""How the back office names a case's states, reasons, outcomes and timeline entries: words
for people, never the codes, in the page's language (Dutch or English: the ``staff`` catalogue,
bnpl/translations/nl/LC_MESSAGES/staff.po). Anything not listed here is shown as its code,
readable."""
from __future__ import annotations

from datetime import timedelta

from bnpl.i18n import N_
from bnpl.web.language import Refusals, gettext

STATUS = {
    "open": N_("Open"),
    "awaiting_merchant": N_("Waiting for the webshop"),
    "awaiting_consumer": N_("Waiting for the consumer"),
    "in_review": N_("In review"),
    "awaiting_approval": N_("Waiting for approval"),
    "decided": N_("Decided"),
    "withdrawn": N_("Withdrawn"),
    "reopen_requested": N_("Second case: waiting to be admitted"),
    "refused": N_("Not opened again: the earlier decision stands"),
}

REASON = {
    "not_received": N_("Not received"),
    "damaged": N_("Damaged"),
    "wrong_item": N_("Wrong item"),
    "not_as_described": N_("Not as described"),
    "return_not_processed": N_("Return not processed"),
    "empty_box": N_("Empty box"),
    "unauthorised": N_("Ordered by someone else (fraud)"),
    "other": N_("Other"),
}

OUTCOME = {
    "consumer": N_("For the consumer: credit the disputed amount"),
    "partial": N_("Partial credit"),
    "merchant": N_("For the webshop: the consumer pays"),
    "withdrawn": N_("Withdrawn"),
}

OUTCOME_SHORT = {"consumer": N_("For the consumer"), "partial": N_("Partial credit"),
                 "merchant": N_("For the webshop"), "withdrawn": N_("Withdrawn")}

PARTY = {"consumer": N_("Consumer"), "merchant": N_("Webshop"), "mediator": N_("Mediator"), "system": N_("System")}

ENTRY = {
    "opened": N_("Opened the case"),
    "merchant_asked": N_("Asked the webshop"),
    "consumer_asked": N_("Asked the consumer"),
    "merchant_responded": N_("The webshop answered"),
    "consumer_replied": N_("The consumer answered"),
    "note": N_("Internal note"),
    "mediator_message": N_("Message to both sides"),
    "decision_proposed": N_("Proposed a decision"),
    "decision_approved": N_("Approved the decision"),
    "decision_sent_back": N_("Sent the decision back"),
    "deadline_missed": N_("Deadline passed without an answer"),
    "decided": N_("Decision"),
    "withdrawn": N_("Withdrawn"),
    "reopen_requested": N_("Asked to open the case again, with new facts"),
    "reopen_admitted": N_("Opened the case again"),
    "reopen_refused": N_("Did not open the case again"),
}

PAID_WITH = {"bank_transfer": N_("bank transfer"), "direct_debit": N_("direct debit"), "ideal": N_("iDEAL"),
             "bancontact": N_("Bancontact"), "card": N_("credit card"), "refund": N_("refund")}

LINK = {"email": N_("e-mail address"), "phone": N_("phone number"), "address": N_("address"),
        "iban": N_("bank account (IBAN)")}


def word(table: dict[str, str], code: str | None) -> str:
    """The words for a code in the page's language; an unknown code readable as it is."""
    if code is None:
        return ""
    return gettext(table[code]) if code in table else code.replace("_", " ").capitalize()


def duration(span: timedelta | None) -> str:
    """Office time in hours and minutes: '10 h', '2 h 30 min'; a dash for none."""
    return "–" if span is None else hours_and_minutes(span)


def hours_and_minutes(span: timedelta) -> str:
    hours, rest = divmod(abs(int(span.total_seconds())) // 60, 60)
    parts = ([gettext("%(hours)s h") % {"hours": hours}] if hours else []) + (
        [gettext("%(minutes)s min") % {"minutes": rest}] if rest or not hours else [])
    return " ".join(parts)


# Reviews of credit decisions (the risk role).
REVIEW_OUTCOME = {
    "uphold": N_("Uphold: the decision stands"),
    "change": N_("Change: accept the order (a closed limit opens again)"),
}
REVIEW_STATUS = {"requested": N_("Waiting for a reviewer"), "upheld": N_("Upheld"),
                 "changed": N_("Changed: order accepted")}
CHANGE_STATE = {"pending": N_("waiting"), "approved": N_("approved"), "refused": N_("refused"),
                "superseded": N_("superseded")}  # a requested change of a webshop's settings, in a sentence
REVIEW_STATE = {"requested": N_("requested"), "upheld": N_("upheld"), "changed": N_("changed")}  # in a sentence
DECISION_OUTCOME = {"accepted": N_("Accepted"), "declined": N_("Declined"),
                    "verification_required": N_("Bank verification asked")}
LIMIT_STATUS = {"growing": N_("Growing"), "held": N_("Held after a late payment"), "closed": N_("Closed")}
LANGUAGE = {"nl": N_("Dutch"), "en": N_("English"), "de": N_("German")}
ROLE = {"mediator": N_("mediator"), "risk": N_("risk"), "support": N_("support"), "admin": N_("admin")}
CHANNEL = {"portal": N_("Portal"), "phone": N_("Phone"), "email": N_("E-mail")}
PROPOSAL = {"accept": N_("accepts the claim"), "reject": N_("rejects the claim"),
            "partial_credit": N_("offers a partial credit")}
ORDER_STATUS = {"accepted": N_("accepted"), "declined": N_("declined"),
                "verification_required": N_("waiting for bank verification"),
                "partially_shipped": N_("partially shipped"), "shipped": N_("shipped"), "cancelled": N_("cancelled")}
SETTING = {"order_limit_cents": N_("order limit"), "invoice_term_days": N_("invoice term (days)"),
           "transit_days": N_("transit days"), "payout_iban": N_("payout IBAN")}
LEGAL_DETAIL = {"legal_name": N_("the legal name"), "address": N_("the address"), "vat_number": N_("the VAT number")}


# --- stored values and who did what (the review's inputs, the audit log) -------------------

def value(stored) -> str:
    """A stored value as words: yes or no, 'not known' for none, a list joined; else as it is."""
    if stored is None:
        return gettext("not known")
    if isinstance(stored, bool):
        return gettext("yes") if stored else gettext("no")
    if isinstance(stored, (list, tuple)):
        return ", ".join(map(str, stored)) or gettext("none")
    return str(stored)


AUDIT_ACTION = {
    "merchant.created": N_("Webshop taken on"),
    "merchant.approved": N_("Webshop approved for live payments"),
    "merchant.updated": N_("Webshop details changed"),
    "merchant.settings_changed": N_("Settings changed"),
    "merchant.contact_changed": N_("Contact address changed"),
    "merchant.change_requested": N_("Change of settings asked for"),
    "merchant.change_approved": N_("Change of settings approved"),
    "merchant.change_refused": N_("Change of settings refused"),
    "api_key.created": N_("API key made"),
    "api_key.revoked": N_("API key revoked"),
    "staff.created": N_("Staff account made"),
    "staff.deactivated": N_("Staff account deactivated"),
    "staff.password_reset": N_("Password reset"),
    "staff.unlocked": N_("Staff account unlocked"),
    "consumer.erased": N_("Consumer's data erased"),
    "dunning_policy.changed": N_("Reminder policy changed"),
    "dunning_policy.reset": N_("Reminder policy reset"),
    "risk_policy.changed": N_("Acceptance policy changed"),
}

# Who acted, as the services write it in the audit log (bnpl.merchants.service.OPERATOR,
# acting_key; bnpl.staff.admin.actor; the demo's key), in the page's language.
actor = Refusals((N_("operator (command line)"), N_("staff %(name)s (%(email)s)"), N_("merchant key %(prefix)s…"),
                  N_("merchant key (demo)")))


# --- the services' refusals, in the page's language (bnpl.web.language.Refusals) -------------
# The services say their refusals with bnpl.i18n.said: the page translates those by their
# template. Listed here, to be matched by their English text, are only the sentences that come
# without one: a library's field checks, the error page's titles and texts.

SERVICE_MESSAGES = (
    # webshops taken on and their settings: what the field checks (a library's words) say
    N_("Not a valid email address."),
    N_("Not a valid EU VAT number (check the country prefix and digits)."),
    N_("Not an ISO 3166-1 alpha-2 country code, like NL or BE."),
    N_("Not a Dutch postcode; it looks like 1234 AB."),
    N_("A postal code is required."),
    N_("Missing data for required field."),
    N_("Longer than maximum length %(most)s."),
    N_("Length must be between %(least)s and %(most)s."),
    N_("Contains a control character; send plain text."),
    N_("Only an admin may do this"),
    # what went wrong, as the error page's title and text
    N_("Not found"), N_("Conflict"), N_("The request has invalid fields"), N_("Not possible in the current state"),
    N_("Bad request"), N_("Too many lookups"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
    N_("You don't have the permission to access the requested resource. It is either read-protected or not "
       "readable by the server."),
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    N_("The method is not allowed for the requested URL."),
)


def _shown(name: str, value: str) -> str:
    """A part of a refusal as the page shows it: a case's or a review's status, languages, in words."""
    if name == "review_state":
        return word(REVIEW_STATE, value)
    if name in ("change_state", "change_done"):
        return word(CHANGE_STATE, value)
    if name == "languages":  # "nl, en, de": the languages' names
        return ", ".join(word(LANGUAGE, code) for code in value.split(", "))
    return word(STATUS, value) if name == "status" else value


refusal = Refusals(SERVICE_MESSAGES, shown=_shown)  # a service's message in the page's language
