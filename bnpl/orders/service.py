"""Use cases for orders: create (with the acceptance decision), cancel, ship, deliver."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, case, func, insert, select, update
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.util import identity_key

from bnpl import i18n, pagination
from bnpl.consumers import service as consumers
from bnpl.db import among, new_id
from bnpl.sql import Chained, Prepared, numbered, values_rows
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.fields import MAX_AMOUNT_CENTS
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.merchants import service as merchants
from bnpl.money import is_iso_currency
from bnpl.orders import models, states
from bnpl.orders.models import NewLine, Order, OrderLine, Shipment, ShipmentLine
from bnpl.orders.schemas import OrderSchema, ShipmentSchema, dump_new_order, dump_new_shipment
from bnpl.risk import service as risk
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

CLOCK_SKEW = timedelta(minutes=5)  # a webshop's clock may run a little ahead of ours
_order_schema, _shipment_schema = OrderSchema(), ShipmentSchema()


class Created(NamedTuple):
    """A new order: the API's answer (OrderSchema's dump, made once for its event too) and what
    callers in the same transaction read of it. Written with Core: no ORM object of it is in
    the session (get_order loads one)."""
    id: str
    status: str
    decision: dict
    consumer_id: str
    total_cents: int
    answer: dict


def create_order(uow: UnitOfWork, *, scope: Scope, data: dict) -> Created:
    """Check the order, compute its totals, decide to accept or decline, and store it."""
    _check_currency(uow, data["currency"])
    destination = (data.get("shipping_address") or data["billing_address"])["country"]
    lines = _order_lines(uow, data["lines"], destination)
    total = sum(line.total_cents for line in lines)
    if total <= 0:  # an invoice of 0 asks nobody to pay and opens dunning, fees and mail for nothing
        raise InvalidInput({"lines": ["The order total is 0: there is nothing to invoice. "
                                      "Send free goods without us, or with at least one paid line."]})
    if total > MAX_AMOUNT_CENTS:
        raise InvalidInput({"lines": [f"The order total {total} is above the maximum of {MAX_AMOUNT_CENTS} cents."]})
    _check_expected_total(data, lines, total)
    _check_new_reference(uow, scope, data["merchant_reference"])

    consumer = data["consumer"]
    if consumer.get("type") == "business":
        merchants.check_business_seller(merchants.get_merchant(uow, merchant_id=scope.merchant_id))
    consumer_id, new_consumer = consumers.identify(uow, livemode=scope.livemode, email=consumer["email"])
    if consumer.get("birth_date") and consumer["birth_date"] > uow.today():
        raise InvalidInput({"consumer.birth_date": ["Lies in the future."]})
    order_id = new_id("ord")
    currency = data["currency"].upper()
    assessment = risk.assess_order(uow, scope=scope, order=risk.OrderFacts(
        order_id=order_id, consumer_id=consumer_id, currency=currency, amount_cents=total,
        shop_limit_cents=merchants.order_limit_cents(uow, merchant_id=scope.merchant_id), consumer=consumer, billing_address=data["billing_address"],
        shipping_address=data.get("shipping_address"), context=data.get("context") or {}, new_consumer=new_consumer),
        unshipped_cents=lambda consumer_ids: _unshipped_cents(uow, scope.livemode, consumer_ids))
    order = dict(
        id=order_id, merchant_id=scope.merchant_id, livemode=scope.livemode,
        merchant_reference=data["merchant_reference"], consumer_id=consumer_id, status=_STATUS[assessment.outcome],
        currency=currency, total_cents=total,
        consumer={**consumer, "birth_date": consumer["birth_date"].isoformat()} if consumer.get("birth_date") else consumer,
        billing_address=data["billing_address"], shipping_address=data.get("shipping_address"),
        decision=assessment.for_webshop(), created_at=uow.now(), cancelled_at=None)
    _write_order(uow, order, lines)
    answer = dump_new_order(order, lines)
    events.record(uow, scope=scope, type=f"order.{assessment.outcome}", subject_id=order_id, data=answer)
    return Created(order_id, order["status"], order["decision"], consumer_id, total, answer)


def _write_order(uow: UnitOfWork, order: dict, lines: list[NewLine]) -> None:
    """The order's row and its lines, written with Core, not the ORM: nothing reads them back as
    objects in this request, and building, flushing and attaching objects cost more than the
    statements. On PostgreSQL one statement (bnpl.sql.Chained), else two."""
    _order_with_lines(len(lines)).run(uow.session, **{f"order_{name}": value for name, value in order.items()},
                                      **numbered([{**line._asdict(), "order_id": order["id"], **_NOTHING_DONE}
                                                  for line in lines]))


_NOTHING_DONE = {"shipped_quantity": 0, "cancelled_quantity": 0, "returned_quantity": 0}
_LINE_COLUMNS = ("order_id", *NewLine._fields, *_NOTHING_DONE)


@functools.cache
def _order_with_lines(count: int) -> Chained:
    orders, lines = Order.__table__, OrderLine.__table__
    # The order's parameters named apart from the lines' columns (a parameter named like a
    # column would be taken for a value of it).
    order = insert(orders).values({column.name: bindparam(f"order_{column.name}", type_=column.type)
                                   for column in orders.columns})
    return Chained(order, values_rows(lines, _LINE_COLUMNS, count))


_STATUS = {risk.ACCEPTED: states.ACCEPTED, risk.DECLINED: states.DECLINED,
           risk.VERIFICATION_REQUIRED: states.VERIFICATION_REQUIRED}


def _unshipped_cents(uow: UnitOfWork, livemode: bool, consumer_ids: list[str]) -> int:
    """What these consumers' accepted orders still hold back, not yet invoiced: it counts
    against their room like an open invoice (ordered today, shipped and billed next week)."""
    open_quantity = OrderLine.quantity - OrderLine.shipped_quantity - OrderLine.cancelled_quantity
    return int(uow.session.scalar(
        select(func.coalesce(func.sum(open_quantity * OrderLine.unit_price_cents), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(among(uow.session, Order.consumer_id, consumer_ids), Order.livemode == livemode,
               Order.status.in_((states.ACCEPTED, states.PARTIALLY_SHIPPED)))) or 0)


def conclude_verification(uow: UnitOfWork, *, provider: str, headers, body: bytes) -> Order | None:
    """The bank's answer for an order waiting for verification: the order is decided again
    (its room may have been used meanwhile) and becomes accepted or declined, with its event."""
    return _after_verification(uow, risk.verification_callback(uow, provider=provider, headers=headers, body=body))


def decide_verification_locally(uow: UnitOfWork, *, reference: str, confirm: bool) -> Order | None:
    """The local simulator's confirm or fail button."""
    return _after_verification(uow, risk.decide_locally(uow, reference=reference, confirm=confirm))


