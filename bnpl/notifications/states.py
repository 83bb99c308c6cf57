"""An outbox message's life: pending until delivered, dropped by the gate, or dead after
the last retry (dead ones can be queued again by an operator)."""
from bnpl.errors import IllegalTransition

PENDING, DELIVERED, DROPPED, DEAD = "pending", "delivered", "dropped", "dead"

TRANSITIONS = {
    (PENDING, "deliver"): DELIVERED,
    (PENDING, "drop"): DROPPED,
    (PENDING, "retry"): PENDING,
    (PENDING, "give_up"): DEAD,
    (DEAD, "requeue"): PENDING,
}


def next_state(state: str, action: str) -> str:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(f"A {state} message cannot {action.replace('_', ' ')}.") from None
