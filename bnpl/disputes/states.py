"""A dispute's life as a transition table.

open ──ask_merchant──▶ awaiting_merchant ──respond(reject) / merchant_missed──▶ in_review
in_review ──ask_consumer──▶ awaiting_consumer ──consumer_replies / consumer_missed──▶ in_review
in_review ──propose (above the approval amount)──▶ awaiting_approval ──approve──▶ decided
A merchant's accept or partial credit, a mediator's decision, or a small case the merchant let
run out ends the case (decided); the consumer may withdraw while it runs.
A second case on an invoice after a decision starts as reopen_requested: it pauses nothing
until a mediator admits it (then open, as any case) or refuses it (refused, closed).
"""
from bnpl.i18n import said
from bnpl.states import StateMachine

OPEN, AWAITING_MERCHANT, AWAITING_CONSUMER = "open", "awaiting_merchant", "awaiting_consumer"
IN_REVIEW, AWAITING_APPROVAL, DECIDED, WITHDRAWN = "in_review", "awaiting_approval", "decided", "withdrawn"
REOPEN_REQUESTED, REFUSED = "reopen_requested", "refused"
STATES = (REOPEN_REQUESTED, OPEN, AWAITING_MERCHANT, AWAITING_CONSUMER, IN_REVIEW, AWAITING_APPROVAL, DECIDED,
          WITHDRAWN, REFUSED)
# A request to reopen runs (one at a time per invoice) but holds nothing: it is no case yet.
RUNNING = (REOPEN_REQUESTED, OPEN, AWAITING_MERCHANT, AWAITING_CONSUMER, IN_REVIEW, AWAITING_APPROVAL)
CASES = RUNNING[1:]  # running and admitted: these pause the invoice
CLOSED = (DECIDED, WITHDRAWN, REFUSED)

TRANSITIONS = {
    (REOPEN_REQUESTED, "admit"): OPEN,
    (REOPEN_REQUESTED, "refuse"): REFUSED,
    (OPEN, "ask_merchant"): AWAITING_MERCHANT,
    (AWAITING_MERCHANT, "merchant_settles"): DECIDED,         # accept or partial credit
    (AWAITING_MERCHANT, "merchant_rejects"): IN_REVIEW,
    (AWAITING_MERCHANT, "merchant_missed"): IN_REVIEW,         # escalated, the fact on the case
    (AWAITING_MERCHANT, "decide_unanswered"): DECIDED,        # small case: for the consumer
    (IN_REVIEW, "ask_merchant"): AWAITING_MERCHANT,
    (IN_REVIEW, "ask_consumer"): AWAITING_CONSUMER,
    (AWAITING_CONSUMER, "consumer_replies"): IN_REVIEW,
    (AWAITING_CONSUMER, "consumer_missed"): IN_REVIEW,
    (IN_REVIEW, "decide"): DECIDED,
    (IN_REVIEW, "propose"): AWAITING_APPROVAL,
    (AWAITING_APPROVAL, "approve"): DECIDED,
    (AWAITING_APPROVAL, "send_back"): IN_REVIEW,
    **{(state, "withdraw"): WITHDRAWN for state in CASES},
    # A mediator may decide at any point of a running case (e.g. the merchant admits by phone).
    **{(state, "decide"): DECIDED for state in (AWAITING_MERCHANT, AWAITING_CONSUMER)},
    **{(state, "propose"): AWAITING_APPROVAL for state in (AWAITING_MERCHANT, AWAITING_CONSUMER)},
}

# Whose move it is, shown to both sides in plain words.
WAITING_FOR = {REOPEN_REQUESTED: "mediator", REFUSED: None, OPEN: "mediator", AWAITING_MERCHANT: "merchant", AWAITING_CONSUMER: "consumer",
               IN_REVIEW: "mediator", AWAITING_APPROVAL: "mediator", DECIDED: None, WITHDRAWN: None}


def _explain(state: str, action: str, subject: str) -> str:
    if state in CLOSED:
        return said("This case is already %(status)s; nothing can change it any more.", status=state)
    return said("'%(action)s' is not possible while the case is %(state)s.", action=action,
                state=state.replace("_", " "))


DISPUTE = StateMachine("dispute", TRANSITIONS, states=STATES, explain=_explain)