def _after_verification(uow: UnitOfWork, result) -> Order | None:
    order = uow.session.scalar(_scoped(result.scope, with_shipments=False).where(Order.id == result.order_id)
                               .with_for_update(of=Order))
    if order is None or order.status != states.VERIFICATION_REQUIRED:
        return order  # a repeated callback, or the webshop cancelled meanwhile
    assessment = risk.reassess_after_verification(
        uow, result=result, consumer_id=order.consumer_id,
        unshipped_cents=lambda consumer_ids: _unshipped_cents(uow, result.scope.livemode, consumer_ids))
    order.status = states.ORDER.next(order.status, "verified" if assessment.outcome == risk.ACCEPTED else "not_verified")
    order.decision = assessment.for_webshop()
    events.record(uow, scope=result.scope, type=f"order.{order.status}", subject_id=order.id,
                  data=_order_schema.dump(order))
    return order


def review_decided(uow: UnitOfWork, *, scope: Scope, order_id: str, review: dict,
                   accepted_decision: dict | None = None) -> Order:
    """A person at the provider answered the consumer's request to review the decision on this
    order. With ``accepted_decision`` (the decline was changed) a declined order is accepted
    and may ship; either way ``order.review_decided`` tells the webshop (by webhook) and the
    consumer (by e-mail). ``review`` is what both may see: id, outcome, decided_at; never the
    reviewer's reasons, which may speak of other webshops."""
    order = _load_for_update(uow, scope, order_id)
    if accepted_decision is not None and order.status == states.DECLINED:
        order.status = states.ORDER.next(order.status, "accepted_on_review")
        order.decision = accepted_decision
    events.record(uow, scope=scope, type="order.review_decided", subject_id=order.id,
                  data={**_order_schema.dump(order), "order_id": order.id, "review": review})
    return order


