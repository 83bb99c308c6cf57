"""Use cases for invoices: issue one for a shipment, move its due date, read them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import selectinload

from bnpl import pagination
from bnpl.db import insert_ignoring_conflicts
from bnpl.errors import Conflict, NotFound
from bnpl.events import service as events
from bnpl.merchants import service as merchants
from bnpl.invoices import documents, models
from bnpl.invoices.models import (CreditNote, CreditNoteLine, Document, DocumentRequest, Invoice,
                                  InvoiceLine, InvoicePause, InvoicePayment, NumberSeries)
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
        credit_notes=[], pauses=[],
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
    documents.request_rendering(uow, subject_type="invoice", subject_id=invoice.id)
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
        documents.request_rendering(uow, subject_type="invoice", subject_id=invoice.id)
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


def billed_to(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> tuple[dict, str]:
    """Whom an invoice is addressed to, and its order; from memory when it was just issued."""
    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None or (invoice.merchant_id, invoice.livemode) != (scope.merchant_id, scope.livemode):
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice.billed_to, invoice.order_id


def _with_entries(query):
    return query.options(selectinload(Invoice.lines),
                         selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
                         selectinload(Invoice.pauses), selectinload(Invoice.payments))


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


def lift_pauses(uow: UnitOfWork, *, scope: Scope, reference_id: str, by: str) -> None:
    """Lift every open pause made for this reference (a return, a dispute…)."""
    invoice_ids = uow.session.scalars(
        select(InvoicePause.invoice_id).join(Invoice)
        .where(InvoicePause.reference_id == reference_id, InvoicePause.lifted_at.is_(None),
               Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)).all()
    for invoice_id in invoice_ids:
        invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
        for pause in [p for p in invoice.pauses if p.reference_id == reference_id and p.lifted_at is None]:
            _lift(uow, scope, invoice, pause, by)


def _lift(uow, scope, invoice: Invoice, pause: InvoicePause, by: str) -> None:
    previous_due = invoice.due_date
    days = invoice.lift(pause, at=uow.now(), by=by, tz=uow.settings.timezone)
    if days:  # the due date moved: the consumer's PDF should say so
        documents.request_rendering(uow, subject_type="invoice", subject_id=invoice.id)
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
    balance_cents: int
    paid_cents: int
    refund_owed_cents: int
    billed_name: str


def find_payable(uow: UnitOfWork, *, payment_reference: str | None = None,
                 number: str | None = None) -> PayableInvoice | None:
    """The invoice a payment names, by its RF reference or its number (any merchant)."""
    query = _with_entries(select(Invoice))
    if payment_reference:
        query = query.where(Invoice.payment_reference == payment_reference)
    elif number:
        query = query.where(Invoice.number == number)
    else:
        return None
    invoice = uow.session.scalar(query)
    return _payable(invoice) if invoice else None


def payable_candidates(uow: UnitOfWork, *, balance: int, limit: int = 200) -> list[PayableInvoice]:
    """Open invoices whose balance is exactly this amount: candidates for a person to confirm."""
    invoices = uow.session.scalars(_with_entries(select(Invoice)).where(
        Invoice.status.in_((models.OPEN, models.PAUSED)), Invoice.total_cents >= balance)
        .order_by(Invoice.due_date).limit(limit))
    return [_payable(i) for i in invoices if i.balance_cents == balance]


def open_due_invoices(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool,
                      due_by: date) -> list[PayableInvoice]:
    """Open invoices (not paused, not closed) of these consumers, due on or before a date."""
    if not consumer_ids:
        return []
    rows = uow.session.scalars(_with_entries(select(Invoice)).where(
        Invoice.consumer_id.in_(consumer_ids), Invoice.livemode == livemode,
        Invoice.status == models.OPEN, Invoice.due_date <= due_by).order_by(Invoice.due_date, Invoice.number))
    return [_payable(invoice) for invoice in rows]


def overpaid_invoices(uow: UnitOfWork, *, invoice_ids: list[str]) -> list[PayableInvoice]:
    """Of these invoices, those paid beyond what they owe (a refund is owed)."""
    found = []
    for start in range(0, len(invoice_ids), 1000):
        rows = uow.session.scalars(_with_entries(select(Invoice)).where(
            Invoice.id.in_(invoice_ids[start:start + 1000]), Invoice.status.in_((models.PAID, models.CREDITED))))
        found += [_payable(invoice) for invoice in rows if invoice.refund_owed_cents > 0]
    return found


def _payable(invoice: Invoice) -> PayableInvoice:
    return PayableInvoice(id=invoice.id, scope=Scope(invoice.merchant_id, invoice.livemode), number=invoice.number,
                          consumer_id=invoice.consumer_id, payment_reference=invoice.payment_reference,
                          balance_cents=invoice.balance_cents, paid_cents=invoice.paid_cents,
                          refund_owed_cents=invoice.refund_owed_cents,
                          billed_name=invoice.billed_to.get("name", ""))


def apply_payment(uow: UnitOfWork, *, scope: Scope, invoice_id: str, payment_id: str, method: str,
                  amount: int, paid_on: date) -> Invoice:
    """Apply money to the invoice. Paid in full closes it (its open pauses end, the send-time
    gate holds back any "please pay"); more than owed becomes a refund owed. A negative
    amount is money the bank took back (a returned direct debit): the invoice reopens."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    if any(p.payment_id == payment_id for p in invoice.payments):
        return invoice  # the same payment reported again
    invoice.payments.append(InvoicePayment(payment_id=payment_id, method=method, amount_cents=amount,
                                           paid_on=paid_on, booked_at=uow.now()))
    invoice.refresh_status()
    if invoice.is_closed:
        for pause in [p for p in invoice.pauses if p.lifted_at is None]:
            _lift(uow, scope, invoice, pause, by="invoice paid")
    uow.session.flush()
    documents.request_rendering(uow, subject_type="invoice", subject_id=invoice.id)
    events.record(uow, scope=scope, type=_payment_event(method, amount),
                  subject_id=payment_id, data={
                      "payment_id": payment_id, "invoice_id": invoice.id, "amount": amount, "method": method,
                      "paid_on": paid_on.isoformat(), "balance": invoice.balance_cents,
                      "refund_owed": invoice.refund_owed_cents, "status": invoice.status})
    return invoice


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
    invoice.refresh_status()
    if invoice.is_closed:  # nothing is left to wait for
        for pause in [p for p in invoice.pauses if p.lifted_at is None]:
            _lift(uow, scope, invoice, pause, by="invoice closed")
    uow.session.flush()
    documents.request_rendering(uow, subject_type="credit_note", subject_id=note.id)
    documents.request_rendering(uow, subject_type="invoice", subject_id=invoice.id)  # its new balance
    events.record(uow, scope=scope, type="credit_note.issued", subject_id=note.id,
                  data=_credit_note_schema.dump(note))
    return note


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


