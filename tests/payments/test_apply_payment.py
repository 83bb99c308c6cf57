"""Applying money to an invoice (bnpl/invoices/service.py apply_payment): a payment reported
again counts once, paying closes a paused invoice, and payments arriving at the same moment
are all counted (PostgreSQL: row lock on the invoice)."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from bnpl.events.models import Event
from bnpl.invoices import ledger as invoice_ledger
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments.flows import invoice, ship

PAID_ON = date(2026, 11, 23)




def apply(services, api, invoice_id: str, payment_id: str, amount: int, method: str = "bank_transfer") -> None:
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id,
                                     payment_id=payment_id, method=method, amount=amount, paid_on=PAID_ON)


def events(services, type: str) -> list[Event]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(Event).where(Event.type == type).order_by(Event.seq)))


def test_the_same_payment_applied_twice_counts_once(api, services):
    inv = ship(api, lines=factories.three_lines())

    apply(services, api, inv["id"], "pay_bank_1", 2000)
    apply(services, api, inv["id"], "pay_bank_1", 2000)

    after = invoice(api, inv["id"])
    assert (after["paid"], after["balance"], after["status"]) == (2000, inv["total"] - 2000, "open")
    assert [p["payment_id"] for p in after["payments"]] == ["pay_bank_1"]
    assert len(events(services, "payment.received")) == 1


def test_the_same_payment_applied_twice_in_one_unit_of_work_counts_once(api, services):
    inv = ship(api, lines=factories.three_lines())

    with unit_of_work(services) as uow:
        for _ in range(2):
            invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=inv["id"],
                                         payment_id="pay_bank_1", method="bank_transfer", amount=2000, paid_on=PAID_ON)

    assert invoice(api, inv["id"])["paid"] == 2000


def test_paying_a_paused_invoice_in_full_closes_it_and_lifts_the_pause(api, services):
    inv = ship(api, lines=factories.three_lines())
    announced = api.post(f"/orders/{inv['order_id']}/returns",
                         json={"lines": [{"reference": "SKU-2", "quantity": 1}]})
    assert announced.status_code == 201, announced.json
    paused = invoice(api, inv["id"])
    assert (paused["status"], paused["paused"], paused["pause_reason"]) == ("paused", True, "return")

    apply(services, api, inv["id"], "pay_bank_1", inv["total"])

    after = invoice(api, inv["id"])
    assert (after["status"], after["balance"], after["paused"]) == ("paid", 0, False)
    [pause] = after["pauses"]
    assert pause["lifted_by"] == "invoice paid" and pause["lifted_at"] is not None
    assert [e.data["lifted_by"] for e in events(services, "invoice.resumed")] == ["invoice paid"]


def test_a_negative_payment_reopens_a_paid_invoice(api, services):
    inv = ship(api)
    apply(services, api, inv["id"], "pay_sdd_1", inv["total"], method="direct_debit")
    assert invoice(api, inv["id"])["status"] == "paid"

    apply(services, api, inv["id"], "pay_sdd_1_return", -inv["total"], method="direct_debit")

    after = invoice(api, inv["id"])
    assert (after["status"], after["paid"], after["balance"]) == ("open", 0, inv["total"])
    [reversed_] = events(services, "payment.reversed")
    assert (reversed_.data["amount"], reversed_.data["status"]) == (-inv["total"], "open")


@pytest.mark.postgres
def test_ten_payments_applied_at_the_same_moment_are_all_counted(api, services):
    """Ten partial payments of 1000..1009 cents hit one invoice at once; together they pay it
    exactly. Without the row lock, some would compute the balance from a stale read."""
    amounts = [1000 + i for i in range(10)]
    inv = ship(api, lines=[factories.line(unit_price=sum(amounts))])
    assert inv["total"] == sum(amounts) == 10_045
    start, errors = threading.Barrier(len(amounts)), []

    def pay(i: int) -> None:
        try:
            start.wait(timeout=10)
            apply(services, api, inv["id"], f"pay_bank_{i}", amounts[i])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(len(amounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    after = invoice(api, inv["id"])
    assert (after["paid"], after["balance"], after["status"]) == (sum(amounts), 0, "paid")
    assert sorted(p["amount"] for p in after["payments"]) == amounts
    received = events(services, "payment.received")
    assert sorted(e.data["amount"] for e in received) == amounts
    # In lock order, each payment saw every one before it: its balance is the previous one less itself.
    in_lock_order = sorted(received, key=lambda e: -e.data["balance"])
    balance = sum(amounts)
    for event in in_lock_order:
        balance -= event.data["amount"]
        assert event.data["balance"] == balance
    assert [e.data["status"] for e in in_lock_order] == ["open"] * 9 + ["paid"]