def cancel_order(uow: UnitOfWork, *, scope: Scope, order_id: str, data: dict) -> Order:
    """Cancel the named open quantities, or everything not shipped when none are named."""
    order = _load_for_update(uow, scope, order_id)
    order.check_can("cancel")
    picked = order.pick(data.get("lines"), purpose="cancel")
    order.cancel(picked, at=uow.now())
    events.record(uow, scope=scope, type="order.cancelled" if order.is_final_cancelled else "order.lines_cancelled",
                  subject_id=order.id, data={
                      "order_id": order.id, "merchant_reference": order.merchant_reference, "status": order.status,
                      "reason": data.get("reason"), "consumer_told": _consumer_told(uow, order.id),
                      "lines": [{"reference": line.reference, "description": line.description, "quantity": qty}
                                for line, qty in picked]})
    return order


def _consumer_told(uow: UnitOfWork, order_id: str) -> bool:
    """Whether we wrote to the consumer about this order: its first invoice went out."""
    return uow.session.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.order_id == order_id, Shipment.invoice_id.is_not(None))) > 0


class NewShipment(NamedTuple):
    """A shipment as ship_order wrote it: its row's values."""
    id: str
    order_id: str
    merchant_id: str
    livemode: bool
    shipped_at: datetime
    delivered_at: datetime | None
    carrier: str | None
    tracking_code: str | None
    invoice_id: str
    created_at: datetime


class Shipped(NamedTuple):
    shipment: Shipment | NewShipment
    invoice: Invoice | invoices.NewInvoice
    # The API's answer (ShipmentWithInvoiceSchema) when the events carry it already, dumped once.
    answer: dict | None = None


def ship_order(uow: UnitOfWork, *, scope: Scope, order_id: str, data: dict) -> Shipped:
    """Ship the named quantities (or all that remain) and issue the invoice for them. The order
    is read as plain rows and everything is written with prepared statements: nothing in the
    request needs the ORM's objects, and building, attaching and flushing them was most of
    its CPU (issue 19)."""
    order = _lock_for_shipping(uow, scope, order_id)
    order.check_can("ship")
    picked = order.pick(data.get("lines"), purpose="ship")
    now = uow.now()
    shipped_at = data.get("shipped_at") or now
    delivered_at = data.get("delivered_at")
    _check_moments(now, shipped_at=shipped_at, delivered_at=delivered_at, not_before=order.created_at)

    order.ship(picked)
    shipment = NewShipment(
        id=new_id("shp"), order_id=order.id, merchant_id=scope.merchant_id, livemode=scope.livemode,
        shipped_at=shipped_at, delivered_at=delivered_at, carrier=data.get("carrier"),
        tracking_code=data.get("tracking_code"), invoice_id=new_id("inv"), created_at=now)
    _store_shipment(uow, order, picked, shipment)
    # shipment.created and invoice.issued reach the subscribers as one batch.
    shown = dump_new_shipment(shipment, [(line.reference, qty) for line, qty in picked])
    with events.together(uow):
        events.record(uow, scope=scope, type="shipment.created", subject_id=shipment.id, data=shown)
        issued = _issue_invoice(uow, scope, order, shipment, picked)
    return Shipped(shipment, issued.invoice, {**shown, "invoice": issued.data})


