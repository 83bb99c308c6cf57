"""Use cases for invoices: issue one for a shipment, load it, move its due date, pause it,
and its documents. Money on an invoice (payments, credit notes, fees, waivers) is booked by
ledger.py; what other features read of invoices is in queries.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import selectinload

from bnpl import pagination
from bnpl.db import insert_ignoring_conflicts
from bnpl.documents import service as documents
from bnpl.documents.models import Document
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.i18n import said
from bnpl.invoices import models, queries
from bnpl.invoices.models import CreditNote, Invoice, InvoiceLine, InvoicePause, NumberSeries
from bnpl.invoices.schemas import dump_new_invoice
from bnpl.sql import Chained, Prepared, numbered, values_rows
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class LineToInvoice:
    reference: str
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int


class NewInvoice(NamedTuple):
    """An invoice as issue_invoice wrote it: its row's values (the invoice to load for its
    entries is get_invoice's)."""
    id: str
    number: str
    payment_reference: str
    merchant_id: str
    livemode: bool
    order_id: str
    shipment_id: str
    consumer_id: str
    status: str
    currency: str
    total_cents: int
    owed_cents: int
    billed_to: dict
    seller: dict
    order_reference: str
    term_days: int
    issued_at: datetime
    due_date: date
    dunning_level: int
    paused_since: datetime | None
    created_at: datetime


class Issued(NamedTuple):
    invoice: NewInvoice
    data: dict  # the invoice as invoice.issued carries it: as the API shows it


def issue_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, order_id: str, shipment_id: str,
                  consumer_id: str, currency: str, billed_to: dict, seller: dict, order_reference: str,
                  lines: list[LineToInvoice],
                  shipped_on: date, delivered_on: date | None, transit_days: int,
                  term_days: int) -> Issued:
    """Issue the invoice for one shipment: copied lines, next number, RF reference, due date.
    Written with prepared statements, no ORM object: nothing in the request reads it back
    (its subscribers learn whom it is billed to from queries.issued)."""
    now = uow.now()
    rows = [dict(invoice_id=invoice_id, position=i, order_line_reference=line.reference,
                 description=line.description, quantity=line.quantity, unit_price_cents=line.unit_price_cents,
                 vat_rate_bp=line.vat_rate_bp, total_cents=line.unit_price_cents * line.quantity)
            for i, line in enumerate(lines)]
    total = sum(row["total_cents"] for row in rows)
    due = models.due_date(shipped_on=shipped_on, delivered_on=delivered_on, transit_days=transit_days,
                          term_days=term_days)
    # The number is taken last: its row lock is then held for the shortest time.
    year = uow.today().year
    number = models.format_number(scope.livemode, year,
                                  next_number(uow, series=models.series_name(scope.livemode, year)))
    invoice = NewInvoice(
        id=invoice_id, number=number, payment_reference=models.rf_reference(number),
        merchant_id=scope.merchant_id, livemode=scope.livemode, order_id=order_id, shipment_id=shipment_id,
        consumer_id=consumer_id, status=models.OPEN, currency=currency, total_cents=total, owed_cents=total,
        billed_to=billed_to, seller=seller, order_reference=order_reference, term_days=term_days,
        issued_at=now, due_date=due, dunning_level=0, paused_since=None, created_at=now)
    # Its PDF is asked for in the same statement (documents.REQUEST_ONE).
    _issuing(len(rows)).run(uow.session, **{f"new_{name}": value for name, value in zip(NewInvoice._fields, invoice)},
                            **documents.rendering_request(uow, kind="invoice", subject_id=invoice_id),
                            **numbered(rows))
    queries.issued(uow, invoice)
    data = dump_new_invoice(invoice, rows)
    events.record(uow, scope=scope, type="invoice.issued", subject_id=invoice_id, data=data)
    return Issued(invoice, data)


@lru_cache(maxsize=None)
def _issuing(n: int) -> Chained:
    """The invoice, the request for its PDF and its n lines (one VALUES list): one statement on
    PostgreSQL, three on SQLite."""
    invoices = Invoice.__table__
    return Chained(
        insert(invoices).values({name: bindparam(f"new_{name}", type_=invoices.c[name].type) for name in NewInvoice._fields}),
        documents.REQUEST_ONE, values_rows(InvoiceLine.__table__, _LINE_COLUMNS, n))


