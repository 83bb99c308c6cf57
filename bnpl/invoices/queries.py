"""What other features read of invoices: queries, each returning plain views (frozen
dataclasses, or plain values), never the aggregate. Webshops' API reads and the use cases
load the aggregate through service.get_invoice instead."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Iterable

from sqlalchemy import and_, case, exists, func, literal, select, tuple_
from sqlalchemy.orm import selectinload

from bnpl.db import among
from bnpl.errors import NotFound
from bnpl.events.models import Event
from bnpl.invoices import models
from bnpl.invoices.models import CreditNote, Invoice, InvoiceFee, InvoiceLine, InvoicePayment
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_INVOICES = Invoice.__table__


# --- whose invoice, addressed to whom (notifications, disputes, payments) -------------------

def consumer_invoice_ids(uow: UnitOfWork, *, consumer_id: str, limit: int = 1000) -> list[str]:
    """The newest invoices of a consumer, at any merchant."""
    return list(uow.session.scalars(select(Invoice.id).where(Invoice.consumer_id == consumer_id)
                                    .order_by(Invoice.issued_at.desc()).limit(limit)))


def consumer_and_due_date(uow: UnitOfWork, *, invoice_id: str) -> tuple[str, date]:
    """Whose invoice this is and when it is due (for the personal limit: paid on time or not)."""
    row = uow.session.execute(select(Invoice.consumer_id, Invoice.due_date).where(Invoice.id == invoice_id)).one_or_none()
    if row is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return row.consumer_id, row.due_date


def consumers_and_due_dates(uow: UnitOfWork, *, invoice_ids: Iterable[str]) -> dict[str, tuple[str, date]]:
    """consumer_and_due_date for many invoices (a bank statement's), one read per 1,000; those
    this transaction holds locked are not read again."""
    wanted, held = set(invoice_ids), _locked_billing(uow)
    found = {invoice_id: (held[invoice_id].consumer_id, held[invoice_id].due_date)
             for invoice_id in wanted if invoice_id in held}
    for chunk in in_chunks(sorted(wanted - set(found))):
        found.update((row.id, (row.consumer_id, row.due_date)) for row in uow.session.execute(
            select(Invoice.id, Invoice.consumer_id, Invoice.due_date).where(among(uow.session, Invoice.id, chunk))))
    return found


def billed_to(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> tuple[dict, str]:
    """Whom an invoice is addressed to, and its order; from memory when it was just issued."""
    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None or (invoice.merchant_id, invoice.livemode) != (scope.merchant_id, scope.livemode):
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice.billed_to, invoice.order_id


def billed_to_many(uow: UnitOfWork, *, invoice_ids: set[tuple[str, Scope]]) -> dict[str, tuple[dict, str]]:
    """billed_to for many invoices (id, the scope it must belong to) in one read; what this
    transaction already read under the invoice's lock (lock_open_due) or issued itself is not
    read again."""
    held = _locked_billing(uow)
    found = {invoice_id: held[invoice_id] for invoice_id, _ in invoice_ids if invoice_id in held}
    for chunk in in_chunks(sorted({invoice_id for invoice_id, _ in invoice_ids} - set(found))):
        found.update((row.id, row) for row in uow.session.execute(
            select(_INVOICES.c.id, _INVOICES.c.merchant_id, _INVOICES.c.livemode, _INVOICES.c.billed_to,
                   _INVOICES.c.order_id).where(among(uow.session, _INVOICES.c.id, chunk))))
    for invoice_id, scope in invoice_ids:
        row = found.get(invoice_id)
        if row is None or (row.merchant_id, row.livemode) != (scope.merchant_id, scope.livemode):
            raise NotFound(f"No invoice {invoice_id}.")
    return {invoice_id: (row.billed_to, row.order_id) for invoice_id, row in found.items()}


def issued(uow: UnitOfWork, invoice: Invoice) -> None:
    """An invoice this transaction has just written: whom it is billed to is known (no one else
    sees the row before the commit), so the subscribers of its event need not read it back."""
    _locked_billing(uow)[invoice.id] = invoice


# The columns of an invoice row held under lock that the readers above take from it.
HELD_COLUMNS = ("id", "merchant_id", "livemode", "billed_to", "order_id", "consumer_id", "due_date")


def held(uow: UnitOfWork, rows) -> None:
    """Invoice rows (HELD_COLUMNS) this transaction has just changed, so holds locked: what
    billed_to_many and consumers_and_due_dates would read of them is known."""
    _locked_billing(uow).update((row.id, row) for row in rows)


def _locked_billing(uow) -> dict:
    """This transaction's invoice rows read under lock or written (id -> row with HELD_COLUMNS);
    a new transaction starts empty, since the lock ended with the old one."""
    transaction = uow.session.get_transaction()
    held = uow.session.info.get("bnpl.invoices.locked_billing")
    if held is None or held[0] is not transaction:
        held = uow.session.info["bnpl.invoices.locked_billing"] = (transaction, {})
    return held[1]


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
        for chunk in in_chunks(sorted(set(keys))):
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
    for chunk in in_chunks(sorted({a for a in amounts if a > 0})):
        found += _payable(uow, among(uow.session, Invoice.owed_cents, chunk), models.status_in(models.OPEN, models.PAUSED))
    return found


def open_due_invoices(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool,
                      due_by: date) -> list[PayableInvoice]:
    """Open invoices (not paused, not closed) of these consumers, due on or before a date."""
    found = []
    for chunk in in_chunks(consumer_ids):
        found += _payable(uow, Invoice.consumer_id.in_(chunk), Invoice.livemode == livemode,
                          models.status_in(models.OPEN), Invoice.due_date <= due_by)
    return sorted(found, key=lambda p: (p.due_date, p.number))


def overpaid_invoices(uow: UnitOfWork, *, invoice_ids: list[str]) -> list[PayableInvoice]:
    """Of these invoices, those paid beyond what they owe (a refund is owed)."""
    found = []
    for chunk in in_chunks(invoice_ids):
        found += _payable(uow, Invoice.id.in_(chunk), Invoice.status.in_((models.PAID, models.CREDITED)),
                          Invoice.owed_cents < 0)
    return found


def in_chunks(values: list, size: int = 1000):
    """Lists of at most `size` values: one statement each."""
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
                  Invoice.due_date, Invoice.billed_to["name"].as_string().label("billed_name"),
                  _CREDITED.label("credited"), _PAID.label("paid"))


def _payable(uow, *where) -> list[PayableInvoice]:
    return [PayableInvoice(id=row.id, scope=Scope(row.merchant_id, row.livemode), number=row.number,
                           consumer_id=row.consumer_id, payment_reference=row.payment_reference,
                           due_date=row.due_date, balance_cents=max(row.owed_in_all - row.credited - row.paid, 0),
                           paid_cents=row.paid, refund_owed_cents=max(row.credited + row.paid - row.owed_in_all, 0),
                           billed_name=row.billed_name or "")
            for row in uow.session.execute(_PAYABLE.where(*where))]


# --- lines: what returns and disputes may credit ---------------------------------------------

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


@dataclass(frozen=True)
class UncreditedLine:
    reference: str  # the order line's
    description: str
    quantity: int  # of the invoiced quantity, how many no credit note has taken yet (0: credited in full)
    unit_price_cents: int
    vat_rate_bp: int


def uncredited_lines(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> dict[str, UncreditedLine]:
    """Per order line reference, what of the invoice's line is not credited yet; read under
    the invoice's lock when the caller holds it."""
    invoice = uow.session.scalar(
        select(Invoice).options(selectinload(Invoice.lines), selectinload(Invoice.credit_notes).selectinload(CreditNote.lines))
        .where(Invoice.id == invoice_id, Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode))
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id}.")
    left = invoice.uncredited_quantities()
    return {line.order_line_reference: UncreditedLine(
        reference=line.order_line_reference, description=line.description, quantity=left[line.order_line_reference],
        unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp) for line in invoice.lines}


