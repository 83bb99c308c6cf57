"""Questions passed to the webshop (GET/POST /api/v1/conversations...): a webshop sees only the
questions about its own orders that staff passed to it, in its own mode; its answer lands in
the consumer's thread and counts for the promise like ours."""
import pytest

from bnpl.support import service
from tests import factories
from tests.disputes.cases import act
from tests.disputes.support import outbox
from tests.payments.flows import ship
from tests.support.threads import STAFF, ask_about


@pytest.fixture
def passed(services, api):
    invoice = ship(api)
    thread = ask_about(services, invoice, subject="Wrong size delivered", message="I ordered size 42 and got 40.")
    act(services, service.pass_to_merchant, thread_id=thread.id, **STAFF)
    return thread.id


def test_a_passed_question_is_listed_and_read_by_its_webshop(api, passed):
    r = api.get("/conversations")
    assert r.status_code == 200 and [item["id"] for item in r.json["items"]] == [passed]
    conversation = api.get(f"/conversations/{passed}").json
    assert conversation["subject"] == "Wrong size delivered" and conversation["answer_by"]
    assert conversation["messages"][0] == {"at": conversation["messages"][0]["at"], "from": "consumer",
                                           "text": "I ordered size 42 and got 40."}


def test_another_webshop_sees_nothing_of_it(other_api, passed):
    assert other_api.get("/conversations").json["items"] == []
    assert other_api.get(f"/conversations/{passed}").status_code == 404
    r = other_api.post(f"/conversations/{passed}/messages", json={"message": "Not ours."})
    assert r.status_code == 404


def test_a_question_not_passed_is_not_the_webshops(services, api):
    invoice = ship(api, consumer=factories.consumer(email="pieter@example.nl", name="Pieter Bakker"))
    thread = ask_about(services, invoice, subject="Can I pay later?", message="A question for you, not the shop.")
    assert api.get("/conversations").json["items"] == []
    assert api.get(f"/conversations/{thread.id}").status_code == 404


def test_the_webshops_answer_lands_in_the_thread_and_keeps_the_promise(services, api, passed):
    r = api.post(f"/conversations/{passed}/messages", json={"message": "Sorry! Size 42 is on its way."})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "answered" and r.json["messages"][-1]["from"] == "merchant"
    last = act(services, service.thread_page, thread_id=passed).thread.messages[-1]
    assert (last.party, last.author, last.kept) == ("merchant", "Fietsenwinkel Utrecht", True)
    assert [m for m in outbox(services) if m.kind == "support_answer"]  # the consumer hears of it


def test_passing_tells_the_webshop_by_webhook_event(api, passed):
    assert "conversation.passed" in [event["type"] for event in api.get("/events").json["items"]]


def test_a_general_question_cannot_be_passed(services, api):
    invoice = ship(api)
    thread = ask_about(services, invoice, subject="General", message="How does paying later work?", general=True)
    from bnpl.errors import Conflict
    with pytest.raises(Conflict):
        act(services, service.pass_to_merchant, thread_id=thread.id, **STAFF)
