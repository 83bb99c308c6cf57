"""An outbox message's life: pending until delivered, dropped by the gate, or dead after
the last retry (dead ones can be queued again by an operator)."""
from bnpl.states import StateMachine

PENDING, DELIVERED, DROPPED, DEAD = "pending", "delivered", "dropped", "dead"

TRANSITIONS = {
    (PENDING, "deliver"): DELIVERED,
    (PENDING, "drop"): DROPPED,
    (PENDING, "retry"): PENDING,
    (PENDING, "give_up"): DEAD,
    (DEAD, "requeue"): PENDING,
}


def _explain(state: str, action: str, subject: str) -> str:
    return f"A {state} message cannot {action.replace('_', ' ')}."


MESSAGE = StateMachine("message", TRANSITIONS, states=(PENDING, DELIVERED, DROPPED, DEAD), explain=_explain)
