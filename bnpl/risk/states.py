"""Two small lives as transition tables: the personal limit and a bank verification."""
from __future__ import annotations

from bnpl.i18n import said
from bnpl.risk.decision import CLOSED, GROWING, HELD
from bnpl.states import StateMachine

LIMIT_STATES = (GROWING, HELD, CLOSED)

# paid_on_time raises a growing limit a step; paid_late holds it (no growth for a while);
# hold_over lets it grow again; a hand-over or fraud closes it, and only a person (risk2's
# review) opens it again.
LIMIT_TRANSITIONS: dict[tuple[str, str], str] = {
    (GROWING, "paid_on_time"): GROWING,
    (GROWING, "paid_late"): HELD,
    (HELD, "paid_on_time"): HELD,
    (HELD, "paid_late"): HELD,
    (HELD, "hold_over"): GROWING,
    (GROWING, "handed_over"): CLOSED,
    (HELD, "handed_over"): CLOSED,
    (CLOSED, "handed_over"): CLOSED,
    (GROWING, "fraud"): CLOSED,
    (HELD, "fraud"): CLOSED,
    (CLOSED, "fraud"): CLOSED,
    (CLOSED, "paid_on_time"): CLOSED,
    (CLOSED, "paid_late"): CLOSED,
    (CLOSED, "reopened"): GROWING,
}

PENDING, VERIFIED, FAILED = "pending", "verified", "failed"
VERIFICATION_STATES = (PENDING, VERIFIED, FAILED)
VERIFICATION_TRANSITIONS: dict[tuple[str, str], str] = {
    (PENDING, "confirm"): VERIFIED,
    (PENDING, "fail"): FAILED,
}


LIMIT = StateMachine("limit", LIMIT_TRANSITIONS, states=LIMIT_STATES,
                     explain=lambda state, action, subject: f"A {state} limit cannot be {action}.")


VERIFICATION = StateMachine("verification", VERIFICATION_TRANSITIONS, states=VERIFICATION_STATES,
                            explain=lambda state, action, subject: f"This verification is already {state}.")


REQUESTED, UPHELD, CHANGED = "requested", "upheld", "changed"
REVIEW_STATES = (REQUESTED, UPHELD, CHANGED)
# A review ends once: the decision stands (upheld) or the person's limit is set anew (changed).
REVIEW_TRANSITIONS: dict[tuple[str, str], str] = {
    (REQUESTED, "uphold"): UPHELD,
    (REQUESTED, "change"): CHANGED,
}


REVIEW = StateMachine("review", REVIEW_TRANSITIONS, states=REVIEW_STATES,
                      explain=lambda state, action, subject: said("This review is already %(review_state)s.",
                                                                  review_state=state))
