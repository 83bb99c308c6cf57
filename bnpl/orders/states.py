"""The order's life as a transition table. An action that is not in the table raises."""
from __future__ import annotations

from bnpl.states import StateMachine

ACCEPTED = "accepted"
DECLINED = "declined"
VERIFICATION_REQUIRED = "verification_required"  # waits for the consumer's bank identification
PARTIALLY_SHIPPED = "partially_shipped"
SHIPPED = "shipped"          # everything is shipped or (the unshipped rest) cancelled
CANCELLED = "cancelled"      # nothing was ever shipped and nothing remains: final

# "…_rest" means the action leaves no line with an open quantity.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ACCEPTED, "ship_part"): PARTIALLY_SHIPPED,
    (ACCEPTED, "ship_rest"): SHIPPED,
    (ACCEPTED, "cancel_part"): ACCEPTED,
    (ACCEPTED, "cancel_rest"): CANCELLED,
    (PARTIALLY_SHIPPED, "ship_part"): PARTIALLY_SHIPPED,
    (PARTIALLY_SHIPPED, "ship_rest"): SHIPPED,
    (PARTIALLY_SHIPPED, "cancel_part"): PARTIALLY_SHIPPED,
    (PARTIALLY_SHIPPED, "cancel_rest"): SHIPPED,
    # Nothing ships before the bank answered; the webshop may still cancel.
    (VERIFICATION_REQUIRED, "verified"): ACCEPTED,
    (VERIFICATION_REQUIRED, "not_verified"): DECLINED,
    (VERIFICATION_REQUIRED, "cancel_part"): VERIFICATION_REQUIRED,
    (VERIFICATION_REQUIRED, "cancel_rest"): CANCELLED,
    # A person at the provider reviewed the decline on the consumer's request (CCD2) and
    # changed it: the order may ship after all (or the webshop cancels it).
    (DECLINED, "accepted_on_review"): ACCEPTED,
}

STATES = (ACCEPTED, DECLINED, VERIFICATION_REQUIRED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED)

_HINTS = {
    DECLINED: "The order was declined; nothing can be shipped or cancelled.",
    VERIFICATION_REQUIRED: "The order waits for the consumer to identify through their bank (the decision's "
                           "verification_url); it can ship once it is accepted.",
    CANCELLED: "The order is cancelled; that is final.",
    SHIPPED: "Everything on this order is shipped or cancelled; register a return for goods that come back.",
}


def _explain(state: str, action: str, subject: str) -> str:
    return _HINTS.get(state, f"'{action}' is not possible for an order that is {state}.")


ORDER = StateMachine("order", TRANSITIONS, states=STATES, explain=_explain)
