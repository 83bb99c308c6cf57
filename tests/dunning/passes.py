"""What the scheduler does each day, for tests that walk an invoice through the levels."""
from __future__ import annotations

from datetime import date

from bnpl.dunning.jobs import RunSummary, run_dunning
from bnpl.notifications.jobs import deliver_outbox


def daily(services, day: date, stale_statements: str = "warn") -> RunSummary:
    """The dunning pass of `day`, then the outbox delivered (the scheduler does so within
    seconds): a 14-day letter must have reached the consumer before costs can follow. The
    renderer does not run here: a letter's mail goes without its PDF, the invoice's waits."""
    summary = run_dunning(services, as_of=day, stale_statements=stale_statements)
    deliver_outbox(services)
    return summary