_LINE_COLUMNS = ("invoice_id", "position", "order_line_reference", "description", "quantity", "unit_price_cents",
                 "vat_rate_bp", "total_cents")


def next_number(uow: UnitOfWork, *, series: str) -> int:
    """The next value of a gap-free series; the caller's transaction holds it until commit."""
    value = _INCREMENT.scalar(uow.session, series=series)
    if value is None:  # the first number of a new year
        insert_ignoring_conflicts(uow.session, NumberSeries.__table__, {"name": series, "last_value": 0},
                                  index_elements=["name"])
        value = _INCREMENT.scalar(uow.session, series=series)
    return value


_SERIES = NumberSeries.__table__
_INCREMENT = Prepared(update(_SERIES).where(_SERIES.c.name == bindparam("series"))
                      .values(last_value=_SERIES.c.last_value + 1).returning(_SERIES.c.last_value))


def delivery_reported(uow: UnitOfWork, *, scope: Scope, invoice_id: str, delivered_on: date) -> Invoice:
    """Move the due date to delivery + term when that is later than the current one."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id)
    previous = invoice.due_date
    if invoice.move_due_date_for_delivery(delivered_on):
        documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
        events.record(uow, scope=scope, type="invoice.due_date_changed", subject_id=invoice.id,
                      data={"invoice_id": invoice.id, "previous_due_date": previous.isoformat(),
                            "due_date": invoice.due_date.isoformat(), "reason": "delivery"})
    return invoice


# --- loading: the aggregate with its entries, for the use cases and the pages ------------

def get_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, for_update: bool = False) -> Invoice:
    """The merchant's invoice with its entries; for_update locks it for a change."""
    query = with_entries(select(Invoice)).where(
        Invoice.id == invoice_id, Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)
    # The row lock serializes credits, payments and pauses of one invoice; what was read
    # before the lock is read again under it (populate_existing), never used stale.
    if for_update:
        query = query.with_for_update(of=Invoice).execution_options(populate_existing=True)
    invoice = uow.session.scalar(query)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice


def find_invoice(uow: UnitOfWork, *, invoice_id: str | None = None, number: str | None = None) -> Invoice:
    """An invoice by id or number, whoever's it is: for mediators and the consumer portal,
    which check who may see it themselves. Scope() of the result names its merchant."""
    query = with_entries(select(Invoice))
    query = query.where(Invoice.id == invoice_id if invoice_id else Invoice.number == (number or "").strip().upper())
    invoice = uow.session.scalar(query)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id or number}.")
    return invoice


def consumer_invoices(uow: UnitOfWork, *, consumer_id: str, limit: int = 500) -> list[Invoice]:
    """A consumer's invoices at every merchant, newest first, with their entries."""
    return list(uow.session.scalars(with_entries(select(Invoice)).where(Invoice.consumer_id == consumer_id)
                                    .order_by(Invoice.issued_at.desc()).limit(limit)))


def get_credit_note(uow: UnitOfWork, *, scope: Scope, credit_note_id: str) -> CreditNote:
    """The merchant's credit note with its lines."""
    note = uow.session.scalar(
        select(CreditNote).options(selectinload(CreditNote.lines))
        .where(CreditNote.id == credit_note_id, CreditNote.merchant_id == scope.merchant_id,
               CreditNote.livemode == scope.livemode))
    if note is None:
        raise NotFound(f"No credit note {credit_note_id}.")
    return note


def list_invoices(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int,
                  status: str | None = None, order_id: str | None = None):
    """The merchant's invoices, newest first."""
    query = with_entries(select(Invoice)).where(
        Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)
    if status:
        query = query.where(Invoice.status == status)
    if order_id:
        query = query.where(Invoice.order_id == order_id)
    return pagination.page(uow.session, query, created_col=Invoice.created_at, id_col=Invoice.id,
                           cursor=cursor, limit=limit)


def with_entries(query):
    """The query loading each invoice with every entry it is summed from."""
    return query.options(selectinload(Invoice.lines),
                         selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
                         selectinload(Invoice.pauses), selectinload(Invoice.payments), selectinload(Invoice.fees),
                         selectinload(Invoice.extensions))


# --- the billing address -------------------------------------------------------------------

