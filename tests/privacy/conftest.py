"""A consumer who bought at two webshops, paid one invoice by bank transfer from their IBAN."""
from __future__ import annotations

import pytest

from bnpl.documents.jobs import render_documents
from bnpl.payments import service as payments
from bnpl.portal import service as portal
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments import camt_files as files
from tests import identified

EMAIL = "sanne.devries@example.nl"
NAME = "Sanne de Vries"
PHONE = "+31612345678"
IBAN = files.PAYER_IBAN


def buy(api) -> dict:
    """An order sent with an Idempotency-Key (its stored response names the person), shipped."""
    created = api.post("/orders", json=factories.order(consumer=factories.consumer(phone=PHONE)),
                       headers={"Idempotency-Key": f"order-{api.merchant_id}"})
    accepted = identified.through_api(api, created.json)
    shipment = api.post(f"/orders/{accepted['id']}/shipments", json={})
    assert shipment.status_code == 201, shipment.json
    return shipment.json["invoice"]


def sign_in_link(services) -> None:
    with unit_of_work(services) as uow:
        portal.request_link(uow, email=EMAIL, client="127.0.0.1", language="nl")


def pay(services, invoice: dict) -> None:
    with unit_of_work(services) as uow:
        payments.import_statement(uow, data=files.statement(
            files.payment(invoice["total"], rf=invoice["payment_reference"])))


@pytest.fixture
def purchases(api, other_api, services) -> dict:
    """{"paid": the invoice at the first shop, paid; "open": the one at the second, not yet}."""
    paid, still_open = buy(api), buy(other_api)
    pay(services, paid)
    sign_in_link(services)
    render_documents(services)
    return {"paid": paid, "open": still_open}
