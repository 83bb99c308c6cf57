"""What other features read of invoices (bnpl/invoices/queries.py): plain views, computed from
the invoice's entries, each for the feature that asks."""
from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from sqlalchemy import event

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


# --- the partial indexes of invoices still owing ----------------------------------------------

def _statements_of(uow, read) -> list[tuple[str, object]]:
    """The SQL (and its parameters) a read sends."""
    sent = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))
    engine = uow.session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sent


def _by_amount(uow, total):
    return lambda: queries.payable_by_amount(uow, amounts=[total])


def _open_due(uow, _total):
    return lambda: queries.lock_open_due(uow, due_by=date(2027, 1, 1), after=(date(2000, 1, 1), ""), limit=10)


@pytest.mark.parametrize("read", [_by_amount, _open_due])
def test_reads_of_invoices_still_owing_carry_the_statuses_in_their_sql(api, uow, read):
    """Sent as parameters, the statuses hide from PostgreSQL that the partial indexes apply."""
    invoice = ship(api)
    sent = _statements_of(uow, read(uow, invoice["total"]))
    statement, parameters = sent[-1]
    assert "'open'" in statement
    assert "open" not in (parameters.values() if isinstance(parameters, dict) else parameters)


@pytest.mark.postgres
@pytest.mark.parametrize("read", [_by_amount, _open_due])
def test_a_prepared_read_of_invoices_still_owing_can_use_their_partial_indexes(api, uow, read):
    """psycopg prepares a statement from its fifth run on a connection, and PostgreSQL may then
    plan it once for any parameters (a generic plan): that plan must still find the index.
    The plan comes from auto_explain, as a notice to this connection."""
    invoice = ship(api)
    statement, parameters = _statements_of(uow, read(uow, invoice["total"]))[-1]
    connection = uow.session.connection().connection.driver_connection
    plans = []
    connection.add_notice_handler(lambda notice: plans.append(notice.message_primary))
    connection.execute("LOAD 'auto_explain'")
    for setting in ("plan_cache_mode = force_generic_plan", "enable_seqscan = off",
                    "auto_explain.log_min_duration = 0", "auto_explain.log_level = notice"):
        connection.execute(f"SET LOCAL {setting}")
    connection.execute(statement, parameters, prepare=True)
    connection.execute("SELECT 1")  # the plan's notice has arrived by its end
    plan = "\n".join(plans)
    assert "Query Text" in plan, plan
    assert "ix_invoices_owed_status" in plan or "ix_invoices_status_due" in plan, plan
