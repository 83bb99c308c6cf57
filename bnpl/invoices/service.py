"""Use cases for invoices: issue one for a shipment, move its due date, read them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Iterable

from sqlalchemy import and_, bindparam, case, exists, func, insert, literal, select, tuple_, update
from sqlalchemy.orm import selectinload

from bnpl import pagination
from bnpl.db import among, insert_ignoring_conflicts, new_id
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.documents import service as documents
from bnpl.documents.models import Document
from bnpl.invoices import models
from bnpl.invoices.models import (CreditNote, CreditNoteLine, Invoice,
                                  InvoiceFee, InvoiceLine, InvoicePause, InvoicePayment, NumberSeries)
from bnpl.invoices.schemas import CreditNoteSchema, InvoiceSchema
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_invoice_schema, _credit_note_schema = InvoiceSchema(), CreditNoteSchema()


@dataclass(frozen=True)
class LineToInvoice:
    reference: str
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int


def issue_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, order_id: str, shipment_id: str,
                  consumer_id: str, currency: str, billed_to: dict, seller: dict, order_reference: str,
                  lines: list[LineToInvoice],
                  shipped_on: date, delivered_on: date | None, transit_days: int,
                  term_days: int) -> Invoice:
    """Issue the invoice for one shipment: copied lines, next number, RF reference, due date."""
    now = uow.now()
    total = sum(line.unit_price_cents * line.quantity for line in lines)
    invoice = Invoice(
        id=invoice_id, merchant_id=scope.merchant_id, livemode=scope.livemode, order_id=order_id,
        shipment_id=shipment_id, consumer_id=consumer_id, status=models.OPEN, currency=currency,
        billed_to=billed_to, seller=seller, order_reference=order_reference, term_days=term_days,
        issued_at=now, created_at=now,
        total_cents=total, owed_cents=total,
        due_date=models.due_date(shipped_on=shipped_on, delivered_on=delivered_on,
                                 transit_days=transit_days, term_days=term_days),
        # A new invoice has none of these: empty lists spare a lazy load of each when it is dumped.
        credit_notes=[], pauses=[], payments=[], fees=[], extensions=[],
        lines=[InvoiceLine(position=i, order_line_reference=line.reference,
                           description=line.description, quantity=line.quantity,
                           unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp,
                           total_cents=line.unit_price_cents * line.quantity)
               for i, line in enumerate(lines)],
    )
    # The number is taken last: its row lock is then held for the shortest time.
    year = uow.today().year
    value = next_number(uow, series=models.series_name(scope.livemode, year))
    invoice.number = models.format_number(scope.livemode, year, value)
    invoice.payment_reference = models.rf_reference(invoice.number)
    uow.session.add(invoice)
    uow.session.flush()
    documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
    events.record(uow, scope=scope, type="invoice.issued", subject_id=invoice.id,
                  data=_invoice_schema.dump(invoice))
    return invoice


def next_number(uow: UnitOfWork, *, series: str) -> int:
    """The next value of a gap-free series; the caller's transaction holds it until commit."""
    connection = uow.session.connection()
    value = connection.execute(_INCREMENT, {"series": series}).scalar()
    if value is None:  # the first number of a new year
        insert_ignoring_conflicts(uow.session, NumberSeries.__table__, {"name": series, "last_value": 0},
                                  index_elements=["name"])
        value = connection.execute(_INCREMENT, {"series": series}).scalar_one()
    return value


_SERIES = NumberSeries.__table__
_INCREMENT = (update(_SERIES).where(_SERIES.c.name == bindparam("series"))
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


def get_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, for_update: bool = False) -> Invoice:
    query = _with_entries(select(Invoice)).where(
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
    query = _with_entries(select(Invoice))
    query = query.where(Invoice.id == invoice_id if invoice_id else Invoice.number == (number or "").strip().upper())
    invoice = uow.session.scalar(query)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id or number}.")
    return invoice


def consumer_and_due_date(uow: UnitOfWork, *, invoice_id: str) -> tuple[str, date]:
    """Whose invoice this is and when it is due (for the personal limit: paid on time or not)."""
    row = uow.session.execute(select(Invoice.consumer_id, Invoice.due_date).where(Invoice.id == invoice_id)).one_or_none()
    if row is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return row.consumer_id, row.due_date


def consumer_invoice_ids(uow: UnitOfWork, *, consumer_id: str, limit: int = 1000) -> list[str]:
    """The newest invoices of a consumer, at any merchant."""
    return list(uow.session.scalars(select(Invoice.id).where(Invoice.consumer_id == consumer_id)
                                    .order_by(Invoice.issued_at.desc()).limit(limit)))


