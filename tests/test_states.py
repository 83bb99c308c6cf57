"""The one transition-table helper every status uses (bnpl.states.StateMachine)."""
import pytest

from bnpl.errors import IllegalTransition
from bnpl.states import StateMachine

LAMP = StateMachine("lamp", {("off", "switch_on"): "on", ("on", "switch_off"): "off", ("on", "break"): "broken"},
                    states=("off", "on", "broken", "sold"))


def test_a_row_of_the_table_moves_to_its_target():
    assert LAMP.next("off", "switch_on") == "on"
    assert LAMP.next("on", "break") == "broken"


def test_a_pair_not_in_the_table_raises_a_409_naming_state_and_action():
    with pytest.raises(IllegalTransition) as refused:
        LAMP.next("broken", "switch_on")
    assert refused.value.status == 409 and refused.value.slug == "illegal-transition"
    assert refused.value.extra == {"state": "broken", "action": "switch_on"}
    assert refused.value.detail == "This lamp is broken; 'switch_on' is not possible."


def test_the_refusal_names_the_subject_it_is_given():
    with pytest.raises(IllegalTransition, match="^Lamp 7 is off; 'break' is not possible.$"):
        LAMP.next("off", "break", subject="Lamp 7")


def test_a_feature_words_its_own_refusal():
    strict = StateMachine("door", {("shut", "open"): "open"},
                          explain=lambda state, action, subject: f"{subject} {state}/{action}")
    with pytest.raises(IllegalTransition, match="^Door 1 open/open$"):
        strict.next("open", "open", subject="Door 1")


def test_states_and_actions_are_read_from_the_table_and_the_given_states():
    assert LAMP.states == ("off", "on", "broken", "sold")  # "sold" has no row but is a state
    assert LAMP.actions == ("switch_on", "switch_off", "break")
    assert StateMachine("x", {("a", "go"): "b"}).states == ("a", "b")


def test_what_each_state_allows():
    assert LAMP.actions_from("on") == {"switch_off", "break"}
    assert LAMP.actions_from("broken") == frozenset()
    assert LAMP.allows("off", "switch_on") and not LAMP.allows("off", "switch_off")
