"""The dunning run as a job: reconcile first, then batch after batch, each its own transaction."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from bnpl.dunning import notices, service
from bnpl.uow import unit_of_work


@dataclass
class RunSummary:
    as_of: date
    examined: int = 0
    taken: Counter = field(default_factory=Counter)
    warning: str | None = None  # statements too old (sent anyway: stale_statements = warn)
    refused: str | None = None  # statements too old: nothing sent

    def __str__(self) -> str:
        if self.refused:
            return f"Dunning {self.as_of}: refused. {self.refused}"
        levels = ", ".join(f"{n} {name}" for name, n in sorted(self.taken.items())) or "no step due"
        warning = f" Warning: {self.warning}" if self.warning else ""
        return f"Dunning {self.as_of}: {self.examined} overdue invoices examined; {levels}.{warning}"


def run_dunning(services, *, as_of: date | None = None, stale_statements: str | None = None) -> RunSummary:
    """One pass as of a date (default: today). Batches commit one by one, so a run stopped
    halfway keeps what it did and the next run takes the rest; each invoice is locked while
    decided, and each (invoice, level) is taken once, so two runs at once send nothing twice."""
    with unit_of_work(services) as uow:
        as_of = as_of or uow.today()
        problem = service.stale_statements(uow, as_of=as_of)
    summary = RunSummary(as_of)
    if problem and (stale_statements or services.settings.stale_statements) == "refuse":
        summary.refused = problem
        return summary
    summary.warning = problem
    policies, after = service.Policies(), service.START
    while after is not None:
        with unit_of_work(services) as uow:
            batch = service.run_batch(uow, as_of=as_of, after=after, policies=policies)
        summary.examined += batch.examined
        summary.taken += batch.taken
        after = batch.cursor
    return summary


def send_due_notices(services, as_of: date | None = None) -> dict[str, int]:
    """The daily pass before due dates: batch by batch, each its own transaction; an invoice
    noticed once is never noticed again, by this pass or another."""
    with unit_of_work(services) as uow:
        as_of = as_of or uow.today()
    sent, after = Counter(), notices.START
    while after is not None:
        with unit_of_work(services) as uow:
            batch = notices.send_due_notices(uow, as_of=as_of, after=after)
        sent.update(batch.sent)
        after = batch.cursor
    return {kind: sent[kind] for kind in (notices.DUE_SOON, notices.COLLECTION)}


def check_payment_plans(services, as_of: date | None = None) -> dict[str, int]:
    """The hourly deadline check of payment plans: those paid in full are completed, those
    with an instalment missed beyond its grace end (dunning resumes). Batch by batch, each
    its own transaction; plans another worker holds are skipped and seen on the next pass."""
    with unit_of_work(services) as uow:
        as_of = as_of or uow.today()
    completed = _batches(services, lambda uow, after: service.complete_paid_plans(uow, after=after))
    ended = _batches(services, lambda uow, after: service.end_missed_plans(uow, as_of=as_of, after=after))
    return {"completed": completed, "ended": ended}


def _batches(services, settle) -> int:
    changed, after = 0, ""
    while after is not None:
        with unit_of_work(services) as uow:
            batch = settle(uow, after)
        changed, after = changed + batch.changed, batch.last_id
    return changed