def consumer_invoices(uow: UnitOfWork, *, consumer_id: str, limit: int = 500) -> list[Invoice]:
    """A consumer's invoices at every merchant, newest first, with their entries."""
    return list(uow.session.scalars(_with_entries(select(Invoice)).where(Invoice.consumer_id == consumer_id)
                                    .order_by(Invoice.issued_at.desc()).limit(limit)))


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


def billed_to(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> tuple[dict, str]:
    """Whom an invoice is addressed to, and its order; from memory when it was just issued."""
    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None or (invoice.merchant_id, invoice.livemode) != (scope.merchant_id, scope.livemode):
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice.billed_to, invoice.order_id


def billed_to_many(uow: UnitOfWork, *, invoice_ids: set[tuple[str, Scope]]) -> dict[str, tuple[dict, str]]:
    """billed_to for many invoices (id, the scope it must belong to) in one read; what this
    transaction already read under the invoice's lock (dunning_candidates) is not read again."""
    held = _locked_billing(uow)
    found = {invoice_id: held[invoice_id] for invoice_id, _ in invoice_ids if invoice_id in held}
    for chunk in _chunks(sorted({invoice_id for invoice_id, _ in invoice_ids} - set(found))):
        found.update((row.id, row) for row in uow.session.execute(
            select(_INVOICES.c.id, _INVOICES.c.merchant_id, _INVOICES.c.livemode, _INVOICES.c.billed_to,
                   _INVOICES.c.order_id).where(among(uow.session, _INVOICES.c.id, chunk))))
    for invoice_id, scope in invoice_ids:
        row = found.get(invoice_id)
        if row is None or (row.merchant_id, row.livemode) != (scope.merchant_id, scope.livemode):
            raise NotFound(f"No invoice {invoice_id}.")
    return {invoice_id: (row.billed_to, row.order_id) for invoice_id, row in found.items()}


def _locked_billing(uow) -> dict:
    """This transaction's invoice rows read under lock (id -> row); a new transaction starts
    empty, since the lock ended with the old one."""
    transaction = uow.session.get_transaction()
    held = uow.session.info.get("bnpl.invoices.locked_billing")
    if held is None or held[0] is not transaction:
        held = uow.session.info["bnpl.invoices.locked_billing"] = (transaction, {})
    return held[1]


def _with_entries(query):
    return query.options(selectinload(Invoice.lines),
                         selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
                         selectinload(Invoice.pauses), selectinload(Invoice.payments), selectinload(Invoice.fees),
                         selectinload(Invoice.extensions))


# --- extensions: the due date moved later on request ----------------------------------------

MERCHANT, CONSUMER = "merchant", "consumer"


def extend(uow: UnitOfWork, *, scope: Scope, invoice_id: str, days: int, requested_by: str) -> Invoice:
    """Move the due date later. A consumer gets one free extension of the configured days,
    asked on or before the due date while nothing has been sent to chase them; a merchant
    may extend an open invoice by any 1 to 90 days."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if invoice.is_closed:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}: there is nothing left to pay.")
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
        raise Conflict("Extensions are not offered.")
    if invoice.is_closed:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}: there is nothing left to pay.")
    if any(extension.requested_by == CONSUMER for extension in invoice.extensions):
        raise Conflict(f"Invoice {invoice.number} was already extended once.")
    if invoice.open_pause is not None:
        raise Conflict(f"Invoice {invoice.number} is on hold: nothing is due while it is.")
    if invoice.dunning_level > 0 or uow.today() > invoice.due_date:
        raise Conflict(f"The due date of invoice {invoice.number} has passed; an extension must be asked before it. "
                       "A payment plan may help instead.")
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
            _lift(uow, scope, invoice, pause, by, due_on_or_after)


def _lift(uow, scope, invoice: Invoice, pause: InvoicePause, by: str, due_on_or_after: date | None = None) -> None:
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


# --- payments -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PayableInvoice:
    id: str
    scope: Scope
    number: str
    consumer_id: str
    payment_reference: str
    due_date: date
    balance_cents: int
    paid_cents: int
    refund_owed_cents: int
    billed_name: str


def payable_invoices(uow: UnitOfWork, *, references: Iterable[str] = (),
                     numbers: Iterable[str] = ()) -> dict[str, PayableInvoice]:
    """The invoices payments name (any merchant), keyed by the RF reference or number named."""
    found: dict[str, PayableInvoice] = {}
    for column, keys, key_of in ((Invoice.payment_reference, references, attrgetter("payment_reference")),
                                 (Invoice.number, numbers, attrgetter("number"))):
        for chunk in _chunks(sorted(set(keys))):
            found.update((key_of(p), p) for p in _payable(uow, among(uow.session, column, chunk)))
    return found


def find_payable(uow: UnitOfWork, *, payment_reference: str | None = None,
                 number: str | None = None) -> PayableInvoice | None:
    """The invoice a payment names, by its RF reference or its number (any merchant)."""
    key = payment_reference or number
    if not key:
        return None
    found = payable_invoices(uow, references=[payment_reference] if payment_reference else [],
                             numbers=[number] if number and not payment_reference else [])
    return found.get(key)


def payable_by_amount(uow: UnitOfWork, *, amounts: Iterable[int]) -> list[PayableInvoice]:
    """Open or paused invoices whose balance is exactly one of these amounts: candidates for
    a match that a person confirms."""
    found = []
    for chunk in _chunks(sorted({a for a in amounts if a > 0})):
        found += _payable(uow, among(uow.session, Invoice.owed_cents, chunk), Invoice.status.in_((models.OPEN, models.PAUSED)))
    return found


def open_due_invoices(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool,
                      due_by: date) -> list[PayableInvoice]:
    """Open invoices (not paused, not closed) of these consumers, due on or before a date."""
    found = []
    for chunk in _chunks(consumer_ids):
        found += _payable(uow, Invoice.consumer_id.in_(chunk), Invoice.livemode == livemode,
                          Invoice.status == models.OPEN, Invoice.due_date <= due_by)
    return sorted(found, key=lambda p: (p.due_date, p.number))


def overpaid_invoices(uow: UnitOfWork, *, invoice_ids: list[str]) -> list[PayableInvoice]:
    """Of these invoices, those paid beyond what they owe (a refund is owed)."""
    found = []
    for chunk in _chunks(invoice_ids):
        found += _payable(uow, Invoice.id.in_(chunk), Invoice.status.in_((models.PAID, models.CREDITED)),
                          Invoice.owed_cents < 0)
    return found


def _chunks(values: list, size: int = 1000):
    return (values[start:start + size] for start in range(0, len(values), size))


# The figures of a payable invoice summed from its entries (invoiced and charged, credited,
# paid), not read from the cache.
_CREDITED = (select(func.coalesce(func.sum(CreditNote.total_cents), 0))
             .where(CreditNote.invoice_id == Invoice.id).scalar_subquery())
_PAID = (select(func.coalesce(func.sum(InvoicePayment.amount_cents), 0))
         .where(InvoicePayment.invoice_id == Invoice.id).scalar_subquery())
_CHARGED = (select(func.coalesce(func.sum(InvoiceFee.amount_cents), 0))
            .where(InvoiceFee.invoice_id == Invoice.id, InvoiceFee.waived_at.is_(None)).scalar_subquery())
_PAYABLE = select(Invoice.id, Invoice.merchant_id, Invoice.livemode, Invoice.number, Invoice.consumer_id,
                  Invoice.payment_reference, (Invoice.total_cents + _CHARGED).label("owed_in_all"),
                  Invoice.due_date, Invoice.billed_to, _CREDITED.label("credited"), _PAID.label("paid"))


def _payable(uow, *where) -> list[PayableInvoice]:
    return [PayableInvoice(id=row.id, scope=Scope(row.merchant_id, row.livemode), number=row.number,
                           consumer_id=row.consumer_id, payment_reference=row.payment_reference,
                           due_date=row.due_date, balance_cents=max(row.owed_in_all - row.credited - row.paid, 0),
                           paid_cents=row.paid, refund_owed_cents=max(row.credited + row.paid - row.owed_in_all, 0),
                           billed_name=row.billed_to.get("name", ""))
            for row in uow.session.execute(_PAYABLE.where(*where))]


def apply_payment(uow: UnitOfWork, *, scope: Scope, invoice_id: str, payment_id: str, method: str,
                  amount: int, paid_on: date) -> Invoice:
    """Apply money to the invoice. Paid in full closes it (its open pauses but a dispute's end, the send-time
    gate holds back any "please pay"); more than owed becomes a refund owed. A negative
    amount is money the bank took back (a returned direct debit): the invoice reopens."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if any(p.payment_id == payment_id for p in invoice.payments):
        return invoice  # the same payment reported again
    invoice.payments.append(InvoicePayment(payment_id=payment_id, method=method, amount_cents=amount,
                                           paid_on=paid_on, booked_at=uow.now()))
    invoice.refresh_status()
    if invoice.is_closed:
        # A running dispute keeps its pause: should the bank take the money back, the invoice
        # is on hold again, not chased while the mediators decide.
        for pause in [p for p in invoice.pauses if p.lifted_at is None and p.reason != "dispute"]:
            _lift(uow, scope, invoice, pause, by="invoice paid")
    uow.session.flush()
    payment = PaymentToApply(invoice_id, payment_id, method, amount, paid_on)
    _after_payments(uow, [(scope, payment, invoice.owed_cents, invoice.status)])
    return invoice


@dataclass(frozen=True)
class PaymentToApply:
    invoice_id: str
    payment_id: str  # new: apply_payments does not look for the same payment reported twice
    method: str
    amount: int
    paid_on: date


def apply_payments(uow: UnitOfWork, *, payments: list[PaymentToApply]) -> None:
    """apply_payment for a batch of new payments (a bank statement), in the caller's
    transaction. The bulk of it, money coming in on a running invoice, takes one lock, one
    insert and one update for the whole batch; the rest (a paused or closed invoice, money
    taken back) goes through apply_payment one by one."""
    by_invoice: dict[str, list[PaymentToApply]] = {}
    for payment in payments:
        by_invoice.setdefault(payment.invoice_id, []).append(payment)
    running = _lock_running(uow, list(by_invoice))
    one_by_one = {invoice_id for invoice_id, applied in by_invoice.items()
                  if invoice_id not in running or any(p.amount <= 0 for p in applied)}
    for invoice_id in one_by_one:
        held = running.pop(invoice_id, None)
        scope = Scope(held[0], held[1]) if held else _scope_of(uow, invoice_id)
        for p in by_invoice[invoice_id]:
            apply_payment(uow, scope=scope, invoice_id=invoice_id, payment_id=p.payment_id, method=p.method,
                          amount=p.amount, paid_on=p.paid_on)
    _apply_to_running(uow, [p for p in payments if p.invoice_id not in one_by_one], running)


_INVOICES = Invoice.__table__


def _lock_running(uow, invoice_ids: list[str]) -> dict[str, tuple]:
    """Lock the invoices (in id order, so two imports cannot deadlock); of those running
    (open: not paused, not closed) return (merchant, livemode, owed)."""
    running = {}
    for chunk in _chunks(sorted(invoice_ids)):
        rows = uow.session.execute(
            select(_INVOICES.c.id, _INVOICES.c.merchant_id, _INVOICES.c.livemode, _INVOICES.c.status,
                   _INVOICES.c.owed_cents).where(among(uow.session, _INVOICES.c.id, chunk)).order_by(_INVOICES.c.id).with_for_update())
        running.update((r.id, (r.merchant_id, r.livemode, r.owed_cents)) for r in rows if r.status == models.OPEN)
    return running


def _scope_of(uow, invoice_id: str) -> Scope:
    row = uow.session.execute(select(_INVOICES.c.merchant_id, _INVOICES.c.livemode)
                              .where(_INVOICES.c.id == invoice_id)).one_or_none()
    if row is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return Scope(row.merchant_id, row.livemode)


_UPDATE_RUNNING = (update(_INVOICES).where(_INVOICES.c.id == bindparam("b_id"))
                   .values(status=bindparam("b_status"), owed_cents=bindparam("b_owed")))


def _apply_to_running(uow, payments: list[PaymentToApply], running: dict[str, tuple]) -> None:
    """Money in on open invoices: what Invoice.refresh_status derives, from the cached figure.
    An open invoice has no open pause and is not fully credited, so what is owed alone
    decides: nothing left, paid; else still open."""
    if not payments:
        return
    now, entries, applied, owed_now = uow.now(), [], [], {}
    for payment in payments:
        merchant_id, livemode, owed = running[payment.invoice_id]
        owed = owed_now[payment.invoice_id] = owed_now.get(payment.invoice_id, owed) - payment.amount
        entries.append(dict(invoice_id=payment.invoice_id, payment_id=payment.payment_id, method=payment.method,
                            amount_cents=payment.amount, paid_on=payment.paid_on, booked_at=now))
        applied.append((Scope(merchant_id, livemode), payment, owed, _running_status(owed)))
    uow.session.execute(insert(InvoicePayment.__table__), entries)
    uow.session.execute(_UPDATE_RUNNING, [dict(b_id=invoice_id, b_owed=owed, b_status=_running_status(owed))
                                          for invoice_id, owed in owed_now.items()])
    _expire_invoices(uow, set(owed_now))
    _after_payments(uow, applied)


def _running_status(owed: int) -> str:
    return models.PAID if owed <= 0 else models.OPEN


def _expire_invoices(uow, invoice_ids: set[str]) -> None:
    """Invoices the session holds were changed behind its back: read them again when used."""
    for held in [o for o in uow.session.identity_map.values() if isinstance(o, Invoice) and o.id in invoice_ids]:
        uow.session.expire(held)


def _after_payments(uow, applied: list[tuple[Scope, PaymentToApply, int, str]]) -> None:
    """The events of applied payments; a new PDF where money is still owed (the consumer
    pays the rest from it), while a closed invoice's is rendered when someone asks for it."""
    documents.request_renderings(uow, kind="invoice", subject_ids=sorted(
        {payment.invoice_id for _, payment, owed, _ in applied if owed > 0}))
    events.record_many(uow, [events.NewEvent(scope, _payment_event(p.method, p.amount), p.payment_id, {
        "payment_id": p.payment_id, "invoice_id": p.invoice_id, "amount": p.amount, "method": p.method,
        "paid_on": p.paid_on.isoformat(), "balance": max(owed, 0), "refund_owed": max(-owed, 0), "status": status})
        for scope, p, owed, status in applied])


def _payment_event(method: str, amount: int) -> str:
    if amount > 0:
        return "payment.received"
    return "refund.paid" if method == "refund" else "payment.reversed"


# --- credit notes -------------------------------------------------------------------------

@dataclass(frozen=True)
class LineToCredit:
    reference: str | None
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int


def credit_lines(uow: UnitOfWork, *, scope: Scope, invoice_id: str, lines: list[LineToCredit],
                 reason: str, return_id: str | None = None) -> CreditNote:
    """Credit invoiced lines (returned goods) with a numbered credit note. When earlier amount
    credits already took part of the invoice, a closing line deducts that part again, so
    the invoice is never credited beyond what it billed."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    per_rate = models.gross_per_rate(lines)
    excess = sum(per_rate.values()) - invoice.creditable_cents
    if excess > 0:
        lines = lines + [LineToCredit(reference=None, description="Less the amount credited before",
                                      quantity=1, unit_price_cents=-cents, vat_rate_bp=rate)
                         for rate, cents in sorted(models.split_over_rates(excess, per_rate).items(), reverse=True)]
    return _issue_credit_note(uow, scope, invoice, lines, kind="return", reason=reason, return_id=return_id)


def credit_amount(uow: UnitOfWork, *, scope: Scope, invoice_id: str, amount: int, reason: str) -> CreditNote:
    """Credit an amount not tied to lines (goodwill, a damaged item kept at a discount);
    it is split over the VAT rates still on the invoice, in proportion."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if amount > invoice.creditable_cents:
        raise Conflict(f"At most {invoice.creditable_cents} cents of this invoice can still be credited; "
                       f"you asked for {amount}.", creditable=invoice.creditable_cents)
    remaining = invoice.creditable_per_rate()
    shares = models.split_over_rates(amount, {rate: gross for rate, gross in remaining.items() if gross > 0})
    lines = [LineToCredit(reference=None, description=reason, quantity=1, unit_price_cents=cents,
                          vat_rate_bp=rate) for rate, cents in sorted(shares.items(), reverse=True)]
    return _issue_credit_note(uow, scope, invoice, lines, kind="amount", reason=reason)


def _issue_credit_note(uow, scope, invoice: Invoice, lines: list[LineToCredit], *, kind: str,
                       reason: str, return_id: str | None = None) -> CreditNote:
    total = sum(line.unit_price_cents * line.quantity for line in lines)
    if total > invoice.creditable_cents:
        raise Conflict(f"This credit of {total} cents is more than the {invoice.creditable_cents} "
                       "cents that can still be credited.", creditable=invoice.creditable_cents)
    now = uow.now()
    note = CreditNote(merchant_id=scope.merchant_id, livemode=scope.livemode, kind=kind, reason=reason,
                      return_id=return_id, total_cents=total, issued_at=now, created_at=now,
                      lines=[CreditNoteLine(position=i, reference=line.reference, description=line.description,
                                            quantity=line.quantity, unit_price_cents=line.unit_price_cents,
                                            vat_rate_bp=line.vat_rate_bp,
                                            total_cents=line.unit_price_cents * line.quantity)
                             for i, line in enumerate(lines)])
    year = uow.today().year
    value = next_number(uow, series=models.credit_note_series(scope.livemode, year))
    note.number = models.format_number(scope.livemode, year, value, prefix="CN-")
    invoice.credit_notes.append(note)
    if invoice.creditable_cents == 0:  # nothing was kept: no costs or interest for paying it late
        for fee in [fee for fee in invoice.fees if fee.waived_at is None]:
            fee.waived_at, fee.waiver_reason = now, "invoice fully credited"
    invoice.refresh_status()
    if invoice.is_closed:  # nothing is left to wait for
        for pause in [p for p in invoice.pauses if p.lifted_at is None]:
            _lift(uow, scope, invoice, pause, by="invoice closed")
    uow.session.flush()
    documents.request_rendering(uow, kind="credit_note", subject_id=note.id)
    documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)  # its new balance
    events.record(uow, scope=scope, type="credit_note.issued", subject_id=note.id,
                  data=_credit_note_schema.dump(note))
    return note


