"""Helpers for settlement tests: invoices and credits made through the merchant API, in
months placed with the fixed clock (it starts 2026-11-23 10:00 UTC)."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import pytest

from bnpl.merchants.models import Merchant
from bnpl.settlements import service
from bnpl.uow import unit_of_work
from tests import factories, identified


def at(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


_shoppers = itertools.count(1)


def ship(api, *amounts: int) -> dict:
    """An order with one line per amount, shipped whole: its invoice. Each order has its own
    shopper, so an earlier invoice falling due never declines a later order."""
    lines = [factories.line(f"SKU-{i}", 1, cents, 21) for i, cents in enumerate(amounts, 1)]
    shopper = factories.consumer(email=f"shopper{next(_shoppers)}@example.nl")
    order = api.post("/orders", json=factories.order(lines=lines, consumer=shopper))
    assert order.status_code == 201, order.json
    accepted = identified.through_api(api, order.json)
    assert accepted["status"] == "accepted", accepted
    shipment = api.post(f"/orders/{accepted['id']}/shipments", json={})
    assert shipment.status_code == 201, shipment.json
    return shipment.json["invoice"]


def credit(api, invoice_id: str, amount: int) -> dict:
    r = api.post(f"/invoices/{invoice_id}/credits", json={"amount": amount, "reason": "Goodwill"})
    assert r.status_code == 201, r.json
    return r.json


def set_fee(services, merchant_id: str, fee_bp: int) -> None:
    with unit_of_work(services) as uow:
        uow.session.get(Merchant, merchant_id).fee_bp = fee_bp


def settle(services, start: date, end: date):
    with unit_of_work(services) as uow:
        return service.settle_period(uow, period_start=start, period_end=end)


def settle_month(services, year: int, month: int):
    return settle(services, *service.month_period(year=year, month=month))


@pytest.fixture
def settle_in(services):
    return lambda year, month: settle_month(services, year, month)
