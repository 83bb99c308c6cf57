"""The order's life as a transition table. An action that is not in the table raises."""
from __future__ import annotations

from bnpl.errors import IllegalTransition

ACCEPTED = "accepted"
DECLINED = "declined"
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
}

STATES = (ACCEPTED, DECLINED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED)

_HINTS = {
    DECLINED: "The order was declined; nothing can be shipped or cancelled.",
    CANCELLED: "The order is cancelled; that is final.",
    SHIPPED: "Everything on this order is shipped or cancelled; register a return for goods that come back.",
}


def next_state(state: str, action: str) -> str:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(
            _HINTS.get(state, f"'{action}' is not possible for an order that is {state}."),
            state=state, action=action,
        ) from None
