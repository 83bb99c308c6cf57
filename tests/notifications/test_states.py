"""An outbox message's table, walked row by row."""
import pytest

from bnpl.errors import IllegalTransition
from bnpl.notifications import states

EXPECTED = {
    ("pending", "deliver"): "delivered",
    ("pending", "drop"): "dropped",
    ("pending", "retry"): "pending",
    ("pending", "give_up"): "dead",
    ("dead", "requeue"): "pending",
}
STATES = ("pending", "delivered", "dropped", "dead")
ACTIONS = ("deliver", "drop", "retry", "give_up", "requeue")


def test_the_table_is_exactly_the_expected_one():
    assert states.MESSAGE.transitions == EXPECTED
    assert set(states.MESSAGE.states) == set(STATES)


@pytest.mark.parametrize("state, action", [(s, a) for s in STATES for a in ACTIONS])
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert states.MESSAGE.next(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition, match=f"^A {state} message cannot {action.replace('_', ' ')}.$"):
            states.MESSAGE.next(state, action)