def consumer_has_overdue(uow: UnitOfWork, *, consumer_id: str, livemode: bool, today: date) -> bool:
    """Whether the consumer has an open invoice past its due date, at any webshop
    (the SQL form of Invoice.may_be_chased: paused, paid and credited ones do not count)."""
    return uow.session.scalar(select(exists().where(
        Invoice.consumer_id == consumer_id, Invoice.livemode == livemode,
        Invoice.status == models.OPEN, Invoice.due_date < today)))


# --- documents ----------------------------------------------------------------------------

def invoice_document(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> Document:
    """The invoice's PDF as it stands now: stored, or rendered and stored."""
    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id)
    return _document(uow, invoice.merchant_id, lambda branding: documents.invoice_view(uow, invoice, branding=branding))


def credit_note_document(uow: UnitOfWork, *, scope: Scope, credit_note_id: str) -> Document:
    """The credit note's PDF: stored, or rendered and stored."""
    note = get_credit_note(uow, scope=scope, credit_note_id=credit_note_id)
    return _document(uow, note.merchant_id, lambda branding: documents.credit_note_view(uow, note, branding=branding))


def document_pdf(uow: UnitOfWork, document: Document) -> bytes:
    return documents.pdf_bytes(uow, document)


def einvoice_ubl(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> bytes:
    """The invoice as UBL 2.1 (EN 16931), for a business customer's bookkeeping."""
    from bnpl.invoices import einvoice

    invoice = get_invoice(uow, scope=scope, invoice_id=invoice_id)
    branding, _ = _branding(uow, invoice.merchant_id)
    return einvoice.ubl_xml(documents.invoice_view(uow, invoice, branding=branding))


def _document(uow, merchant_id: str, view_for) -> Document:
    from bnpl.invoices import pdf

    branding, logo = _branding(uow, merchant_id)
    view = view_for(branding)
    return documents.stored_document(uow, merchant_id=merchant_id, view=view,
                                     render=lambda: pdf.render_pdf(view, logo=logo))


def _branding(uow, merchant_id: str):
    from bnpl.invoices.pdf import Logo

    merchant = merchants.get_merchant(uow, merchant_id=merchant_id)
    logo = Logo(media_type=merchant.logo_type, data=merchant.logo) if merchant.logo else None
    return documents.Branding(colour=merchant.brand_colour,
                              logo_sha256=hashlib.sha256(logo.data).hexdigest() if logo else None), logo


def render_requested(uow: UnitOfWork, request: DocumentRequest) -> Document:
    """Render the document a request asks for (the renderer's job calls this)."""
    if request.subject_type == "invoice":
        invoice = uow.session.get(Invoice, request.subject_id)
        scope = Scope(merchant_id=invoice.merchant_id, livemode=invoice.livemode)
        return invoice_document(uow, scope=scope, invoice_id=invoice.id)
    note = uow.session.get(CreditNote, request.subject_id)
    scope = Scope(merchant_id=note.merchant_id, livemode=note.livemode)
    return credit_note_document(uow, scope=scope, credit_note_id=note.id)


MAX_RENDER_ATTEMPTS = 5


def render_next_requested(uow: UnitOfWork, *, skip: set[str]) -> str | None:
    """Claim the oldest render request (SKIP LOCKED: workers share the queue) and render it.
    The request is deleted in the same transaction the document is stored in; a failure is
    recorded on the request, which is retried on the next run until MAX_RENDER_ATTEMPTS.
    Returns the request id, or None when nothing is left."""
    request = uow.session.scalar(
        select(DocumentRequest)
        .where(DocumentRequest.attempts < MAX_RENDER_ATTEMPTS, DocumentRequest.id.not_in(skip))
        .order_by(DocumentRequest.requested_at, DocumentRequest.id).limit(1)
        .with_for_update(skip_locked=True))
    if request is None:
        return None
    try:
        with uow.session.begin_nested():
            render_requested(uow, request)
    except Exception as exc:  # noqa: BLE001 - any failure is kept on the request for the operator
        request.attempts += 1
        request.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        uow.session.delete(request)
    return request.id


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
