"""The invoice's ledger: every change of money on it is a row that is never changed (a
payment applied, a credit note, a fee charged, a waiver noted on the fee), and what it owes
is their sum, cached with its status on the invoice (models.status_of)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, insert, select, update

from bnpl.db import among, insert_rows, new_id, update_rows
from bnpl.documents import service as documents
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.invoices import models, queries
from bnpl.invoices.models import CreditNote, CreditNoteLine, Invoice, InvoiceFee, InvoicePayment
from bnpl.invoices.queries import in_chunks
from bnpl.invoices.schemas import CreditNoteSchema
from bnpl.invoices.service import get_invoice, lift, next_number
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_credit_note_schema = CreditNoteSchema()
_INVOICES = Invoice.__table__


# --- payments -----------------------------------------------------------------------------

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
            lift(uow, scope, invoice, pause, by="invoice paid")
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


def _lock_running(uow, invoice_ids: list[str]) -> dict[str, tuple]:
    """Lock the invoices (in id order, so two imports cannot deadlock); of those running
    (open: not paused, not closed) return (merchant, livemode, owed)."""
    running = {}
    for chunk in in_chunks(sorted(invoice_ids)):
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


def _apply_to_running(uow, payments: list[PaymentToApply], running: dict[str, tuple]) -> None:
    """Money in on open invoices, the status derived as Invoice.refresh_status does it, from
    the cached figure: an open invoice has no open pause and is not fully credited."""
    if not payments:
        return
    now, entries, applied, owed_now = uow.now(), [], [], {}
    for payment in payments:
        merchant_id, livemode, owed = running[payment.invoice_id]
        owed = owed_now[payment.invoice_id] = owed_now.get(payment.invoice_id, owed) - payment.amount
        entries.append(dict(invoice_id=payment.invoice_id, payment_id=payment.payment_id, method=payment.method,
                            amount_cents=payment.amount, paid_on=payment.paid_on, booked_at=now))
        applied.append((Scope(merchant_id, livemode), payment, owed, _running_status(owed)))
    insert_rows(uow.session, InvoicePayment.__table__, entries)
    changed = update_rows(uow.session, _INVOICES, "id", [dict(id=invoice_id, owed_cents=owed, status=_running_status(owed))
                                                          for invoice_id, owed in owed_now.items()],
                          returning=queries.HELD_COLUMNS)
    queries.held(uow, changed)  # what the events' subscribers read of them (whom to mail, when due)
    _expire_invoices(uow, set(owed_now))
    _after_payments(uow, applied)


def _running_status(owed: int) -> str:
    return models.status_of(fully_credited=False, owed_cents=owed, paused=False)


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
            lift(uow, scope, invoice, pause, by="invoice closed")
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
            lift(uow, scope, invoice, pause, by="fees waived")
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


# --- fees dunning charges ----------------------------------------------------------------

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


def record_dunning_levels(uow: UnitOfWork, *, reached: list[LevelReached]) -> None:
    """Record the dunning level each invoice reached and the fees it adds, for invoices the
    caller locked (queries.lock_open_due). They stay open: a fee only raises what is owed."""
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
