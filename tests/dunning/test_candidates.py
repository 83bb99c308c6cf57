"""The invoices a dunning pass looks at (bnpl/dunning/candidates.py): open and due, in due
date order, with the customer type that picks the policy, and what earlier steps charged."""
from __future__ import annotations

from datetime import date, timedelta

from bnpl.dunning.candidates import charged_so_far, dunning_candidates
from bnpl.invoices import ledger as invoice_ledger
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.dunning.passes import daily
from tests.payments.flows import ship

DUE = date(2026, 12, 9)  # of an order shipped on the test clock's day
START = (date.min, "")


def candidates(services, due_by: date, after=START, limit: int = 10):
    with unit_of_work(services) as uow:
        return dunning_candidates(uow, due_by=due_by, after=after, limit=limit)


def test_only_open_invoices_due_by_the_day_are_candidates_business_ones_as_business(api, services, clock):
    factories.give_legal_details(api)  # a business invoice needs them
    person = ship(api)
    business = ship(api, consumer=factories.consumer(type="business", company_name="Dijkstra B.V.",
                                                     vat_number="NL004495445B01"))
    paid = ship(api)
    announced = ship(api)
    clock.advance(days=1)
    later = ship(api)  # due a day later
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=paid["id"],
                                     payment_id="pay_1", method="bank_transfer", amount=paid["total"], paid_on=DUE)
        uow.commit()
    r = api.post(f"/orders/{announced['order_id']}/returns",
                 json={"status": "announced", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    assert r.status_code == 201, r.json

    assert sorted((c.id, c.customer_type) for c in candidates(services, DUE)) == sorted(
        [(person["id"], "consumer"), (business["id"], "business")])
    assert {c.id for c in candidates(services, DUE + timedelta(days=1))} == {person["id"], business["id"], later["id"]}


def test_the_next_batch_starts_after_the_last_candidate_of_the_one_before(api, services):
    invoices = sorted((ship(api)["id"] for _ in range(3)))
    first = candidates(services, DUE, limit=2)
    rest = candidates(services, DUE, after=(first[-1].due_date, first[-1].id), limit=2)
    assert [c.id for c in first + rest] == invoices


def charged(services, invoice_id: str):
    with unit_of_work(services) as uow:
        return charged_so_far(uow, invoice_ids=[invoice_id]).get(invoice_id)


def test_what_was_charged_so_far_is_the_unwaived_fees_and_the_last_day_of_interest(api, services):
    factories.give_legal_details(api)  # a business invoice needs them
    invoice = ship(api, consumer=factories.consumer(type="business", company_name="Dijkstra B.V.",
                                                    vat_number="NL004495445B01"))
    assert charged(services, invoice["id"]) is None
    for day in range(1, 60):
        daily(services, DUE + timedelta(days=day))
    so_far = charged(services, invoice["id"])
    shown = api.get(f"/invoices/{invoice['id']}").json
    assert so_far.fees_cents == shown["fees"] + shown["interest"] > 0
    assert so_far.interest_through is not None and so_far.interest_through < DUE + timedelta(days=60)