def _store_shipment(uow: UnitOfWork, order: models.LockedOrder, picked, shipment: NewShipment) -> None:
    """The order's new status, its lines' shipped quantities, the shipment and its lines: one
    statement on PostgreSQL, four on SQLite (sql.Chained). An ORM object of the order or a line
    that the session holds (a caller read it in this transaction) is read again when next used."""
    _shipping(len(picked)).run(
        uow.session, the_order=order.id, new_status=order.status,
        **{f"new_{name}": value for name, value in zip(NewShipment._fields, shipment)},
        **numbered([{"line": line.id, "shipped": line.shipped_quantity, "shipment_id": shipment.id,
                     "order_line_id": line.id, "quantity": qty} for line, qty in picked]))
    held = uow.session.identity_map
    for key in (identity_key(Order, order.id), *(identity_key(OrderLine, line.id) for line, _ in picked)):
        if (stale := held.get(key)) is not None:
            uow.session.expire(stale)


_ORDERS, _LINES, _SHIPMENTS = Order.__table__, OrderLine.__table__, Shipment.__table__


@lru_cache(maxsize=None)
def _shipping(n: int) -> Chained:
    """_store_shipment's statements for n lines; the lines' quantities in one UPDATE (a CASE by
    line id), the shipment's lines in one VALUES list."""
    ids = [bindparam(f"line{i}", type_=Integer) for i in range(n)]
    return Chained(
        update(_ORDERS).where(_ORDERS.c.id == bindparam("the_order")).values(status=bindparam("new_status")),
        update(_LINES).where(_LINES.c.id.in_(ids)).values(shipped_quantity=case(
            *((_LINES.c.id == line_id, bindparam(f"shipped{i}", type_=Integer)) for i, line_id in enumerate(ids)))),
        insert(_SHIPMENTS).values({name: bindparam(f"new_{name}", type_=_SHIPMENTS.c[name].type)
                                   for name in NewShipment._fields}),
        values_rows(ShipmentLine.__table__, ("shipment_id", "order_line_id", "quantity"), n))


def _issue_invoice(uow, scope, order, shipment, picked) -> invoices.Issued:
    consumer = order.consumer
    if consumer.get("type") == "business":  # the details may have gone since the order
        merchants.check_business_seller(merchants.get_merchant(uow, merchant_id=scope.merchant_id))
    terms = merchants.invoicing(uow, merchant_id=scope.merchant_id)
    return invoices.issue_invoice(
        uow, scope=scope, invoice_id=shipment.invoice_id, order_id=order.id, shipment_id=shipment.id,
        consumer_id=order.consumer_id, currency=order.currency,
        billed_to={"name": consumer["name"], "email": consumer["email"], "type": consumer["type"],
                   "company_name": consumer.get("company_name"), "vat_number": consumer.get("vat_number"),
                   "language": consumer.get("language"), "address": order.billing_address},
        seller=terms.seller, order_reference=order.merchant_reference,
        lines=[invoices.LineToInvoice(reference=line.reference, description=line.description,
                                      quantity=qty, unit_price_cents=line.unit_price_cents,
                                      vat_rate_bp=line.vat_rate_bp) for line, qty in picked],
        shipped_on=uow.local_date(shipment.shipped_at),
        delivered_on=uow.local_date(shipment.delivered_at) if shipment.delivered_at else None,
        transit_days=terms.transit_days, term_days=terms.term_days,
    )