# --- fee waivers ----------------------------------------------------------------------------

def waive_fees(uow: UnitOfWork, *, scope: Scope, invoice_id: str, fee_ids: list[str] | None,
               reason: str) -> Invoice:
    """Waive collection costs or interest (default: every fee not yet waived). The rows stay,
    with when and why; their amounts leave the balance, which may close the invoice."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    fees = _fees_to_waive(invoice, fee_ids)
    now = uow.now()
    for fee in fees:
        fee.waived_at, fee.waiver_reason = now, reason
    invoice.refresh_status()
    if invoice.is_closed:  # nothing is left to wait for, as when paid
        for pause in [p for p in invoice.pauses if p.lifted_at is None]:
            _lift(uow, scope, invoice, pause, by="fees waived")
    if invoice.balance_cents > 0:  # the consumer pays the rest from the PDF: it must show the new amount
        documents.request_rendering(uow, kind="invoice", subject_id=invoice.id)
    events.record(uow, scope=scope, type="invoice.fees_waived", subject_id=invoice.id, data={
        "invoice_id": invoice.id, "reason": reason, "waived": sum(fee.amount_cents for fee in fees),
        "fees": [{"id": fee.id, "kind": fee.kind, "amount": fee.amount_cents} for fee in fees],
        "balance": invoice.balance_cents, "refund_owed": invoice.refund_owed_cents, "status": invoice.status})
    return invoice


def _fees_to_waive(invoice: Invoice, fee_ids: list[str] | None) -> list[InvoiceFee]:
    if not invoice.fees:
        raise Conflict(f"Invoice {invoice.id} has no fees to waive.")
    if fee_ids is None:
        fees = [fee for fee in invoice.fees if fee.waived_at is None]
        if not fees:
            raise Conflict(f"Every fee on invoice {invoice.id} is already waived.")
        return fees
    _check_named_fees(invoice, fee_ids)
    fees = [next(fee for fee in invoice.fees if fee.id == fee_id) for fee_id in fee_ids]
    waived = [fee.id for fee in fees if fee.waived_at is not None]
    if waived:
        raise Conflict(f"Already waived: {', '.join(waived)}; nothing was changed.", waived=waived)
    return fees


def _check_named_fees(invoice: Invoice, fee_ids: list[str]) -> None:
    """Every id names a fee of this invoice, once. Another invoice's fee is unknown here."""
    known, errors = {fee.id for fee in invoice.fees}, {}
    for position, fee_id in enumerate(fee_ids):
        if fee_id not in known:
            errors[f"fees.{position}"] = [f"Invoice {invoice.id} has no fee {fee_id}."]
        elif fee_id in fee_ids[:position]:
            errors[f"fees.{position}"] = [f"Fee {fee_id} is named twice."]
    if errors:
        raise InvalidInput(errors)