def change_billing_address(uow: UnitOfWork, *, scope: Scope, invoice_id: str, address: dict) -> Invoice:
    """Send an unpaid invoice (its PDF, reminders and letters) to a new address; the webshop
    is told. The address the invoice was issued to stays in the event, for the record."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if invoice.is_closed:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}; nothing more is sent for it.")
    previous = invoice.billed_to.get("address")
    if previous == address:
        return invoice
    invoice.billed_to = {**invoice.billed_to, "address": address}
    documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
    events.record(uow, scope=scope, type="invoice.billing_address_changed", subject_id=invoice.id,
                  data={"invoice_id": invoice.id, "previous_address": previous, "address": address})
    return invoice


# --- extensions: the due date moved later on request ----------------------------------------

MERCHANT, CONSUMER = "merchant", "consumer"


def extend(uow: UnitOfWork, *, scope: Scope, invoice_id: str, days: int, requested_by: str) -> Invoice:
    """Move the due date later. A consumer gets one free extension of the configured days,
    asked on or before the due date while nothing has been sent to chase them; a merchant
    may extend an open invoice by any 1 to 90 days."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if invoice.is_closed:
        raise Conflict(said("Invoice %(number)s is %(status)s: there is nothing left to pay.", number=invoice.number,
                            status=invoice.status))
    if requested_by == CONSUMER:
        days = _check_consumer_extension(uow, invoice)
    elif not 1 <= days <= 90:
        raise InvalidInput({"days": ["From 1 to 90 days."]})
    previous = invoice.due_date
    invoice.due_date = previous + timedelta(days=days)
    invoice.extensions.append(models.InvoiceExtension(requested_by=requested_by, days=days, previous_due_date=previous,
                                                      due_date=invoice.due_date, created_at=uow.now()))
    documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
    events.record(uow, scope=scope, type="invoice.due_date_changed", subject_id=invoice.id, data={
        "invoice_id": invoice.id, "previous_due_date": previous.isoformat(), "due_date": invoice.due_date.isoformat(),
        "reason": "extension", "requested_by": requested_by, "days": days})
    return invoice


def consumer_extension_offer(uow: UnitOfWork, invoice: Invoice) -> tuple[date | None, str | None]:
    """(the due date the consumer's extension would give, None) or (None, why it cannot be
    had now): for the portal to say up front."""
    try:
        days = _check_consumer_extension(uow, invoice)
    except Conflict as refusal:
        return None, refusal.detail
    return invoice.due_date + timedelta(days=days), None


def _check_consumer_extension(uow, invoice: Invoice) -> int:
    days = uow.settings.consumer_extension_days
    if days <= 0:
        raise Conflict(said("Extensions are not offered."))
    if invoice.is_closed:
        raise Conflict(said("Invoice %(number)s is %(status)s: there is nothing left to pay.", number=invoice.number,
                            status=invoice.status))
    if any(extension.requested_by == CONSUMER for extension in invoice.extensions):
        raise Conflict(said("Invoice %(number)s was already extended once.", number=invoice.number))
    if invoice.open_pause is not None:
        raise Conflict(said("Invoice %(number)s is on hold: nothing is due while it is.", number=invoice.number))
    if invoice.dunning_level > 0 or uow.today() > invoice.due_date:
        raise Conflict(said("The due date of invoice %(number)s has passed; an extension must be asked before it. "
                            "A payment plan may help instead.", number=invoice.number))
    return days


# --- pausing: one mechanism for returns, disputes, extensions and payment plans ----------

