"""A payment plan's life as a transition table: active while it is kept; completed when the
invoice is paid or credited, ended when an instalment stays unpaid past its grace."""
from bnpl.states import StateMachine

PLAN_ACTIVE, PLAN_COMPLETED, PLAN_ENDED = "active", "completed", "ended"
PLAN_STATES = (PLAN_ACTIVE, PLAN_COMPLETED, PLAN_ENDED)

PLAN_TRANSITIONS = {
    (PLAN_ACTIVE, "complete"): PLAN_COMPLETED,
    (PLAN_ACTIVE, "end"): PLAN_ENDED,
}


PLAN = StateMachine("payment plan", PLAN_TRANSITIONS, states=PLAN_STATES)