def report_delivery(uow: UnitOfWork, *, scope: Scope, shipment_id: str, delivered_at: datetime) -> Shipped:
    """Record when the goods arrived; the invoice's due date moves later if need be."""
    shipment = uow.session.scalar(
        select(Shipment).where(Shipment.id == shipment_id, Shipment.merchant_id == scope.merchant_id,
                               Shipment.livemode == scope.livemode).with_for_update())
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    _check_moments(uow.now(), shipped_at=shipment.shipped_at, delivered_at=delivered_at)
    if shipment.delivered_at is not None and delivered_at < shipment.delivered_at:
        raise Conflict(f"Delivery was already reported for {shipment.delivered_at.isoformat()}; "
                       "a delivery date can only move later.", delivered_at=shipment.delivered_at.isoformat())
    shipment.delivered_at = delivered_at
    events.record(uow, scope=scope, type="shipment.delivered", subject_id=shipment.id,
                  data=_shipment_schema.dump(shipment))
    invoice = invoices.delivery_reported(uow, scope=scope, invoice_id=shipment.invoice_id,
                                         delivered_on=uow.local_date(delivered_at))
    return Shipped(shipment, invoice)


def reserve_return(uow: UnitOfWork, *, scope: Scope, order_id: str, lines: list[dict]) -> Order:
    """Count a return against the shipped quantities of an order's lines (409 beyond them)."""
    order = _load_for_update(uow, scope, order_id)
    order.reserve_return(lines)
    return order


def get_order(uow: UnitOfWork, *, scope: Scope, order_id: str) -> Order:
    order = uow.session.scalar(_scoped(scope).where(Order.id == order_id))
    if order is None:
        raise NotFound(f"No order {order_id}.")
    return order


def list_orders(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int,
                status: str | None = None, merchant_reference: str | None = None):
    """The merchant's orders, newest first."""
    query = _scoped(scope)
    if status:
        query = query.where(Order.status == status)
    if merchant_reference:
        query = query.where(Order.merchant_reference == merchant_reference)
    return pagination.page(uow.session, query, created_col=Order.created_at, id_col=Order.id,
                           cursor=cursor, limit=limit)


def is_final_cancelled(uow: UnitOfWork, *, scope: Scope, order_id: str) -> bool:
    """Whether the whole order is cancelled (nothing may reach its consumer), in one statement."""
    status = uow.session.scalar(select(Order.status).where(
        Order.id == order_id, Order.merchant_id == scope.merchant_id, Order.livemode == scope.livemode))
    if status is None:
        raise NotFound(f"No order {order_id}.")
    return status == states.CANCELLED


def _scoped(scope: Scope, *, with_shipments: bool = True):
    loads = [selectinload(Order.lines)] + ([selectinload(Order.shipments)] if with_shipments else [])
    return select(Order).options(*loads).where(Order.merchant_id == scope.merchant_id,
                                               Order.livemode == scope.livemode)


_FOR_UPDATE = (select(Order).join(Order.lines).options(contains_eager(Order.lines))
               .where(Order.merchant_id == bindparam("merchant_id"), Order.livemode == bindparam("livemode"),
                      Order.id == bindparam("order_id"))
               .order_by(OrderLine.position).with_for_update())


def _load_for_update(uow: UnitOfWork, scope: Scope, order_id: str) -> Order:
    # The row locks serialize shipments, cancellations and returns of one order, so two
    # requests can never both take the last open quantity. The order and its lines are read
    # and locked by one statement: a row another request changed meanwhile is returned as that
    # request committed it (PostgreSQL reads a locked row again once its lock is granted; a
    # line merely joined to the locked order would be returned as it was before).
    order = uow.session.execute(_FOR_UPDATE, {"merchant_id": scope.merchant_id, "livemode": scope.livemode,
                                              "order_id": order_id}).unique().scalar()
    if order is None:
        raise NotFound(f"No order {order_id}.")
    return order


_LOCKED_ORDER_COLUMNS = tuple(name for name in models.LockedOrder.__slots__ if name != "lines")
_LOCK_FOR_SHIPPING = Prepared(
    select(*(_ORDERS.c[name] for name in _LOCKED_ORDER_COLUMNS),
           *(_LINES.c[name] for name in models.LockedLine.__slots__))
    .join_from(_ORDERS, _LINES, _LINES.c.order_id == _ORDERS.c.id)
    .where(_ORDERS.c.merchant_id == bindparam("merchant_id"), _ORDERS.c.livemode == bindparam("livemode"),
           _ORDERS.c.id == bindparam("order_id"))
    .order_by(_LINES.c.position).with_for_update())


