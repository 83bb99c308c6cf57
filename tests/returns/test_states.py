import pytest

from bnpl.errors import IllegalTransition
from bnpl.returns import states


def test_an_announced_return_can_be_received_once():
    assert states.TRANSITIONS == {("announced", "receive"): "received"}
    assert states.next_state("announced", "receive") == "received"
    with pytest.raises(IllegalTransition, match="already received"):
        states.next_state("received", "receive")
