"""A question's life as a transition table.

waiting_for_us ──answer──▶ answered ──consumer_writes──▶ waiting_for_us
either ──close──▶ closed ──consumer_writes──▶ waiting_for_us (a closed question asked again)
"""
from bnpl.states import StateMachine

WAITING_FOR_US, ANSWERED, CLOSED = "waiting_for_us", "answered", "closed"
STATES = (WAITING_FOR_US, ANSWERED, CLOSED)

TRANSITIONS = {
    (WAITING_FOR_US, "answer"): ANSWERED,
    (WAITING_FOR_US, "consumer_writes"): WAITING_FOR_US,  # more before our answer: the promise stands
    (ANSWERED, "consumer_writes"): WAITING_FOR_US,
    (ANSWERED, "answer"): ANSWERED,  # a second answer, e.g. after looking something up
    (WAITING_FOR_US, "close"): CLOSED,
    (ANSWERED, "close"): CLOSED,
    (CLOSED, "consumer_writes"): WAITING_FOR_US,
}

THREAD = StateMachine("question", TRANSITIONS, states=STATES)