def _lock_for_shipping(uow: UnitOfWork, scope: Scope, order_id: str) -> models.LockedOrder:
    """_load_for_update's locks (the order and its lines, by one statement), read as plain rows."""
    rows = _LOCK_FOR_SHIPPING.rows(uow.session, merchant_id=scope.merchant_id, livemode=scope.livemode,
                                   order_id=order_id)
    if not rows:
        raise NotFound(f"No order {order_id}.")
    return models.LockedOrder(**dict(zip(_LOCKED_ORDER_COLUMNS, rows[0])),
                              lines=[models.LockedLine(*row[len(_LOCKED_ORDER_COLUMNS):]) for row in rows])


def _check_currency(uow: UnitOfWork, currency: str) -> None:
    code = currency.upper()
    if not is_iso_currency(code):
        raise InvalidInput({"currency": [f"{currency!r} is not an ISO 4217 currency code."]})
    if code not in uow.settings.currencies:
        raise InvalidInput({"currency": [f"{code} is not accepted here; use {', '.join(uow.settings.currencies)}."]})


def _order_lines(uow: UnitOfWork, raw_lines: list[dict], country: str) -> list[NewLine]:
    allowed = uow.settings.vat_rates.get(country)
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    lines = []
    for i, raw in enumerate(raw_lines):
        if raw["reference"] in seen:
            errors[f"lines.{i}.reference"] = [f"{raw['reference']!r} is used by another line; references must be unique."]
        seen.add(raw["reference"])
        if allowed is None:
            errors[f"lines.{i}.vat_rate"] = [f"No VAT rates are configured for {country}; we cannot invoice there."]
        elif raw["vat_rate"] not in allowed:
            errors[f"lines.{i}.vat_rate"] = [
                f"{_pct(raw['vat_rate'])} % is not a VAT rate in {country}; use one of "
                f"{', '.join(_pct(r) for r in allowed)}."]
        total = raw["unit_price"] * raw["quantity"]
        if total > MAX_AMOUNT_CENTS:
            errors[f"lines.{i}.quantity"] = [f"The line total {total} is above the maximum of {MAX_AMOUNT_CENTS} cents."]
        if "total" in raw and raw["total"] != total:
            errors[f"lines.{i}.total"] = [
                f"Line {raw['reference']!r}: {raw['quantity']} × {raw['unit_price']} = {total}, "
                f"you sent {raw['total']} (difference {raw['total'] - total})."]
        lines.append(NewLine(i, raw["reference"], raw["description"], raw["quantity"], raw["unit_price"],
                             raw["vat_rate"], total))
    if errors:
        raise InvalidInput(errors)
    return lines


def _check_expected_total(data: dict, lines: list[NewLine], total: int) -> None:
    expected = data.get("expected_total")
    if expected is None or expected == total:
        return
    diff = expected - total
    message = f"expected_total {expected} differs from the computed total {total} by {diff}."
    hint = models.explain_total_mismatch(lines, expected=expected, total=total)
    raise InvalidInput(
        {"expected_total": [f"{message} {hint}".strip()]}, difference=diff, computed_total=total,
        lines=[{"reference": line.reference, "quantity": line.quantity, "unit_price": line.unit_price_cents,
                "total": line.total_cents} for line in lines])


def _check_new_reference(uow: UnitOfWork, scope: Scope, reference: str) -> None:
    existing = _BY_REFERENCE.scalar(uow.session, merchant_id=scope.merchant_id, livemode=scope.livemode,
                                    reference=reference)
    if existing:
        raise Conflict(f"You already created order {existing} with merchant_reference {reference!r}.",
                       order_id=existing)


_BY_REFERENCE = Prepared(select(Order.id).where(Order.merchant_id == bindparam("merchant_id"),
                                                Order.livemode == bindparam("livemode"),
                                                Order.merchant_reference == bindparam("reference")))


