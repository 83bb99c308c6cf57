"""A return's life as a transition table."""
from bnpl.errors import IllegalTransition

ANNOUNCED, RECEIVED = "announced", "received"

TRANSITIONS = {
    (ANNOUNCED, "receive"): RECEIVED,
}


def next_state(state: str, action: str) -> str:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        detail = ("This return was already received and credited." if state == RECEIVED
                  else f"'{action}' is not possible for a return that is {state}.")
        raise IllegalTransition(detail, state=state, action=action) from None
