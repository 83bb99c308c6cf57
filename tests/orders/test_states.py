"""The order state machine, walked row by row."""
import pytest

from bnpl.errors import IllegalTransition
from bnpl.orders import states

ACTIONS = ("ship_part", "ship_rest", "cancel_part", "cancel_rest")


@pytest.mark.parametrize("move, target", sorted(states.TRANSITIONS.items()))
def test_every_allowed_move(move, target):
    state, action = move
    assert states.next_state(state, action) == target


ILLEGAL = [(s, a) for s in states.STATES for a in ACTIONS if (s, a) not in states.TRANSITIONS]


@pytest.mark.parametrize("state, action", ILLEGAL)
def test_every_other_move_raises(state, action):
    with pytest.raises(IllegalTransition):
        states.next_state(state, action)


def test_declined_cancelled_and_shipped_orders_accept_no_ship_or_cancel():
    assert {s for s, _ in ILLEGAL} == {states.DECLINED, states.CANCELLED, states.SHIPPED}
    assert len(ILLEGAL) == 3 * len(ACTIONS)


def test_a_shipped_order_tells_how_to_handle_returned_goods():
    with pytest.raises(IllegalTransition, match="return"):
        states.next_state(states.SHIPPED, "cancel_part")
