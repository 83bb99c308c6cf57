"""The invoices dunning looks at, in its own terms: the overdue ones to decide on (locked for
the pass), and what earlier steps charged them. Read through invoices' queries; the levels
and fees a pass adds are booked by invoices' ledger (record_dunning_levels)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bnpl.invoices import queries as invoice_queries
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class DunningCandidate:
    id: str
    scope: Scope
    number: str
    currency: str
    due_date: date
    owed_cents: int  # fees included
    dunning_level: int
    customer_type: str  # consumer | business: which policy and which law apply
    billed_to: dict
    order_id: str


def dunning_candidates(uow: UnitOfWork, *, due_by: date, after: tuple[date, str], limit: int) -> list[DunningCandidate]:
    """Open invoices due on or before a date, in (due date, id) order after `after`, locked
    for this transaction; those another run holds are skipped (it is dealing with them)."""
    return [DunningCandidate(id=due.id, scope=due.scope, number=due.number, currency=due.currency,
                             due_date=due.due_date, owed_cents=due.owed_cents, dunning_level=due.dunning_level,
                             customer_type=customer_type_of(due.billed_to), billed_to=due.billed_to,
                             order_id=due.order_id)
            for due in invoice_queries.lock_open_due(uow, due_by=due_by, after=after, limit=limit)]


def customer_type_of(billed_to: dict) -> str:
    return "business" if billed_to.get("type") == "business" else "consumer"


@dataclass(frozen=True)
class ChargedSoFar:
    fees_cents: int  # collection costs and interest, not waived
    interest_through: date | None  # the last day interest was charged for (waived days stay forgiven)


def charged_so_far(uow: UnitOfWork, *, invoice_ids: list[str]) -> dict[str, ChargedSoFar]:
    """What dunning has charged each of these invoices (those with nothing are left out)."""
    return {invoice_id: ChargedSoFar(charged.unwaived_cents, charged.through)
            for invoice_id, charged in invoice_queries.fees_charged(uow, invoice_ids=invoice_ids).items()}
