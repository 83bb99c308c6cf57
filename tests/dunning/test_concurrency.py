"""Dunning runs that overlap or die: two scheduler processes running the same pass at the same
time, and a pass killed halfway and started again. Either way each invoice gets its step once:
one dunning_steps row and one e-mail in the outbox.

The invoices are 20 days overdue on the run day, so the 14-day letter is due as well as the
reminder: a run that looked at an invoice after another run had just reminded it would send
the letter at once (two steps in one pass), which these tests would see."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bnpl.dunning import candidates, jobs, service
from bnpl.dunning.models import DunningStep
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema, ShipmentCreateSchema
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories, identified

DUE = date(2026, 12, 9)  # of an order shipped at the tests' clock, Mon 23 Nov 2026
RUN_DAY = DUE + timedelta(days=20)  # Tue 29 Dec 2026: reminder and letter both due


def overdue_invoices(services, api, n: int) -> list[str]:
    """n shipped orders, each with its invoice due on DUE; made through the orders service in
    one transaction (the API would take a request per order and shipment)."""
    scope = Scope(api.merchant_id, False)
    orders_in, shipment_in = OrderCreateSchema(), ShipmentCreateSchema()
    made = []
    with unit_of_work(services) as uow:
        for number in range(n):
            body = factories.order(consumer=factories.consumer(email=f"klant{number}@example.nl"))
            order = identified.in_service(uow, orders.create_order(uow, scope=scope, data=orders_in.load(body)))
            made.append(orders.ship_order(uow, scope=scope, order_id=order.id, data=shipment_in.load({})).invoice)
        assert {invoice.due_date for invoice in made} == {DUE}
        return sorted(invoice.id for invoice in made)


def per_invoice(services) -> tuple[Counter, Counter]:
    """(invoice id -> dunning steps, invoice id -> dunning e-mails in the outbox)."""
    with services.sessionmaker() as session:
        steps = Counter(dict(session.execute(select(DunningStep.invoice_id, func.count())
                                             .group_by(DunningStep.invoice_id)).all()))
        mails = Counter(dict(session.execute(
            select(OutboxMessage.invoice_id, func.count())
            .where(OutboxMessage.channel == EMAIL, OutboxMessage.kind.like("dunning_%"))
            .group_by(OutboxMessage.invoice_id)).all()))
    return steps, mails


def levels(services) -> Counter:
    with services.sessionmaker() as session:
        return Counter(session.scalars(select(DunningStep.name)))


def small_batches(monkeypatch, size: int, *, fail_on: int | None = None):
    """run_batch as the job calls it, `size` invoices at a time; batch number `fail_on` does
    its work and then dies before its transaction commits (the process killed mid-batch)."""
    real, calls = service.run_batch, []

    def run_batch(uow, **kw):
        calls.append(kw["after"])
        batch = real(uow, **{**kw, "limit": size})
        if len(calls) == fail_on:
            raise RuntimeError("killed halfway")
        return batch

    monkeypatch.setattr(service, "run_batch", run_batch)
    return calls


def test_a_run_killed_halfway_and_run_again_reminds_each_invoice_once(api, services, monkeypatch):
    ids = overdue_invoices(services, api, 30)
    calls = small_batches(monkeypatch, 10, fail_on=2)

    with pytest.raises(RuntimeError, match="killed halfway"):
        jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn")

    assert len(calls) == 2
    steps, mails = per_invoice(services)
    assert sorted(steps) == ids[:10] and set(steps.values()) == {1}  # the first batch kept, the second undone
    assert mails == steps

    monkeypatch.undo()
    small_batches(monkeypatch, 10)
    summary = jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn")

    assert (summary.examined, summary.taken) == (30, {"reminder": 20})
    steps, mails = per_invoice(services)
    assert sorted(steps) == ids and set(steps.values()) == {1}
    assert mails == steps
    assert levels(services) == {"reminder": 30}

    # A third pass the same day (a restart, an operator) takes nothing either.
    assert jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn").taken == {}
    assert per_invoice(services) == (steps, mails)


def test_the_same_pass_run_twice_one_after_the_other_takes_each_step_once(api, services):
    ids = overdue_invoices(services, api, 5)

    first = jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn")
    second = jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn")

    assert (first.taken, second.taken) == ({"reminder": 5}, {})
    steps, mails = per_invoice(services)
    assert sorted(steps) == ids and set(steps.values()) == {1} and mails == steps
    # The next day the letter goes out, once.
    assert jobs.run_dunning(services, as_of=RUN_DAY + timedelta(days=1), stale_statements="warn").taken == {
        "fourteen_day_letter": 5}


@pytest.mark.postgres
def test_two_runs_at_once_take_each_step_exactly_once(api, services, monkeypatch):
    ids = overdue_invoices(services, api, 300)
    small_batches(monkeypatch, 25)
    # Each run holds its first batch (rows locked, nothing committed) until the other has
    # claimed one too: so the runs overlap for sure, and SKIP LOCKED has rows to skip.
    both_claimed, claimed, real_candidates = threading.Barrier(2), threading.local(), candidates.dunning_candidates

    def candidates_then_wait(uow, **kw):
        found = real_candidates(uow, **kw)
        if not getattr(claimed, "once", False):
            claimed.once = True
            both_claimed.wait(timeout=30)
        return found

    monkeypatch.setattr(service, "dunning_candidates", candidates_then_wait)
    summaries, errors = [], []

    def run():
        try:
            summaries.append(jobs.run_dunning(services, as_of=RUN_DAY, stale_statements="warn"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == [] and len(summaries) == 2
    assert all(summary.taken["reminder"] > 0 for summary in summaries)  # both did part of the work
    assert summaries[0].taken + summaries[1].taken == {"reminder": 300}
    steps, mails = per_invoice(services)
    assert sorted(steps) == ids and set(steps.values()) == {1}
    assert mails == steps
    assert levels(services) == {"reminder": 300}