def get_credit_note(uow: UnitOfWork, *, scope: Scope, credit_note_id: str) -> CreditNote:
    note = uow.session.scalar(
        select(CreditNote).options(selectinload(CreditNote.lines))
        .where(CreditNote.id == credit_note_id, CreditNote.merchant_id == scope.merchant_id,
               CreditNote.livemode == scope.livemode))
    if note is None:
        raise NotFound(f"No credit note {credit_note_id}.")
    return note


@dataclass(frozen=True)
class InvoicedLine:
    invoice_id: str
    reference: str
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int


def invoiced_lines(uow: UnitOfWork, *, scope: Scope, order_id: str) -> list[InvoicedLine]:
    """Every invoiced line of an order, oldest invoice first (returns are credited in that order)."""
    rows = uow.session.execute(
        select(Invoice.id, InvoiceLine).join(InvoiceLine)
        .where(Invoice.order_id == order_id, Invoice.merchant_id == scope.merchant_id,
               Invoice.livemode == scope.livemode)
        .order_by(Invoice.issued_at, Invoice.number, InvoiceLine.position)).all()
    return [InvoicedLine(invoice_id=invoice_id, reference=line.order_line_reference,
                         description=line.description, quantity=line.quantity,
                         unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp)
            for invoice_id, line in rows]


