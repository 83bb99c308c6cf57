import pytest

from bnpl.errors import IllegalTransition
from bnpl.returns import states


def test_an_announced_return_can_be_received_once():
    assert states.TRANSITIONS == {("announced", "receive"): "received"}
    assert states.RETURN.next("announced", "receive") == "received"
    with pytest.raises(IllegalTransition, match="already received"):
        states.RETURN.next("received", "receive")
