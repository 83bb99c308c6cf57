"""Orders: who ordered, billing and delivery addresses. Kept as the webshop's order, without them."""
from __future__ import annotations

from sqlalchemy import select

from bnpl import redact
from bnpl.merchants import service as merchants
from bnpl.orders.models import Order, Shipment


def _orders(uow, subject) -> list[Order]:
    return list(uow.session.scalars(select(Order).where(Order.consumer_id.in_(subject.consumer_ids))
                                    .order_by(Order.created_at, Order.id)))


def identify(uow, subject) -> None:
    for order in _orders(uow, subject):
        subject.add_ids("orders", [order.id])
        subject.add_ids("shipments", [s.id for s in order.shipments])
        subject.merchant_ids.add(order.merchant_id)
        addresses = [order.billing_address or {}, order.shipping_address or {}]
        subject.add_personal(*order.consumer.values(), *(a.get("street") for a in addresses))


def export(uow, subject) -> dict:
    orders = _orders(uow, subject)
    shops = merchants.names(uow, merchant_ids=sorted({o.merchant_id for o in orders}))
    return {"orders": [{
        "id": o.id, "webshop": shops.get(o.merchant_id), "reference": o.merchant_reference,
        "mode": "live" if o.livemode else "test", "status": o.status, "ordered_at": o.created_at.isoformat(),
        "currency": o.currency, "total": o.total_cents, "consumer": o.consumer,
        "billing_address": o.billing_address, "shipping_address": o.shipping_address,
        "decision": o.decision,
        "lines": [{"reference": line.reference, "description": line.description, "quantity": line.quantity,
                   "unit_price": line.unit_price_cents} for line in o.lines],
        "shipments": [{"carrier": s.carrier, "tracking_code": s.tracking_code,
                       "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None}
                      for s in o.shipments],
    } for o in orders]}


def erase(uow, subject) -> list[str]:
    """The order keeps its lines and amounts (the webshop's own records), not the person."""
    for order in _orders(uow, subject):
        _reduce(order)
    return []


def _reduce(order: Order) -> None:
    order.consumer = {"type": order.consumer.get("type", "person"), "erased": True}
    order.billing_address = {"country": (order.billing_address or {}).get("country")}
    order.shipping_address = None
    for shipment in order.shipments:
        shipment.tracking_code = None


def purge(uow) -> dict[str, int]:
    """An order whose invoices are all past fiscal retention loses the person, as at erasure."""
    from bnpl.invoices import privacy as invoices

    orders = list(uow.session.scalars(select(Order).where(
        Order.id.in_(invoices.orders_past_retention(uow)), Order.consumer["name"].as_string().is_not(None))))
    for order in orders:
        _forget_in_events(uow, order)
        _reduce(order)
    return {"orders past fiscal retention": len(orders)}


def _forget_in_events(uow, order: Order) -> None:
    """The events about the order, its shipments and their invoices (what a webshop replays)."""
    from bnpl.events import privacy as events

    personal = redact.needles([*order.consumer.values(), (order.billing_address or {}).get("street"),
                               (order.shipping_address or {}).get("street")])
    ids = {order.id} | {s.id for s in order.shipments} | {s.invoice_id for s in order.shipments if s.invoice_id}
    events.scrub_subjects(uow, subject_ids=ids, personal=personal)