def list_invoices(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int,
                  status: str | None = None, order_id: str | None = None):
    """The merchant's invoices, newest first."""
    query = _with_entries(select(Invoice)).where(
        Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)
    if status:
        query = query.where(Invoice.status == status)
    if order_id:
        query = query.where(Invoice.order_id == order_id)
    return pagination.page(uow.session, query, created_col=Invoice.created_at, id_col=Invoice.id,
                           cursor=cursor, limit=limit)


@dataclass(frozen=True)
class Exposure:
    open_cents: int   # still owed on invoices that are open or paused
    overdue: int      # open invoices past their due date


def exposure(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool, today: date) -> Exposure:
    """What these consumers still owe at every webshop, and how many invoices are overdue
    (paused ones owe but are not overdue: a return or a dispute holds them)."""
    if not consumer_ids:
        return Exposure(0, 0)
    owed, overdue = uow.session.execute(select(
        func.coalesce(func.sum(Invoice.owed_cents), 0),
        func.coalesce(func.sum(case((and_(Invoice.status == models.OPEN, Invoice.due_date < today), 1), else_=0)), 0))
        .where(among(uow.session, Invoice.consumer_id, consumer_ids), Invoice.livemode == livemode,
               Invoice.status.in_((models.OPEN, models.PAUSED)))).one()
    return Exposure(max(int(owed), 0), int(overdue))


