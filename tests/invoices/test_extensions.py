"""Extensions: the merchant moves a due date later; the consumer gets one free extension,
asked on or before the due date while nothing was sent to chase them."""
from datetime import date, timedelta

import pytest

from bnpl.errors import Conflict
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import service as invoices
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.payments.flows import ship


def consumer_extends(services, api, invoice_id):
    with unit_of_work(services) as uow:
        return invoices.extend(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id, days=0,
                               requested_by=invoices.CONSUMER)


def test_a_merchant_extends_by_the_days_it_names(api):
    invoice = ship(api)
    r = api.post(f"/invoices/{invoice['id']}/extensions", json={"days": 10})
    assert r.status_code == 201, r.json
    due = date.fromisoformat(invoice["due_date"])
    assert r.json["due_date"] == (due + timedelta(days=10)).isoformat()
    assert r.json["extensions"][0]["requested_by"] == "merchant"
    events = [e for e in api.get("/events").json["items"] if e["type"] == "invoice.due_date_changed"]
    assert events[-1]["data"]["reason"] == "extension"


@pytest.mark.parametrize("days", [0, 91, "7", 1.5])
def test_a_merchant_extension_is_1_to_90_whole_days(api, days):
    invoice = ship(api)
    r = api.post(f"/invoices/{invoice['id']}/extensions", json={"days": days})
    assert r.status_code == 422, r.json
    assert "days" in r.json["errors"]


def test_another_merchants_invoice_cannot_be_extended(api, other_api):
    invoice = ship(api)
    assert other_api.post(f"/invoices/{invoice['id']}/extensions", json={"days": 5}).status_code == 404


def test_the_consumer_gets_fourteen_days_once(api, services):
    invoice = ship(api)
    extended = consumer_extends(services, api, invoice["id"])
    assert extended.due_date == date.fromisoformat(invoice["due_date"]) + timedelta(days=14)
    with pytest.raises(Conflict, match="already extended once"):
        consumer_extends(services, api, invoice["id"])


def test_a_merchant_extension_leaves_the_consumers_free_one(api, services):
    invoice = ship(api)
    api.post(f"/invoices/{invoice['id']}/extensions", json={"days": 3})
    assert consumer_extends(services, api, invoice["id"]).extensions[-1].requested_by == "consumer"


def test_the_consumer_cannot_extend_after_the_due_date(api, services, clock):
    invoice = ship(api)
    clock.advance(days=30)
    with pytest.raises(Conflict, match="has passed"):
        consumer_extends(services, api, invoice["id"])


def test_the_consumer_can_extend_on_the_due_date_itself(api, services, clock):
    invoice = ship(api)
    due = date.fromisoformat(invoice["due_date"])
    clock.advance(days=(due - date(2026, 11, 23)).days)
    assert consumer_extends(services, api, invoice["id"]).due_date == due + timedelta(days=14)


def test_a_paid_invoice_is_not_extended(api, services):
    invoice = ship(api)
    with unit_of_work(services) as uow:
        invoice_ledger.credit_amount(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"],
                                     amount=invoice["total"], reason="goodwill")
    with pytest.raises(Conflict, match="nothing left to pay"):
        consumer_extends(services, api, invoice["id"])
