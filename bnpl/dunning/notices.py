"""Before the due date, so that no reminder is needed: a friendly notice a few days ahead
(the consumer may switch these off), or, where a direct-debit mandate collects the invoice,
the SEPA pre-notification of amount and day, which the Core rulebook requires before every
collection (the mandate text agrees the shorter period of BNPL_COLLECTION_NOTICE_WORKING_DAYS)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bnpl.calendar import working_days_after
from bnpl.consumers import service as consumers
from bnpl.db import upsert
from bnpl.dunning.models import DueNotice
from bnpl.events import service as events
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices.queries import DueInvoice
from bnpl.payments import service as payments
from bnpl.uow import UnitOfWork

DUE_SOON, COLLECTION = "due_soon", "collection"
START = (date.min, "")
BATCH = 500


@dataclass(frozen=True)
class NoticeBatch:
    cursor: tuple[date, str] | None  # where the next batch starts; None: done
    sent: dict


def send_due_notices(uow: UnitOfWork, *, as_of: date, after: tuple[date, str] = START,
                     limit: int = BATCH) -> NoticeBatch:
    """One batch of open invoices due soon: each gets its notice once (a second run, or a
    second scheduler, finds it taken), recorded as an event that e-mails the consumer."""
    horizon = {DUE_SOON: as_of + timedelta(days=uow.settings.due_notice_days),
               COLLECTION: working_days_after(as_of, uow.settings.collection_notice_working_days)}
    found = invoice_queries.open_due_between(uow, first=as_of, last=max(horizon.values()), after=after, limit=limit)
    consumer_ids = sorted({invoice.consumer_id for invoice in found})
    accounts = payments.mandate_accounts(uow, consumer_ids=consumer_ids)
    declined = consumers.not_wanting_due_notices(uow, consumer_ids=consumer_ids)
    sent = {DUE_SOON: 0, COLLECTION: 0}
    for invoice in found:
        kind = COLLECTION if invoice.consumer_id in accounts else DUE_SOON
        if invoice.due_date > horizon[kind] or (kind == DUE_SOON and _not_wanted(uow, invoice, declined)):
            continue
        if _take(uow, invoice, kind):
            _record(uow, invoice, kind, accounts.get(invoice.consumer_id))
            sent[kind] += 1
    return NoticeBatch((found[-1].due_date, found[-1].id) if len(found) == limit else None, sent)


def _not_wanted(uow, invoice: DueInvoice, declined: set[str]) -> bool:
    return uow.settings.due_notice_days <= 0 or invoice.consumer_id in declined


def _take(uow, invoice: DueInvoice, kind: str) -> bool:
    """Whether this call took the invoice's notice (a row count is not reliable across drivers
    for an insert that may do nothing: the row it returns is)."""
    taken = uow.session.execute(upsert(uow.session, DueNotice.__table__).values(
        invoice_id=invoice.id, kind=kind, due_date=invoice.due_date, amount_cents=invoice.owed_cents,
        created_at=uow.now()).on_conflict_do_nothing(index_elements=["invoice_id"])
        .returning(DueNotice.__table__.c.invoice_id))
    return taken.first() is not None


def _record(uow, invoice: DueInvoice, kind: str, iban: str | None) -> None:
    data = {"invoice_id": invoice.id, "number": invoice.number, "notice": kind, "due_date": invoice.due_date.isoformat(),
            "amount": invoice.owed_cents, "currency": invoice.currency}
    if iban:
        data["account"] = payments.short_account(iban)
    events.record(uow, scope=invoice.scope, type="invoice.due_soon", subject_id=invoice.id, data=data)