def consumer_has_overdue(uow: UnitOfWork, *, consumer_id: str, livemode: bool, today: date) -> bool:
    """Whether the consumer has an open invoice past its due date, at any webshop (the rules
    before risk, which bench/risk_sim.py still times beside risk's decision)."""
    return uow.session.scalar(select(exists().where(
        Invoice.consumer_id == consumer_id, Invoice.livemode == livemode,
        Invoice.status == models.OPEN, Invoice.due_date < today)))


@dataclass(frozen=True)
class PaidHistory:
    without_reminder: int  # paid in full before dunning sent anything
    after_reminder: int    # paid in full after a reminder or more


def paid_history(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool) -> PaidHistory:
    """How these consumers paid their invoices so far (for a person risk meets for the first
    time who already has a history with us)."""
    if not consumer_ids:
        return PaidHistory(0, 0)
    clean, late = uow.session.execute(select(
        func.coalesce(func.sum(case((Invoice.dunning_level == 0, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Invoice.dunning_level > 0, 1), else_=0)), 0))
        .where(among(uow.session, Invoice.consumer_id, consumer_ids), Invoice.livemode == livemode,
               Invoice.status == models.PAID)).one()
    return PaidHistory(int(clean), int(late))


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


# --- what was issued when (settlements) ---------------------------------------------------