def pause_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, reason: str,
                  reference_id: str, max_days: int) -> InvoicePause | None:
    """Put the invoice on hold for a reason; a closed invoice needs no pause (None)."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if invoice.is_closed:
        return None
    now = uow.now()
    pause = InvoicePause(reason=reason, reference_id=reference_id, started_at=now,
                         ends_at=now + timedelta(days=max_days))
    if invoice.pause(pause):
        events.record(uow, scope=scope, type="invoice.paused", subject_id=invoice.id, data={
            "invoice_id": invoice.id, "reason": reason, "reference_id": reference_id,
            "ends_at": pause.ends_at.isoformat()})
    return pause


def lift_pauses(uow: UnitOfWork, *, scope: Scope, reference_id: str, by: str,
                due_on_or_after: date | None = None) -> None:
    """Lift every open pause made for this reference (a return, a dispute…). With
    due_on_or_after, an invoice that runs again is due no earlier than that day."""
    invoice_ids = uow.session.scalars(
        select(InvoicePause.invoice_id).join(Invoice)
        .where(InvoicePause.reference_id == reference_id, InvoicePause.lifted_at.is_(None),
               Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)).all()
    for invoice_id in invoice_ids:
        invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
        for pause in [p for p in invoice.pauses if p.reference_id == reference_id and p.lifted_at is None]:
            lift(uow, scope, invoice, pause, by, due_on_or_after)


def lift(uow: UnitOfWork, scope: Scope, invoice: Invoice, pause: InvoicePause, by: str,
         due_on_or_after: date | None = None) -> None:
    """Lift one pause of a locked invoice; it runs again, its PDF shows a moved due date."""
    previous_due = invoice.due_date
    days = invoice.lift(pause, at=uow.now(), by=by, tz=uow.settings.timezone)
    if days is not None and due_on_or_after and invoice.due_date < due_on_or_after:
        invoice.due_date = due_on_or_after
    if invoice.due_date != previous_due:  # the consumer's PDF should say so
        documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
    if days is not None:
        events.record(uow, scope=scope, type="invoice.resumed", subject_id=invoice.id, data={
            "invoice_id": invoice.id, "lifted_by": by, "paused_days": days,
            "previous_due_date": previous_due.isoformat(), "due_date": invoice.due_date.isoformat()})


# --- documents: drawn by invoices (drawings.py), stored and rendered by documents -----------

def invoice_document(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> Document:
    """The invoice's PDF as it stands now: stored, or rendered and stored."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id)
    return documents.document(uow, kind="invoice", subject_id=invoice.id)


def credit_note_document(uow: UnitOfWork, *, scope: Scope, credit_note_id: str) -> Document:
    """The credit note's PDF: stored, or rendered and stored."""
    note = get_credit_note(uow, scope=scope, credit_note_id=credit_note_id)
    return documents.document(uow, kind="credit_note", subject_id=note.id)


def einvoice_ubl(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> bytes:
    """The invoice as UBL 2.1 (EN 16931), for a business customer's bookkeeping."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id)
    return documents.ubl_xml(uow, kind="invoice", subject_id=invoice.id)


# --- what a message about an invoice shows -------------------------------------------------

@dataclass(frozen=True)
class InvoiceSummary:
    """An invoice as a message shows it and the send-time gate judges it, read from its row
    alone: status and what is owed are the columns the ledger keeps with every entry."""

    id: str
    number: str
    order_id: str
    status: str
    currency: str
    due_date: date
    balance_cents: int
    payment_reference: str
    billed_to: dict


@dataclass(frozen=True)
class CreditNoteSummary:
    id: str
    number: str
    invoice_id: str
    total_cents: int


def invoice_summary(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> InvoiceSummary:
    """One statement, no entries loaded: for the outbox worker, per message."""
    row = uow.session.execute(select(
        Invoice.id, Invoice.number, Invoice.order_id, Invoice.status, Invoice.currency, Invoice.due_date,
        Invoice.owed_cents, Invoice.payment_reference, Invoice.billed_to).where(
        Invoice.id == invoice_id, Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)).first()
    if row is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return InvoiceSummary(id=row.id, number=row.number, order_id=row.order_id, status=row.status,
                          currency=row.currency, due_date=row.due_date, balance_cents=max(row.owed_cents, 0),
                          payment_reference=row.payment_reference, billed_to=row.billed_to)


def credit_note_summary(uow: UnitOfWork, *, scope: Scope, credit_note_id: str) -> CreditNoteSummary:
    row = uow.session.execute(select(CreditNote.id, CreditNote.number, CreditNote.invoice_id, CreditNote.total_cents)
                              .where(CreditNote.id == credit_note_id, CreditNote.merchant_id == scope.merchant_id,
                                     CreditNote.livemode == scope.livemode)).first()
    if row is None:
        raise NotFound(f"No credit note {credit_note_id}.")
    return CreditNoteSummary(id=row.id, number=row.number, invoice_id=row.invoice_id, total_cents=row.total_cents)