# --- a consumer's standing everywhere (the risk decision) ---------------------------------

@dataclass(frozen=True)
class Exposure:
    open_cents: int   # still owed on invoices that are open or paused
    overdue: int      # open invoices past their due date
    oldest_due: date | None = None  # the due date of the longest overdue of them


def exposure(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool, today: date) -> Exposure:
    """What these consumers still owe at every webshop, and how many invoices are overdue
    (paused ones owe but are not overdue: a return or a dispute holds them)."""
    if not consumer_ids:
        return Exposure(0, 0)
    is_overdue = and_(Invoice.status == models.OPEN, Invoice.due_date < today)
    owed, overdue, oldest_due = uow.session.execute(select(
        func.coalesce(func.sum(Invoice.owed_cents), 0),
        func.coalesce(func.sum(case((is_overdue, 1), else_=0)), 0),
        func.min(case((is_overdue, Invoice.due_date))))
        .where(among(uow.session, Invoice.consumer_id, consumer_ids), Invoice.livemode == livemode,
               Invoice.status.in_((models.OPEN, models.PAUSED)))).one()
    if isinstance(oldest_due, str):  # SQLite hands a computed date back as text
        oldest_due = date.fromisoformat(oldest_due)
    return Exposure(max(int(owed), 0), int(overdue), oldest_due)


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


