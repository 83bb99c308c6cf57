"""A second case after a decision, on the case page: the mediator reads the new facts and
admits or refuses it; both buttons name the consumer and the webshop."""
from html import unescape

import pytest

from bnpl.disputes import service
from tests.disputes.cases import ASKED_SHOP_ON, act, consumer_of, open_case, shipped_invoice
from tests.disputes.support import decide, dispute, invoice, rejected

NEW_FACTS = "The carrier wrote on 20 November that the parcel went to another address."


@pytest.fixture
def request_id(api, services) -> tuple[str, str]:
    inv = shipped_invoice(api)
    first = open_case(services, inv["id"])
    rejected(api, first)
    decide(services, first, "merchant")
    consumer = service.Actor.consumer(consumer_of(services, inv["id"]))
    second = act(services, service.open_dispute, invoice_id=inv["id"], actor=consumer, case=service.NewDispute(
        reason="not_received", description="Still nothing arrived.", contacted_merchant_on=ASKED_SHOP_ON,
        new_facts=NEW_FACTS)).id
    return second, inv["id"]


def test_the_request_shows_its_new_facts_and_buttons_that_name_both(signed_in, request_id):
    html = unescape(signed_in.get(f"/staff/cases/{request_id[0]}").get_data(as_text=True))
    assert NEW_FACTS in html and "Second case: waiting to be admitted" in html
    assert "Open the case again for Sanne de Vries at Fietsenwinkel Utrecht" in html
    assert "Refuse for Sanne de Vries at Fietsenwinkel Utrecht" in html


def test_admitting_pauses_the_invoice_and_asks_the_webshop(signed_in, api, request_id):
    case_id, invoice_id = request_id
    r = signed_in.submit(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/admission", {})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert dispute(api, case_id)["status"] == "awaiting_merchant" and invoice(api, invoice_id)["paused"] is True


def test_refusing_needs_reasons_and_leaves_the_invoice_running(signed_in, api, request_id):
    case_id, invoice_id = request_id
    r = signed_in.submit(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/refusal", {"refuse-reasons": "No."})
    assert r.status_code == 422 and dispute(api, case_id)["status"] == "reopen_requested"
    r = signed_in.submit(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/refusal",
                         {"refuse-reasons": "The carrier's letter was already weighed in the first case."})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert dispute(api, case_id)["status"] == "refused" and invoice(api, invoice_id)["paused"] is False