def _check_moments(now: datetime, *, shipped_at: datetime, delivered_at: datetime | None,
                   not_before: datetime | None = None) -> None:
    # A backdated shipment would make an invoice overdue at once and could get the consumer
    # declined at every webshop, so nothing ships before the order existed.
    errors = {}
    if shipped_at > now + CLOCK_SKEW:
        errors["shipped_at"] = ["Lies in the future."]
    elif not_before is not None and shipped_at < not_before - CLOCK_SKEW:
        errors["shipped_at"] = [f"Is before the order was created ({not_before.isoformat()})."]
    if delivered_at is not None:
        if delivered_at > now + CLOCK_SKEW:
            errors["delivered_at"] = ["Lies in the future."]
        elif delivered_at < shipped_at:
            errors["delivered_at"] = [f"Is before the shipment left ({shipped_at.isoformat()})."]
    if errors:
        raise InvalidInput(errors)


def _pct(basis_points: int) -> str:
    return f"{basis_points / 100:g}"


def consumer_language(uow: UnitOfWork, *, order_id: str) -> str:
    """The language the order's consumer reads (their choice, else the billing country's)."""
    order = uow.session.get(Order, order_id)
    if order is None:
        raise NotFound(f"No order {order_id}.")
    return i18n.language_for(order.consumer.get("language"), (order.billing_address or {}).get("country"))


# --- what the consumer sees of their orders (the portal) ---------------------------------------

class LineView(NamedTuple):
    description: str
    unit_price_cents: int  # VAT included, as the shopper saw it
    quantity: int
    shipped: int
    cancelled: int
    returned: int

    @property
    def waiting(self) -> int:
        """Ordered, neither shipped nor cancelled yet."""
        return self.quantity - self.shipped - self.cancelled


class OrderView(NamedTuple):
    id: str
    merchant_id: str
    merchant_reference: str
    status: str
    currency: str
    total_cents: int
    created_at: datetime
    cancelled_at: datetime | None
    lines: tuple[LineView, ...]
    invoice_ids: tuple[str, ...]  # of its shipments, in the order they were shipped

    @property
    def is_cancelled(self) -> bool:
        return self.status == states.CANCELLED

    @property
    def waiting_cents(self) -> int:
        """What the consumer will owe once what is still to be shipped is delivered."""
        return sum(line.waiting * line.unit_price_cents for line in self.lines)


# Orders a consumer has something to see of: declined ones are shown with their reasons on the
# spending-room page, and an order still waiting for the bank is the bank page's business.
SHOWN_TO_CONSUMER = (states.ACCEPTED, states.PARTIALLY_SHIPPED, states.SHIPPED, states.CANCELLED)


def consumer_orders(uow: UnitOfWork, *, consumer_ids: list[str], livemode: bool) -> list[OrderView]:
    """The consumers' orders at every webshop, newest first, as plain views."""
    if not consumer_ids:
        return []
    found = uow.session.scalars(
        select(Order).options(selectinload(Order.lines), selectinload(Order.shipments))
        .where(among(uow.session, Order.consumer_id, consumer_ids), Order.livemode == livemode,
               Order.status.in_(SHOWN_TO_CONSUMER))
        .order_by(Order.created_at.desc(), Order.id))
    return [_view(order) for order in found]


def _view(order: Order) -> OrderView:
    lines = sorted(order.lines, key=lambda line: line.position)
    shipments = sorted(order.shipments, key=lambda shipment: (shipment.created_at, shipment.id))
    return OrderView(
        id=order.id, merchant_id=order.merchant_id, merchant_reference=order.merchant_reference,
        status=order.status, currency=order.currency, total_cents=order.total_cents,
        created_at=order.created_at, cancelled_at=order.cancelled_at,
        lines=tuple(LineView(line.description, line.unit_price_cents, line.quantity, line.shipped_quantity,
                             line.cancelled_quantity, line.returned_quantity) for line in lines),
        invoice_ids=tuple(s.invoice_id for s in shipments if s.invoice_id))
