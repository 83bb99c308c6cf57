"""A question's states, walked row by row against the table written out here."""
import pytest

from bnpl.errors import IllegalTransition
from bnpl.support import states

EXPECTED = {
    ("waiting_for_us", "answer"): "answered",
    ("waiting_for_us", "consumer_writes"): "waiting_for_us",
    ("answered", "consumer_writes"): "waiting_for_us",
    ("answered", "answer"): "answered",
    ("waiting_for_us", "close"): "closed",
    ("answered", "close"): "closed",
    ("closed", "consumer_writes"): "waiting_for_us",
}
ILLEGAL = [(state, action) for state in ("waiting_for_us", "answered", "closed")
           for action in ("answer", "consumer_writes", "close") if (state, action) not in EXPECTED]


def test_the_table_is_exactly_the_expected_one():
    assert states.TRANSITIONS == EXPECTED


@pytest.mark.parametrize("state, action", sorted(EXPECTED))
def test_every_row_of_the_table(state, action):
    assert states.THREAD.next(state, action) == EXPECTED[(state, action)]


@pytest.mark.parametrize("state, action", ILLEGAL)
def test_a_closed_question_is_neither_answered_nor_closed_again(state, action):
    with pytest.raises(IllegalTransition):
        states.THREAD.next(state, action)