def issued_totals(uow: UnitOfWork, *, since: datetime, until: datetime):
    """Per merchant, mode and currency: invoice totals and credit-note totals issued in
    [since, until). Two lists of (merchant_id, livemode, currency, cents)."""
    invoiced = uow.session.execute(
        select(Invoice.merchant_id, Invoice.livemode, Invoice.currency, func.sum(Invoice.total_cents))
        .where(Invoice.issued_at >= since, Invoice.issued_at < until)
        .group_by(Invoice.merchant_id, Invoice.livemode, Invoice.currency)).all()
    credited = uow.session.execute(
        select(CreditNote.merchant_id, CreditNote.livemode, Invoice.currency, func.sum(CreditNote.total_cents))
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.issued_at >= since, CreditNote.issued_at < until)
        .group_by(CreditNote.merchant_id, CreditNote.livemode, Invoice.currency)).all()
    return invoiced, credited


def issued_counts(uow: UnitOfWork, *, since: datetime, until: datetime, scope: Scope | None = None) -> dict[str, int]:
    """How many invoices each merchant issued in [since, until)."""
    query = (select(Invoice.merchant_id, func.count()).where(Invoice.issued_at >= since, Invoice.issued_at < until)
             .group_by(Invoice.merchant_id))
    if scope:
        query = query.where(Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)
    return dict(uow.session.execute(query).all())


def issued_documents(uow: UnitOfWork, *, scope: Scope, since: datetime, until: datetime):
    """The merchant's invoices (number, issued_at, total) and credit notes (number,
    issued_at, total, invoice number) issued in [since, until)."""
    issued = uow.session.execute(
        select(Invoice.number, Invoice.issued_at, Invoice.total_cents)
        .where(Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode,
               Invoice.issued_at >= since, Invoice.issued_at < until)
        .order_by(Invoice.issued_at, Invoice.number)).all()
    notes = uow.session.execute(
        select(CreditNote.number, CreditNote.issued_at, CreditNote.total_cents, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.merchant_id == scope.merchant_id, CreditNote.livemode == scope.livemode,
               CreditNote.issued_at >= since, CreditNote.issued_at < until)
        .order_by(CreditNote.issued_at, CreditNote.number)).all()
    return issued, notes


# --- dunning: the invoices it looks at, and the levels and fees it adds ---------------------

@dataclass(frozen=True)
class DunningCandidate:
    id: str
    scope: Scope
    number: str
    currency: str
    due_date: date
    owed_cents: int  # fees included
    dunning_level: int
    customer_type: str  # consumer | business
    billed_to: dict
    order_id: str


