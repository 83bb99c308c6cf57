"""A second case on lines of an invoice whose earlier case about them was decided: it needs facts that are new since
the decision, and it pauses nothing (no reminders held back, the webshop not asked) until a
mediator admits it; refused, it ends with the mediator's reasons and the invoice runs on."""
import pytest

from bnpl.disputes import service
from bnpl.errors import InvalidInput
from tests import factories
from tests.disputes.cases import ASKED_SHOP_ON, MEDIATOR, act, consumer_of, open_case, shipped_invoice
from tests.disputes.support import decide, dispute, entries, invoice, outbox, rejected
from tests.outbox import deliver_outbox

NEW_FACTS = "The carrier wrote on 20 November that the parcel went to another address; letter attached."


@pytest.fixture
def lost(api, services):
    """An invoice whose first case the consumer lost: decided for the webshop."""
    inv = shipped_invoice(api)
    first = open_case(services, inv["id"])
    rejected(api, first)
    decide(services, first, "merchant")
    return inv


def again(services, invoice_id, *, new_facts="", reason="not_received"):
    consumer = service.Actor.consumer(consumer_of(services, invoice_id))
    facts = {"new_facts": new_facts} if new_facts else {}
    return act(services, service.open_dispute, invoice_id=invoice_id, actor=consumer, case=service.NewDispute(
        reason=reason, description="I still have not received the parcel.", contacted_merchant_on=ASKED_SHOP_ON,
        **facts)).id


def test_a_second_case_after_a_decision_without_new_facts_is_refused(api, services, lost):
    with pytest.raises(InvalidInput) as refused:
        again(services, lost["id"])
    assert "new_facts" in refused.value.extra["errors"]
    assert invoice(api, lost["id"])["paused"] is False


def test_with_new_facts_it_waits_for_a_mediator_and_pauses_nothing(api, services, lost):
    before = len(outbox(services))
    second = again(services, lost["id"], new_facts=NEW_FACTS)
    case = dispute(api, second)
    assert case["status"] == "reopen_requested" and case["waiting_for"] == "mediator"
    assert case["respond_by"] is None  # the webshop is not asked yet
    assert invoice(api, lost["id"])["paused"] is False
    assert len(outbox(services)) == before  # nobody is told of a case that may not be admitted
    assert NEW_FACTS in [entry.message for entry in entries(services, second)]


def test_a_mediator_admits_it_then_it_pauses_and_the_webshop_is_asked(api, services, lost):
    second = again(services, lost["id"], new_facts=NEW_FACTS)
    act(services, service.admit, dispute_id=second, actor=MEDIATOR)
    case = dispute(api, second)
    assert case["status"] == "awaiting_merchant" and case["respond_by"] is not None
    assert invoice(api, lost["id"])["paused"] is True


def test_a_mediator_refuses_it_with_reasons_and_the_invoice_runs_on(api, services, lost):
    second = again(services, lost["id"], new_facts=NEW_FACTS)
    act(services, service.refuse, dispute_id=second, actor=MEDIATOR,
        reasons="The carrier's letter was already part of the first case.")
    case = dispute(api, second)
    assert case["status"] == "refused"
    assert invoice(api, lost["id"])["paused"] is False
    third = again(services, lost["id"], new_facts=NEW_FACTS)  # a refusal leaves room for other new facts
    assert dispute(api, third)["status"] == "reopen_requested"


def test_a_refusal_is_an_event_and_the_consumer_is_told_why_in_their_language(api, services, lost, settings):
    """Not silently: the consumer who asked reads that the case is not opened again, the
    mediator's reasons in full and what to pay; the webshop, never asked, gets no mail."""
    import email
    import email.policy

    second = again(services, lost["id"], new_facts=NEW_FACTS)
    reasons = "The carrier's letter was already part of the first case."
    before = {m.id for m in outbox(services, channel="email")}
    act(services, service.refuse, dispute_id=second, actor=MEDIATOR, reasons=reasons)

    [event] = [e for e in api.get("/events?limit=200").json["items"] if e["type"] == "dispute.reopen_refused"]
    assert event["data"]["id"] == second and event["data"]["status"] == "refused"
    assert event["data"]["decision"]["reasons"] == reasons
    [mail] = [m for m in outbox(services, channel="email") if m.id not in before]
    assert (mail.kind, mail.recipient, mail.language) == ("dispute_reopen_refused", factories.consumer()["email"], "nl")

    deliver_outbox(services)
    sent = email.message_from_bytes((settings.instance_path / "outbox" / f"{mail.id}.eml").read_bytes(),
                                    policy=email.policy.default)
    text = sent.get_body(preferencelist=("plain",)).get_content()
    assert sent["Subject"] == f"Factuur {lost['number']}: uw geschil wordt niet opnieuw geopend"
    assert "het geschil wordt niet opnieuw geopend" in text and reasons in text
    assert "Uw verzoek heeft de factuur niet stilgezet. Betaal € 19,99 uiterlijk op" in text.replace("\xa0", " ")
    assert lost["payment_reference"] in text


def test_a_case_about_other_lines_than_the_decided_one_is_a_first_case(api, services):
    inv = shipped_invoice(api, lines=factories.three_lines())
    first = open_case(services, inv["id"], lines=[("SKU-1", 1)])
    rejected(api, first)
    decide(services, first, "merchant")
    with pytest.raises(InvalidInput):  # the same line again
        open_case(services, inv["id"], lines=[("SKU-1", 1), ("SKU-3", 1)])
    other = open_case(services, inv["id"], lines=[("SKU-3", 1)], reason="damaged")
    assert dispute(api, other)["status"] == "awaiting_merchant" and invoice(api, inv["id"])["paused"] is True


def test_a_first_case_still_opens_and_pauses_at_once(api, services):
    inv = shipped_invoice(api)
    first = open_case(services, inv["id"])
    assert dispute(api, first)["status"] == "awaiting_merchant"
    assert invoice(api, inv["id"])["paused"] is True
