"""The order state machine, walked row by row against the table written out here."""
import pytest

from bnpl.errors import IllegalTransition
from bnpl.orders import states

EXPECTED = {
    ("accepted", "ship_part"): "partially_shipped",
    ("accepted", "ship_rest"): "shipped",
    ("accepted", "cancel_part"): "accepted",
    ("accepted", "cancel_rest"): "cancelled",
    ("partially_shipped", "ship_part"): "partially_shipped",
    ("partially_shipped", "ship_rest"): "shipped",
    ("partially_shipped", "cancel_part"): "partially_shipped",
    ("partially_shipped", "cancel_rest"): "shipped",
    ("verification_required", "verified"): "accepted",
    ("verification_required", "not_verified"): "declined",
    ("verification_required", "cancel_part"): "verification_required",
    ("verification_required", "cancel_rest"): "cancelled",
    ("declined", "accepted_on_review"): "accepted",
}
STATES = ("accepted", "declined", "verification_required", "partially_shipped", "shipped", "cancelled")
ACTIONS = ("ship_part", "ship_rest", "cancel_part", "cancel_rest", "verified", "not_verified", "accepted_on_review")


def test_the_table_is_exactly_the_expected_one():
    assert states.TRANSITIONS == EXPECTED
    assert set(states.STATES) == set(STATES)


@pytest.mark.parametrize("state, action", [(s, a) for s in STATES for a in ACTIONS])
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert states.ORDER.next(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            states.ORDER.next(state, action)


def test_a_shipped_order_tells_how_to_handle_returned_goods():
    with pytest.raises(IllegalTransition, match="return"):
        states.ORDER.next("shipped", "cancel_part")


def test_an_order_waiting_for_verification_cannot_ship_and_says_why():
    with pytest.raises(IllegalTransition, match="identify through their bank"):
        states.ORDER.next("verification_required", "ship_part")
