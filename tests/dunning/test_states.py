"""A payment plan's table, walked row by row: only an active plan completes or ends."""
import pytest

from bnpl.dunning import states
from bnpl.errors import IllegalTransition

EXPECTED = {
    ("active", "complete"): "completed",
    ("active", "end"): "ended",
}
STATES = ("active", "completed", "ended")


def test_the_table_is_exactly_the_expected_one():
    assert states.PLAN.transitions == EXPECTED
    assert set(states.PLAN.states) == set(STATES)


@pytest.mark.parametrize("state, action", sorted(EXPECTED))
def test_every_row_moves(state, action):
    assert states.PLAN.next(state, action) == EXPECTED[(state, action)]


@pytest.mark.parametrize("state, action", [(s, a) for s in STATES for a in ("complete", "end")
                                           if (s, a) not in EXPECTED])
def test_a_finished_plan_moves_no_more(state, action):
    with pytest.raises(IllegalTransition, match=f"^Payment plan plan_1 is {state}; '{action}' is not possible.$"):
        states.PLAN.next(state, action, subject="Payment plan plan_1")
