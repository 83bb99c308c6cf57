"""The dispute state machine, walked row by row against the table written out here, and the
closed states (decided, withdrawn, refused) refusing every move, in the table and through the service."""
import pytest

from bnpl.disputes import service, states
from bnpl.errors import Conflict, IllegalTransition
from tests.disputes.cases import MEDIATOR, act, consumer_of, open_case, shipped_invoice
from tests.disputes.support import decide, dispute, rejected, respond

CASES = ("open", "awaiting_merchant", "awaiting_consumer", "in_review", "awaiting_approval")
RUNNING = ("reopen_requested", *CASES)  # a second case after a decision waits to be admitted
EXPECTED = {
    ("reopen_requested", "admit"): "open",
    ("reopen_requested", "refuse"): "refused",
    ("open", "ask_merchant"): "awaiting_merchant",
    ("awaiting_merchant", "merchant_settles"): "decided",
    ("awaiting_merchant", "merchant_rejects"): "in_review",
    ("awaiting_merchant", "merchant_missed"): "in_review",
    ("awaiting_merchant", "decide_unanswered"): "decided",
    ("awaiting_merchant", "decide"): "decided",
    ("awaiting_merchant", "propose"): "awaiting_approval",
    ("in_review", "ask_merchant"): "awaiting_merchant",
    ("in_review", "ask_consumer"): "awaiting_consumer",
    ("in_review", "decide"): "decided",
    ("in_review", "propose"): "awaiting_approval",
    ("awaiting_consumer", "consumer_replies"): "in_review",
    ("awaiting_consumer", "consumer_missed"): "in_review",
    ("awaiting_consumer", "decide"): "decided",
    ("awaiting_consumer", "propose"): "awaiting_approval",
    ("awaiting_approval", "approve"): "decided",
    ("awaiting_approval", "send_back"): "in_review",
    **{(state, "withdraw"): "withdrawn" for state in CASES},
}
STATES = (*RUNNING, "decided", "withdrawn", "refused")
ACTIONS = sorted({action for _, action in EXPECTED})
ILLEGAL = [(state, action) for state in STATES for action in ACTIONS if (state, action) not in EXPECTED]


def test_the_table_is_exactly_the_expected_one():
    assert states.TRANSITIONS == EXPECTED
    assert set(states.STATES) == set(STATES)
    assert set(states.RUNNING) == set(RUNNING) and set(states.CLOSED) == {"decided", "withdrawn", "refused"}


@pytest.mark.parametrize("state, action", sorted(EXPECTED))
def test_every_row_of_the_table(state, action):
    assert states.DISPUTE.next(state, action) == EXPECTED[(state, action)]


@pytest.mark.parametrize("state, action", ILLEGAL)
def test_every_move_not_in_the_table_is_refused_in_plain_words(state, action):
    with pytest.raises(IllegalTransition) as refused:
        states.DISPUTE.next(state, action)
    detail = refused.value.detail
    assert refused.value.extra == {"state": state, "action": action}
    if state in ("decided", "withdrawn", "refused"):
        assert detail == f"This case is already {state}; nothing can change it any more."
    else:
        assert f"'{action}'" in detail and state.replace("_", " ") in detail and "_" not in detail.replace(action, "")


@pytest.mark.parametrize("state", ["decided", "withdrawn", "refused"])
def test_a_closed_state_accepts_no_action_at_all(state):
    for action in ACTIONS:
        with pytest.raises(IllegalTransition, match=f"already {state}"):
            states.DISPUTE.next(state, action)


def test_whose_move_it_is_follows_the_state():
    assert states.WAITING_FOR == {"reopen_requested": "mediator", "refused": None, "open": "mediator", "awaiting_merchant": "merchant",
                                  "awaiting_consumer": "consumer", "in_review": "mediator",
                                  "awaiting_approval": "mediator", "decided": None, "withdrawn": None}


# --- the same table, enforced on real cases ------------------------------------------------

@pytest.fixture
def running_case(api, services):
    invoice = shipped_invoice(api)
    return open_case(services, invoice["id"]), consumer_of(services, invoice["id"])


def test_opening_asks_the_merchant_at_once(api, running_case):
    case = dispute(api, running_case[0])
    assert (case["status"], case["waiting_for"]) == ("awaiting_merchant", "merchant")
    assert [entry["kind"] for entry in case["timeline"]] == ["opened", "merchant_asked"]


def test_a_mediator_cannot_ask_the_consumer_while_the_case_waits_for_the_merchant(api, services, running_case):
    with pytest.raises(IllegalTransition, match="'ask_consumer' is not possible while the case is awaiting merchant"):
        act(services, service.ask, dispute_id=running_case[0], actor=MEDIATOR, party="consumer",
            message="Can you send a photo of the box?")
    assert dispute(api, running_case[0])["status"] == "awaiting_merchant"


@pytest.mark.parametrize("closing", ["decided", "withdrawn"])
def test_a_closed_case_refuses_every_further_step(api, services, running_case, closing):
    dispute_id, consumer_id = running_case
    if closing == "decided":
        rejected(api, dispute_id)
        decide(services, dispute_id, "merchant")
    else:
        act(services, service.withdraw, consumer_id=consumer_id, dispute_id=dispute_id)
    before = dispute(api, dispute_id)
    assert before["status"] == closing

    attempts = {
        "decide": lambda: decide(services, dispute_id, "consumer"),
        "withdraw (mediator)": lambda: decide(services, dispute_id, "withdrawn"),
        "withdraw (consumer)": lambda: act(services, service.withdraw, consumer_id=consumer_id, dispute_id=dispute_id),
        "ask the merchant": lambda: act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR,
                                        party="merchant", message="Please send the tracking record."),
        "ask the consumer": lambda: act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR,
                                        party="consumer", message="Please send a photo."),
        "message both sides": lambda: act(services, service.post_message, dispute_id=dispute_id, actor=MEDIATOR,
                                          message="We are looking into it."),
        "consumer reply": lambda: act(services, service.consumer_reply, consumer_id=consumer_id,
                                      dispute_id=dispute_id, message="Here is more."),
        "approve": lambda: act(services, service.approve, dispute_id=dispute_id, actor=MEDIATOR),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Conflict):
            attempt()
            pytest.fail(f"{name} was accepted on a {closing} case")
    r = respond(api, dispute_id, "accept")
    assert r.status_code == 409 and closing in r.json["detail"], r.json
    assert dispute(api, dispute_id) == before  # nothing was added to the timeline either
