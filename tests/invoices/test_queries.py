"""What other features read of invoices (bnpl/invoices/queries.py): plain views, computed from
the invoice's entries, each for the feature that asks."""
from __future__ import annotations

import dataclasses

import pytest

from bnpl.errors import NotFound
from bnpl.invoices import queries
from bnpl.invoices.models import Invoice
from bnpl.tenancy import Scope
from tests import factories
from tests.payments.flows import ship


def scope_of(api) -> Scope:
    return Scope(api.merchant_id, False)


def test_uncredited_lines_are_what_no_credit_note_has_taken_yet(api, uow):
    invoice = ship(api, lines=[factories.line("A", quantity=2, unit_price=1000),
                               factories.line("B", quantity=1, unit_price=2500, vat_rate=9)])
    r = api.post(f"/orders/{invoice['order_id']}/returns",
                 json={"status": "received", "lines": [{"reference": "A", "quantity": 1}]})
    assert r.status_code == 201, r.json

    left = queries.uncredited_lines(uow, scope=scope_of(api), invoice_id=invoice["id"])
    assert {reference: line.quantity for reference, line in left.items()} == {"A": 1, "B": 1}
    assert (left["B"].unit_price_cents, left["B"].vat_rate_bp, left["B"].description) == (2500, 900, "Article B")
    with pytest.raises(dataclasses.FrozenInstanceError):
        left["A"].quantity = 2  # a view, not the invoice


def test_a_line_credited_in_full_is_listed_with_nothing_left(api, uow):
    invoice = ship(api, lines=[factories.line("A", quantity=2), factories.line("B")])
    api.post(f"/orders/{invoice['order_id']}/returns",
             json={"status": "received", "lines": [{"reference": "A", "quantity": 2}]})
    left = queries.uncredited_lines(uow, scope=scope_of(api), invoice_id=invoice["id"])
    assert (left["A"].quantity, left["B"].quantity) == (0, 1)


def test_another_merchants_invoice_has_no_uncredited_lines_to_read(api, other_api, uow):
    invoice = ship(api)
    with pytest.raises(NotFound):
        queries.uncredited_lines(uow, scope=scope_of(other_api), invoice_id=invoice["id"])


def test_the_addressee_of_an_invoice_number_is_whom_it_is_billed_to(api, uow):
    invoice = ship(api, consumer=factories.consumer(name="Pieter Bakker"))
    found = queries.addressee_by_number(uow, number=invoice["number"])
    assert (found.invoice_id, found.livemode, found.billed_to["name"]) == (invoice["id"], False, "Pieter Bakker")
    assert queries.addressee_by_number(uow, number="TEST-1999-000001") is None


def test_the_latest_billing_details_of_a_consumer_are_those_of_the_newest_invoice(api, uow, clock):
    first = ship(api, consumer=factories.consumer(language="de"))
    clock.advance(days=1)
    ship(api, consumer=factories.consumer(language="en"))
    consumer_id = uow.session.get(Invoice, first["id"]).consumer_id
    assert queries.latest_billed_to(uow, consumer_ids=[consumer_id])["language"] == "en"
    assert queries.latest_billed_to(uow, consumer_ids=["cons_nobody"]) is None
