"""Waiving fees through the merchant API: the fee rows stay, itemised with when and why, and
their amounts leave the balance (POST /invoices/{id}/fee-waivers)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bnpl.dunning.jobs import run_dunning
from bnpl.events.models import Event
from bnpl.invoices import ledger as invoice_ledger
from bnpl.documents.models import DocumentRequest
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.payments.flows import invoice, ship
from tests.dunning.passes import daily


def with_fees(api, services) -> dict:
    """An invoice of 1999 taken by dunning to the collection-costs level: 4000 costs and a
    few cents of interest."""
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    for day in range(31):
        daily(services, due + timedelta(days=day))
    charged = invoice(api, inv["id"])
    assert charged["dunning_level"] == 3 and charged["fees"] == 4000 and charged["interest"] > 0
    return charged


def fee(inv: dict, kind: str) -> dict:
    return next(charge for charge in inv["charges"] if charge["kind"] == kind)


def waive(api, invoice_id: str, **body):
    return api.post(f"/invoices/{invoice_id}/fee-waivers", json=body)


def waived_events(services) -> list[Event]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(Event).where(Event.type == "invoice.fees_waived").order_by(Event.seq)))


def render_requests(services, invoice_id: str) -> int:
    with services.sessionmaker() as session:
        return len(session.scalars(select(DocumentRequest).where(DocumentRequest.subject_id == invoice_id)).all())


@pytest.fixture
def charged(api, services) -> dict:
    return with_fees(api, services)


def test_the_invoice_shows_its_fees_itemised(charged):
    costs, interest = fee(charged, "collection_costs"), fee(charged, "interest")
    assert (costs["amount"], costs["dunning_level"], costs["waived_at"]) == (4000, 3, None)
    assert "principal of EUR 19.99" in costs["basis"]
    assert interest["period_start"] and interest["period_end"] and interest["amount"] == charged["interest"]
    assert charged["balance"] == charged["total"] + charged["fees"] + charged["interest"]


def test_without_fee_ids_every_fee_is_waived_and_the_balance_is_the_goods_again(api, services, charged):
    before = render_requests(services, charged["id"])
    r = waive(api, charged["id"], reason="Goodwill: first late payment")
    assert r.status_code == 200, r.json
    assert (r.json["fees"], r.json["interest"], r.json["balance"], r.json["status"]) == (0, 0, 1999, "open")
    assert all(c["waived_at"] and c["waiver_reason"] == "Goodwill: first late payment" for c in r.json["charges"])
    assert len(r.json["charges"]) == len(charged["charges"])  # kept, not deleted
    assert invoice(api, charged["id"]) == r.json
    assert render_requests(services, charged["id"]) == before + 1  # the PDF shows the new amount
    [event] = waived_events(services)
    assert event.subject_id == charged["id"]
    assert event.data["balance"] == 1999 and event.data["waived"] == charged["fees"] + charged["interest"]
    assert {f["id"] for f in event.data["fees"]} == {c["id"] for c in charged["charges"]}


def test_named_fees_are_waived_and_the_others_stay(api, services, charged):
    costs = fee(charged, "collection_costs")
    r = waive(api, charged["id"], fees=[costs["id"]], reason="Costs not justified")
    assert r.status_code == 200, r.json
    assert (r.json["fees"], r.json["interest"]) == (0, charged["interest"])
    assert r.json["balance"] == 1999 + charged["interest"]
    assert waived_events(services)[0].data["fees"] == [{"id": costs["id"], "kind": "collection_costs",
                                                         "amount": 4000}]
    rest = waive(api, charged["id"], reason="And the interest")
    assert rest.status_code == 200 and rest.json["balance"] == 1999
    assert [f["kind"] for f in waived_events(services)[1].data["fees"]] == ["interest"] * len(
        [c for c in charged["charges"] if c["kind"] == "interest"])


def test_waiving_what_is_still_owed_after_paying_the_goods_closes_the_invoice(api, services, charged):
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=charged["id"],
                                     payment_id="pay_goods", method="bank_transfer", amount=1999, paid_on=date(2027, 1, 10))
    before = render_requests(services, charged["id"])
    r = waive(api, charged["id"], reason="Paid the goods; costs waived")
    assert (r.json["status"], r.json["balance"], r.json["refund_owed"]) == ("paid", 0, 0)
    assert render_requests(services, charged["id"]) == before  # nothing left to pay from a PDF
    assert waived_events(services)[0].data["status"] == "paid"


def test_a_fee_waived_already_is_a_409_and_changes_nothing(api, services, charged):
    costs, interest = fee(charged, "collection_costs"), fee(charged, "interest")
    waive(api, charged["id"], fees=[costs["id"]], reason="Once")
    r = waive(api, charged["id"], fees=[interest["id"], costs["id"]], reason="Twice")
    assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json["waived"] == [costs["id"]] and costs["id"] in r.json["detail"]
    assert fee(invoice(api, charged["id"]), "interest")["waived_at"] is None
    assert len(waived_events(services)) == 1


def test_when_every_fee_is_waived_waiving_again_is_a_409(api, charged):
    waive(api, charged["id"], reason="All")
    r = waive(api, charged["id"], reason="All again")
    assert r.status_code == 409 and "already waived" in r.json["detail"]


def test_an_invoice_without_fees_has_nothing_to_waive(api):
    inv = ship(api)
    r = waive(api, inv["id"], reason="Nothing")
    assert r.status_code == 409 and "no fees" in r.json["detail"]


def test_an_unknown_fee_or_another_invoices_fee_is_a_422_naming_the_field(api, services, charged):
    other = with_fees(api, services)
    r = waive(api, charged["id"], fees=[fee(charged, "collection_costs")["id"], "fee_nope",
                                       fee(other, "collection_costs")["id"]], reason="Wrong ids")
    assert r.status_code == 422, r.json
    assert set(r.json["errors"]) == {"fees.1", "fees.2"}
    assert "fee_nope" in r.json["errors"]["fees.1"][0]
    assert invoice(api, charged["id"])["fees"] == 4000 and waived_events(services) == []


def test_a_fee_named_twice_is_a_422(api, charged):
    costs = fee(charged, "collection_costs")["id"]
    r = waive(api, charged["id"], fees=[costs, costs], reason="Twice in one")
    assert r.status_code == 422 and list(r.json["errors"]) == ["fees.1"]


@pytest.mark.parametrize("body, field", [
    ({}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "x" * 301}, "reason"),
    ({"reason": "ok", "fees": []}, "fees"),
    ({"reason": "ok", "fees": "fee_x"}, "fees"),
    ({"reason": "ok", "unexpected": 1}, "unexpected"),
])
def test_bad_bodies_are_422_with_the_field(api, charged, body, field):
    r = waive(api, charged["id"], **body)
    assert r.status_code == 422 and field in r.json["errors"], r.json
    assert invoice(api, charged["id"])["fees"] == 4000


def test_another_merchants_invoice_is_a_404_like_a_missing_one(api, other_api, charged):
    r = waive(other_api, charged["id"], reason="Not mine")
    missing = waive(other_api, "inv_missing", reason="Not there")
    assert r.status_code == missing.status_code == 404
    assert invoice(api, charged["id"])["fees"] == 4000


def test_the_same_idempotency_key_replays_the_first_answer(api, services, charged):
    headers = {"Idempotency-Key": "waive-1"}
    first = api.post(f"/invoices/{charged['id']}/fee-waivers", json={"reason": "Goodwill"}, headers=headers)
    again = api.post(f"/invoices/{charged['id']}/fee-waivers", json={"reason": "Goodwill"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(waived_events(services)) == 1


def test_waived_interest_is_not_charged_again_by_the_next_level(api, services, charged):
    waive(api, charged["id"], reason="All of it")
    due = date.fromisoformat(charged["due_date"])
    for day in range(31, 46):
        daily(services, due + timedelta(days=day))
    handover = [c for c in invoice(api, charged["id"])["charges"] if c["dunning_level"] == 4]
    waived_through = max(c["period_end"] for c in charged["charges"] if c["kind"] == "interest")
    assert handover and all(c["period_start"] > waived_through for c in handover)
