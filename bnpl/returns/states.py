"""A return's life as a transition table."""
from bnpl.states import StateMachine

ANNOUNCED, RECEIVED = "announced", "received"

TRANSITIONS = {
    (ANNOUNCED, "receive"): RECEIVED,
}


def _explain(state: str, action: str, subject: str) -> str:
    if state == RECEIVED:
        return "This return was already received and credited."
    return f"'{action}' is not possible for a return that is {state}."


RETURN = StateMachine("return", TRANSITIONS, states=(ANNOUNCED, RECEIVED), explain=_explain)
