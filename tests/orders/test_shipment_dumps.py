"""Shipping answers with the shipment and its invoice (and its events carry them) dumped from
the values it wrote, not from ORM objects (issue 19): key for key, in the same order, what
ShipmentSchema and InvoiceSchema make of the rows stored."""
from __future__ import annotations

from datetime import timedelta

from bnpl.invoices import service as invoices
from bnpl.invoices.schemas import InvoiceSchema
from bnpl.orders import service as orders
from bnpl.orders.models import Shipment
from bnpl.orders.schemas import ShipmentSchema
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import NOW


def _same(answer: dict, stored: dict) -> bool:
    """Equal, and with the schema's keys in the schema's order (a JSON column's own keys, as
    billed_to's, come back from PostgreSQL's jsonb in its order, not in the order written)."""
    def keys(value, inside_json=False):
        if isinstance(value, dict):
            return [(key, keys(item, inside_json or key == "billed_to")) for key, item in
                    (sorted(value.items()) if inside_json else value.items())]
        if isinstance(value, list):
            return [keys(item, inside_json) for item in value]
        return None

    return answer == stored and keys(answer) == keys(stored)


def _stored(services, scope: Scope, shipped: orders.Shipped) -> tuple[dict, dict]:
    with unit_of_work(services) as uow:
        shipment = uow.session.get(Shipment, shipped.shipment.id)
        invoice = invoices.get_invoice(uow, scope=scope, invoice_id=shipped.invoice.id)
        return ShipmentSchema().dump(shipment), InvoiceSchema().dump(invoice)


def test_a_partial_shipment_of_a_business_order_at_three_rates_one_of_them_0_is_dumped_as_its_stored_rows(
        api, services, clock):
    factories.give_legal_details(api)
    lines = [factories.line("SKU-1", 3, 1999, 21), factories.line("SKU-2", 2, 450, 9),
             factories.line("SKU-3", 1, 2500, 0), factories.line("SKU-4", 1, 995, 21)]
    order = api.post("/orders", json=factories.order(lines=lines, consumer=factories.consumer(
        type="business", company_name="Dijkstra Advocaten B.V.", vat_number="NL808661863B01",
        language="en"))).json
    assert order["status"] == "accepted", order
    scope = Scope(api.merchant_id, False)
    clock.advance(days=3)
    with unit_of_work(services) as uow:
        shipped = orders.ship_order(uow, scope=scope, order_id=order["id"], data={
            "lines": [{"reference": "SKU-3", "quantity": 1}, {"reference": "SKU-1", "quantity": 2},
                      {"reference": "SKU-2", "quantity": 2}],
            "shipped_at": NOW + timedelta(days=1, microseconds=250), "delivered_at": NOW + timedelta(days=2),
            "carrier": "PostNL", "tracking_code": "3SABCD0123456"})
    answer = dict(shipped.answer)
    invoice = answer.pop("invoice")
    shipment_stored, invoice_stored = _stored(services, scope, shipped)
    assert _same(answer, shipment_stored)
    assert _same(invoice, invoice_stored)
    assert [line["vat_rate"] for line in invoice["lines"]] == [0, 21, 9]


def test_shipping_the_rest_without_a_carrier_is_dumped_as_its_stored_rows(api, services):
    order = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    scope = Scope(api.merchant_id, False)
    with unit_of_work(services) as uow:
        orders.ship_order(uow, scope=scope, order_id=order["id"], data={"lines": [{"reference": "SKU-2", "quantity": 1}]})
    with unit_of_work(services) as uow:
        shipped = orders.ship_order(uow, scope=scope, order_id=order["id"], data={})
    answer = dict(shipped.answer)
    invoice = answer.pop("invoice")
    assert answer["delivered_at"] is None and answer["carrier"] is None
    shipment_stored, invoice_stored = _stored(services, scope, shipped)
    assert _same(answer, shipment_stored)
    assert _same(invoice, invoice_stored)


def test_an_order_the_transaction_holds_shows_what_shipping_changed(api, services):
    """A caller that read the order (an ORM object) and ships it in the same transaction reads
    the new status, quantities and shipment on, as when shipping changed the object itself."""
    order_id = api.post("/orders", json=factories.order(lines=factories.three_lines())).json["id"]
    scope = Scope(api.merchant_id, False)
    with unit_of_work(services) as uow:
        order = orders.get_order(uow, scope=scope, order_id=order_id)
        assert [line.shipped_quantity for line in order.lines] == [0, 0, 0] and order.shipments == []
        shipped = orders.ship_order(uow, scope=scope, order_id=order_id, data={"lines": [{"reference": "SKU-2", "quantity": 1}]})
        assert order.status == "partially_shipped"
        assert [line.shipped_quantity for line in order.lines] == [0, 1, 0]
        assert [shipment.id for shipment in order.shipments] == [shipped.shipment.id]