def consumer_has_overdue(uow: UnitOfWork, *, consumer_id: str, livemode: bool, today: date) -> bool:
    """Whether the consumer has an open invoice past its due date, at any webshop (the rules
    before risk, which bench/risk_sim.py still times beside risk's decision)."""
    return uow.session.scalar(select(exists().where(
        Invoice.consumer_id == consumer_id, Invoice.livemode == livemode,
        Invoice.status == models.OPEN, Invoice.due_date < today)))


# --- the portal: signing in with an invoice, and the language a consumer reads ---------------

@dataclass(frozen=True)
class Addressee:
    invoice_id: str
    livemode: bool
    billed_to: dict  # name, address, language… as on the invoice
    postal_codes: tuple[str, ...] = ()  # the one it is addressed to now, then those before


def addressee_by_number(uow: UnitOfWork, *, number: str) -> Addressee | None:
    """Whom the invoice with this number (as printed on it) is addressed to, at any merchant,
    and every postcode it was ever addressed to: a PDF printed before an address change still
    opens it."""
    row = uow.session.execute(select(Invoice.id, Invoice.livemode, Invoice.billed_to)
                              .where(Invoice.number == number)).one_or_none()
    if row is None:
        return None
    earlier = uow.session.scalars(select(Event.data).where(
        Event.subject_id == row.id, Event.type == "invoice.billing_address_changed"))
    codes = [(row.billed_to.get("address") or {}).get("postal_code")]
    codes += [(data.get("previous_address") or {}).get("postal_code") for data in earlier]
    return Addressee(row.id, row.livemode, row.billed_to, tuple(code for code in codes if code))


def latest_billed_to(uow: UnitOfWork, *, consumer_ids: list[str]) -> dict | None:
    """Whom the newest invoice of these consumers is addressed to (its language, country)."""
    return uow.session.scalar(select(Invoice.billed_to).where(Invoice.consumer_id.in_(consumer_ids))
                              .order_by(Invoice.issued_at.desc()).limit(1))


# --- what was issued when (settlements, dispute statistics) ---------------------------------

@dataclass(frozen=True)
class IssuedTotal:
    merchant_id: str
    livemode: bool
    currency: str
    cents: int


def issued_totals(uow: UnitOfWork, *, since: datetime,
                  until: datetime) -> tuple[list[IssuedTotal], list[IssuedTotal]]:
    """Per merchant, mode and currency: invoice totals and credit-note totals issued in
    [since, until)."""
    invoiced = uow.session.execute(
        select(Invoice.merchant_id, Invoice.livemode, Invoice.currency, func.sum(Invoice.total_cents))
        .where(Invoice.issued_at >= since, Invoice.issued_at < until)
        .group_by(Invoice.merchant_id, Invoice.livemode, Invoice.currency))
    credited = uow.session.execute(
        select(CreditNote.merchant_id, CreditNote.livemode, Invoice.currency, func.sum(CreditNote.total_cents))
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.issued_at >= since, CreditNote.issued_at < until)
        .group_by(CreditNote.merchant_id, CreditNote.livemode, Invoice.currency))
    return tuple([IssuedTotal(merchant_id, bool(livemode), currency, int(cents or 0))
                  for merchant_id, livemode, currency, cents in rows] for rows in (invoiced, credited))


def issued_counts(uow: UnitOfWork, *, since: datetime, until: datetime, scope: Scope | None = None) -> dict[str, int]:
    """How many invoices each merchant issued in [since, until)."""
    query = (select(Invoice.merchant_id, func.count()).where(Invoice.issued_at >= since, Invoice.issued_at < until)
             .group_by(Invoice.merchant_id))
    if scope:
        query = query.where(Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode)
    return dict(uow.session.execute(query).all())


@dataclass(frozen=True)
class IssuedDocument:
    number: str
    issued_at: datetime
    total_cents: int
    invoice_number: str | None = None  # the invoice a credit note reduces


