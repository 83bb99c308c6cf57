"""Use cases for invoices: issue one for a shipment, move its due date, read them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import selectinload

from bnpl import pagination
from bnpl.db import insert_ignoring_conflicts
from bnpl.errors import NotFound
from bnpl.events import service as events
from bnpl.invoices import models
from bnpl.invoices.models import Invoice, InvoiceLine, NumberSeries
from bnpl.invoices.schemas import InvoiceSchema
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_invoice_schema = InvoiceSchema()


@dataclass(frozen=True)
class LineToInvoice:
    reference: str
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int


def issue_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str, order_id: str, shipment_id: str,
                  consumer_id: str, currency: str, billed_to: dict, lines: list[LineToInvoice],
                  shipped_on: date, delivered_on: date | None, transit_days: int,
                  term_days: int) -> Invoice:
    """Issue the invoice for one shipment: copied lines, next number, RF reference, due date."""
    now = uow.now()
    invoice = Invoice(
        id=invoice_id, merchant_id=scope.merchant_id, livemode=scope.livemode, order_id=order_id,
        shipment_id=shipment_id, consumer_id=consumer_id, status=models.OPEN, currency=currency,
        billed_to=billed_to, term_days=term_days, issued_at=now, created_at=now,
        total_cents=sum(line.unit_price_cents * line.quantity for line in lines),
        due_date=models.due_date(shipped_on=shipped_on, delivered_on=delivered_on,
                                 transit_days=transit_days, term_days=term_days),
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
        events.record(uow, scope=scope, type="invoice.due_date_changed", subject_id=invoice.id,
                      data={"invoice_id": invoice.id, "previous_due_date": previous.isoformat(),
                            "due_date": invoice.due_date.isoformat(), "reason": "delivery"})
    return invoice


def get_invoice(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> Invoice:
    invoice = uow.session.scalar(
        select(Invoice).options(selectinload(Invoice.lines))
        .where(Invoice.id == invoice_id, Invoice.merchant_id == scope.merchant_id,
               Invoice.livemode == scope.livemode))
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice


def list_invoices(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int,
                  status: str | None = None, order_id: str | None = None):
    """The merchant's invoices, newest first."""
    query = (select(Invoice).options(selectinload(Invoice.lines))
             .where(Invoice.merchant_id == scope.merchant_id, Invoice.livemode == scope.livemode))
    if status:
        query = query.where(Invoice.status == status)
    if order_id:
        query = query.where(Invoice.order_id == order_id)
    return pagination.page(uow.session, query, created_col=Invoice.created_at, id_col=Invoice.id,
                           cursor=cursor, limit=limit)


def consumer_has_overdue(uow: UnitOfWork, *, consumer_id: str, livemode: bool, today: date) -> bool:
    """Whether the consumer has an open invoice past its due date, at any webshop."""
    return uow.session.scalar(select(exists().where(
        Invoice.consumer_id == consumer_id, Invoice.livemode == livemode,
        Invoice.status == models.OPEN, Invoice.due_date < today)))