def dunning_candidates(uow: UnitOfWork, *, due_by: date, after: tuple[date, str], limit: int) -> list[DunningCandidate]:
    """Open invoices due on or before a date, in (due date, id) order after `after`, locked
    for this transaction; rows another run holds are skipped (it is dealing with them). The
    order is the partial index's, so a batch reads just its own rows."""
    key = tuple_(_INVOICES.c.due_date, _INVOICES.c.id)
    rows = uow.session.execute(
        select(_INVOICES.c.id, _INVOICES.c.merchant_id, _INVOICES.c.livemode, _INVOICES.c.number,
               _INVOICES.c.currency, _INVOICES.c.due_date, _INVOICES.c.owed_cents, _INVOICES.c.dunning_level,
               _INVOICES.c.billed_to, _INVOICES.c.order_id)
        .where(_INVOICES.c.status == models.OPEN, _INVOICES.c.due_date <= due_by,
               key > tuple_(literal(after[0]), literal(after[1])))
        .order_by(_INVOICES.c.due_date, _INVOICES.c.id).limit(limit).with_for_update(skip_locked=True)).all()
    _locked_billing(uow).update((r.id, r) for r in rows)
    return [DunningCandidate(id=r.id, scope=Scope(r.merchant_id, r.livemode), number=r.number, currency=r.currency,
                             due_date=r.due_date, owed_cents=r.owed_cents, dunning_level=r.dunning_level,
                             customer_type="business" if r.billed_to.get("type") == "business" else "consumer",
                             billed_to=r.billed_to, order_id=r.order_id) for r in rows]


@dataclass(frozen=True)
class OwedNow:
    """An invoice's status and what it owes, as the cached columns say (no lock, no entries)."""

    status: str
    owed_cents: int

    @property
    def is_closed(self) -> bool:
        return self.status in (models.PAID, models.CREDITED)

    @property
    def balance_cents(self) -> int:
        return max(self.owed_cents, 0)


def owed_now(uow: UnitOfWork, *, invoice_ids: list[str]) -> dict[str, OwedNow]:
    """OwedNow of many invoices in one read: a cheap first look before locking any of them."""
    found = {}
    for chunk in _chunks(sorted(set(invoice_ids))):
        found.update((row.id, OwedNow(row.status, row.owed_cents)) for row in uow.session.execute(
            select(_INVOICES.c.id, _INVOICES.c.status, _INVOICES.c.owed_cents).where(_INVOICES.c.id.in_(chunk))))
    return found


@dataclass(frozen=True)
class ChargedSoFar:
    fees_cents: int  # collection costs and interest, not waived
    interest_through: date | None  # the last day interest was charged for


def charged_so_far(uow: UnitOfWork, *, invoice_ids: list[str]) -> dict[str, ChargedSoFar]:
    """What dunning has charged each of these invoices (those with nothing are left out)."""
    fee = InvoiceFee.__table__.c
    found = {}
    for chunk in _chunks(invoice_ids):
        # A waived interest charge still covers its days: they are forgiven, not charged again.
        unwaived = case((fee.waived_at.is_(None), fee.amount_cents), else_=0)
        rows = uow.session.execute(
            select(fee.invoice_id, func.sum(unwaived).label("fees"), func.max(fee.period_end).label("through"))
            .where(among(uow.session, fee.invoice_id, chunk)).group_by(fee.invoice_id))
        found.update((r.invoice_id, ChargedSoFar(r.fees, r.through)) for r in rows)
    return found


@dataclass(frozen=True)
class NewFee:
    kind: str  # collection_costs | interest
    amount_cents: int
    basis: str
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class LevelReached:
    invoice_id: str
    level: int
    fees: tuple[NewFee, ...] = ()


_REACH_LEVEL = (update(_INVOICES).where(_INVOICES.c.id == bindparam("b_id"))
                .values(dunning_level=bindparam("b_level"), owed_cents=_INVOICES.c.owed_cents + bindparam("b_fees")))


def reach_dunning_levels(uow: UnitOfWork, *, reached: list[LevelReached]) -> None:
    """Record the level each invoice reached and the fees it adds, for invoices the caller
    locked (dunning_candidates). They stay open: a fee only raises what is owed."""
    if not reached:
        return
    now = uow.now()
    fees = [dict(id=new_id("fee"), invoice_id=r.invoice_id, kind=f.kind, amount_cents=f.amount_cents, basis=f.basis,
                 period_start=f.period_start, period_end=f.period_end, dunning_level=r.level, charged_at=now)
            for r in reached for f in r.fees if f.amount_cents > 0]
    if fees:
        uow.session.execute(insert(InvoiceFee.__table__), fees)
    uow.session.execute(_REACH_LEVEL, [dict(b_id=r.invoice_id, b_level=r.level,
                                            b_fees=sum(f.amount_cents for f in r.fees if f.amount_cents > 0))
                                       for r in reached])
    _expire_invoices(uow, {r.invoice_id for r in reached})