def issued_documents(uow: UnitOfWork, *, scope: Scope, since: datetime,
                     until: datetime) -> tuple[list[IssuedDocument], list[IssuedDocument]]:
    """The merchant's invoices and credit notes issued in [since, until), oldest first."""
    issued = uow.session.execute(
        select(Invoice.number, Invoice.issued_at, Invoice.total_cents)
        .where(Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode,
               Invoice.issued_at >= since, Invoice.issued_at < until)
        .order_by(Invoice.issued_at, Invoice.number))
    notes = uow.session.execute(
        select(CreditNote.number, CreditNote.issued_at, CreditNote.total_cents, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.merchant_id == scope.merchant_id, CreditNote.livemode == scope.livemode,
               CreditNote.issued_at >= since, CreditNote.issued_at < until)
        .order_by(CreditNote.issued_at, CreditNote.number))
    return [IssuedDocument(*row) for row in issued], [IssuedDocument(*row) for row in notes]


# --- what dunning reads: overdue invoices under lock, what they owe and were charged -------

@dataclass(frozen=True)
class DueInvoice:
    id: str
    scope: Scope
    number: str
    currency: str
    due_date: date
    owed_cents: int  # fees included
    dunning_level: int
    billed_to: dict
    order_id: str
    consumer_id: str | None = None


def lock_open_due(uow: UnitOfWork, *, due_by: date, after: tuple[date, str], limit: int) -> list[DueInvoice]:
    """Open invoices due on or before a date, in (due date, id) order after `after`, locked
    for this transaction; rows another transaction holds are skipped (it is dealing with
    them). The order is the partial index's, so a batch reads just its own rows."""
    rows = uow.session.execute(_open_due(after, limit, _INVOICES.c.due_date <= due_by)
                               .with_for_update(skip_locked=True)).all()
    _locked_billing(uow).update((r.id, r) for r in rows)
    return [_due_invoice(r) for r in rows]


def open_due_between(uow: UnitOfWork, *, first: date, last: date, after: tuple[date, str],
                     limit: int) -> list[DueInvoice]:
    """Open invoices (not paused) due from `first` to `last`, in (due date, id) order after
    `after`: those that get a notice before their due date."""
    return [_due_invoice(r) for r in uow.session.execute(_open_due(
        after, limit, _INVOICES.c.due_date >= first, _INVOICES.c.due_date <= last, _INVOICES.c.owed_cents > 0))]


def _open_due(after: tuple[date, str], limit: int, *where):
    """Open invoices matching `where`, in (due date, id) order after `after`, as DueInvoice columns."""
    key = tuple_(_INVOICES.c.due_date, _INVOICES.c.id)
    return (select(_INVOICES.c.id, _INVOICES.c.merchant_id, _INVOICES.c.livemode, _INVOICES.c.number,
                   _INVOICES.c.currency, _INVOICES.c.due_date, _INVOICES.c.owed_cents, _INVOICES.c.dunning_level,
                   _INVOICES.c.billed_to, _INVOICES.c.order_id, _INVOICES.c.consumer_id)
            .where(models.status_in(models.OPEN), key > tuple_(literal(after[0]), literal(after[1])), *where)
            .order_by(_INVOICES.c.due_date, _INVOICES.c.id).limit(limit))


def _due_invoice(r) -> DueInvoice:
    return DueInvoice(id=r.id, scope=Scope(r.merchant_id, r.livemode), number=r.number, currency=r.currency,
                      due_date=r.due_date, owed_cents=r.owed_cents, dunning_level=r.dunning_level,
                      billed_to=r.billed_to, order_id=r.order_id, consumer_id=r.consumer_id)


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
    for chunk in in_chunks(sorted(set(invoice_ids))):
        found.update((row.id, OwedNow(row.status, row.owed_cents)) for row in uow.session.execute(
            select(_INVOICES.c.id, _INVOICES.c.status, _INVOICES.c.owed_cents).where(_INVOICES.c.id.in_(chunk))))
    return found


@dataclass(frozen=True)
class FeesCharged:
    unwaived_cents: int  # collection costs and interest, not waived
    through: date | None  # the last day a charge covers (interest's period end), waived or not


def fees_charged(uow: UnitOfWork, *, invoice_ids: list[str]) -> dict[str, FeesCharged]:
    """The fees on each of these invoices (those with none are left out)."""
    fee = InvoiceFee.__table__.c
    found = {}
    for chunk in in_chunks(invoice_ids):
        # A waived interest charge still covers its days: they are forgiven, not charged again.
        unwaived = case((fee.waived_at.is_(None), fee.amount_cents), else_=0)
        rows = uow.session.execute(
            select(fee.invoice_id, func.sum(unwaived).label("fees"), func.max(fee.period_end).label("through"))
            .where(among(uow.session, fee.invoice_id, chunk)).group_by(fee.invoice_id))
        found.update((r.invoice_id, FeesCharged(r.fees, r.through)) for r in rows)
    return found
