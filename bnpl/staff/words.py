"""How the back office names a case's states, reasons, outcomes and timeline entries: words
for people, never the codes. Anything not listed here is shown as its code, readable."""
from __future__ import annotations

STATUS = {
    "open": "Open",
    "awaiting_merchant": "Waiting for the webshop",
    "awaiting_consumer": "Waiting for the consumer",
    "in_review": "In review",
    "awaiting_approval": "Waiting for approval",
    "decided": "Decided",
    "withdrawn": "Withdrawn",
    "reopen_requested": "Second case: waiting to be admitted",
    "refused": "Not opened again: the earlier decision stands",
}

REASON = {
    "not_received": "Not received",
    "damaged": "Damaged",
    "wrong_item": "Wrong item",
    "not_as_described": "Not as described",
    "return_not_processed": "Return not processed",
    "empty_box": "Empty box",
    "unauthorised": "Ordered by someone else (fraud)",
    "other": "Other",
}

OUTCOME = {
    "consumer": "For the consumer: credit the disputed amount",
    "partial": "Partial credit",
    "merchant": "For the webshop: the consumer pays",
    "withdrawn": "Withdrawn",
}

OUTCOME_SHORT = {"consumer": "For the consumer", "partial": "Partial credit", "merchant": "For the webshop",
                 "withdrawn": "Withdrawn"}

PARTY = {"consumer": "Consumer", "merchant": "Webshop", "mediator": "Mediator", "system": "System"}

ENTRY = {
    "opened": "Opened the case",
    "merchant_asked": "Asked the webshop",
    "consumer_asked": "Asked the consumer",
    "merchant_responded": "The webshop answered",
    "consumer_replied": "The consumer answered",
    "note": "Internal note",
    "mediator_message": "Message to both sides",
    "decision_proposed": "Proposed a decision",
    "decision_approved": "Approved the decision",
    "decision_sent_back": "Sent the decision back",
    "deadline_missed": "Deadline passed without an answer",
    "decided": "Decision",
    "withdrawn": "Withdrawn",
    "reopen_requested": "Asked to open the case again, with new facts",
    "reopen_admitted": "Opened the case again",
    "reopen_refused": "Did not open the case again",
}

LINK = {"email": "e-mail address", "phone": "phone number", "address": "address", "iban": "bank account (IBAN)"}


def word(table: dict[str, str], code: str | None) -> str:
    """The words for a code; an unknown code readable as it is."""
    if code is None:
        return ""
    return table.get(code) or code.replace("_", " ").capitalize()


# Reviews of credit decisions (the risk role).
REVIEW_OUTCOME = {
    "uphold": "Uphold: the decision stands",
    "change": "Change: accept the order (a closed limit opens again)",
}
REVIEW_STATUS = {"requested": "Waiting for a reviewer", "upheld": "Upheld", "changed": "Changed: order accepted"}
DECISION_OUTCOME = {"accepted": "Accepted", "declined": "Declined", "verification_required": "Bank verification asked"}
LIMIT_STATUS = {"growing": "Growing", "held": "Held after a late payment", "closed": "Closed"}
LANGUAGE = {"nl": "Dutch", "en": "English", "de": "German"}
