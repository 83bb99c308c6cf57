from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from bnpl.invoices.schemas import InvoiceSchema
from bnpl.fields import (AddressSchema, Cents, PageArgsSchema, Quantity, Text, VatBreakdownSchema, VatNumber, VatRate,
                         page_schema, vat_percent)
from bnpl.money import vat_breakdown

PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,24}$")


class ConsumerSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Text(200, required=True)
    phone = Text(validate=validate.Regexp(PHONE, error="Not a phone number; use +31 6 12345678."))
    birth_date = fields.Date()
    type = Text(load_default="person", validate=validate.OneOf(["person", "business"]))
    company_name = Text(200)
    vat_number = VatNumber()
    language = Text(validate=validate.OneOf(["nl", "en", "de"]),
                             metadata={"description": "preferred language for invoices and e-mail"})

    @validates_schema
    def _business(self, data, **kwargs):
        if data.get("type") == "business" and not data.get("company_name"):
            raise ValidationError("A business consumer needs a company_name.", "company_name")


class LineSchema(Schema):
    reference = Text(100, required=True)
    description = Text(500, required=True)
    quantity = Quantity(required=True)
    unit_price = Cents(required=True, metadata={"description": "price of one unit including VAT, in cents"})
    vat_rate = VatRate(required=True)
    total = Cents(metadata={"description": "optional: your quantity × unit_price, checked by the server"})


class OrderContextSchema(Schema):
    """What the webshop knows about the buyer; all optional, each helps the decision (a known
    device, for instance, lets a known consumer order from a hotel without extra checks)."""

    ip_address = fields.IP(metadata={"description": "the buyer's IP address (IPv4 or IPv6)"})
    device_id = Text(200, metadata={"description": "your stable identifier of the buyer's device or browser"})
    customer_since = fields.Date(metadata={"description": "when the buyer's account at your shop was created"})
    customer_order_count = fields.Integer(validate=validate.Range(min=0, max=1_000_000),
                                          metadata={"description": "earlier orders of this account at your shop"})
    delivery_method = Text(validate=validate.OneOf(["home", "pickup_point", "store"]),
                           metadata={"description": "home (default), pickup_point or store"})
    high_risk_goods = fields.Boolean(metadata={"description": "goods that are often bought with stolen identities "
                                                              "(electronics, gift cards, ...)"})

    @post_load
    def _as_text(self, data, **kwargs):
        if data.get("ip_address") is not None:
            data["ip_address"] = str(data["ip_address"])
        return data


class OrderCreateSchema(Schema):
    merchant_reference = Text(100, required=True)
    currency = Text(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$", error="An ISO 4217 code like EUR."))
    consumer = fields.Nested(ConsumerSchema, required=True)
    billing_address = fields.Nested(AddressSchema, required=True)
    shipping_address = fields.Nested(AddressSchema)
    lines = fields.List(fields.Nested(LineSchema), required=True,
                        validate=validate.Length(min=1, max=200, error="An order has 1 to 200 lines."))
    expected_total = Cents(metadata={"description": "optional: the total you computed; a mismatch is a 422"})
    context = fields.Nested(OrderContextSchema, metadata={"description": "optional: what you know about the buyer"})


class LineQuantitySchema(Schema):
    reference = Text(100, required=True)
    quantity = Quantity(required=True)


class CancellationCreateSchema(Schema):
    lines = fields.List(fields.Nested(LineQuantitySchema), validate=validate.Length(min=1, max=200),
                        metadata={"description": "omit to cancel everything not shipped"})
    reason = Text(500)


class ShipmentCreateSchema(Schema):
    lines = fields.List(fields.Nested(LineQuantitySchema), validate=validate.Length(min=1, max=200),
                        metadata={"description": "omit to ship everything that remains"})
    shipped_at = fields.AwareDateTime(metadata={"description": "default: now"})
    delivered_at = fields.AwareDateTime()
    carrier = Text(60)
    tracking_code = Text(100)


class DeliveryCreateSchema(Schema):
    delivered_at = fields.AwareDateTime(required=True)


class OrderLineSchema(Schema):
    reference = fields.String()
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(attribute="unit_price_cents")
    vat_rate = VatRate(attribute="vat_rate_bp")
    total = fields.Integer(attribute="total_cents")
    shipped_quantity = fields.Integer()
    cancelled_quantity = fields.Integer()
    returned_quantity = fields.Integer()
    open_quantity = fields.Integer()


class ShipmentLineSchema(Schema):
    reference = fields.Function(lambda line: line.order_line.reference)
    quantity = fields.Integer()


class ShipmentSchema(Schema):
    id = fields.String()
    object = fields.Constant("shipment")
    order_id = fields.String()
    shipped_at = fields.DateTime()
    delivered_at = fields.DateTime()
    carrier = fields.String()
    tracking_code = fields.String()
    invoice_id = fields.String()
    lines = fields.List(fields.Nested(ShipmentLineSchema))


def dump_new_shipment(shipment, lines: list[tuple[str, int]]) -> dict:
    """ShipmentSchema's dump of a shipment just written, from its values and its lines'
    (reference, quantity): key for key the same dict, without building its ORM objects (issue 19;
    tests/orders/test_shipment_dumps.py holds it to the schema)."""
    delivered_at = shipment.delivered_at
    return {"id": shipment.id, "object": "shipment", "order_id": shipment.order_id,
            "shipped_at": shipment.shipped_at.isoformat(),
            "delivered_at": None if delivered_at is None else delivered_at.isoformat(),
            "carrier": shipment.carrier, "tracking_code": shipment.tracking_code, "invoice_id": shipment.invoice_id,
            "lines": [{"reference": reference, "quantity": quantity} for reference, quantity in lines]}


class ReasonSchema(Schema):
    code = fields.String()
    text = fields.String()


class DecisionSchema(Schema):
    id = fields.String(metadata={"description": "the decision's reference, for questions and a review"})
    outcome = fields.String(metadata={"description": "accepted | declined | verification_required"})
    reasons = fields.List(fields.Nested(ReasonSchema))
    verification_url = fields.String(metadata={
        "description": "only with verification_required: send the consumer here to identify through their bank"})


class OrderSchema(Schema):
    id = fields.String()
    object = fields.Constant("order")
    livemode = fields.Boolean()
    merchant_reference = fields.String()
    status = fields.String(metadata={"description": "accepted | declined | verification_required | partially_shipped | "
                                                    "shipped | cancelled"})
    currency = fields.String()
    total = fields.Integer(attribute="total_cents")
    vat_breakdown = fields.List(fields.Nested(VatBreakdownSchema), attribute="vat_lines")
    consumer = fields.Dict()
    billing_address = fields.Dict()
    shipping_address = fields.Dict(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))
    shipments = fields.List(fields.Nested(ShipmentSchema, exclude=("lines",)))
    decision = fields.Nested(DecisionSchema)
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)


def dump_new_order(order: dict, lines: list) -> dict:
    """OrderSchema().dump of an order just created (its columns as written, its NewLines:
    nothing shipped, cancelled or returned, no shipments), the same dict in the same key order,
    built directly: marshmallow's field by field dump cost more than the rest of the answer."""
    decision = order["decision"]
    shown_decision = {"id": decision["id"], "outcome": decision["outcome"],
                      "reasons": [{"code": r["code"], "text": r["text"]} for r in decision["reasons"]]}
    if "verification_url" in decision:
        shown_decision["verification_url"] = decision["verification_url"]
    shipping = order["shipping_address"]
    return {
        "id": order["id"], "object": "order", "livemode": order["livemode"],
        "merchant_reference": order["merchant_reference"], "status": order["status"], "currency": order["currency"],
        "total": order["total_cents"],
        "vat_breakdown": [{"rate": vat_percent(v.rate), "net": v.net, "vat": v.vat, "gross": v.gross}
                          for v in vat_breakdown((line.vat_rate, line.total_cents) for line in lines)],
        "consumer": dict(order["consumer"]), "billing_address": dict(order["billing_address"]),
        "shipping_address": None if shipping is None else dict(shipping),
        "lines": [{"reference": line.reference, "description": line.description, "quantity": line.quantity,
                   "unit_price": line.unit_price_cents, "vat_rate": vat_percent(line.vat_rate_bp),
                   "total": line.total_cents, "shipped_quantity": 0, "cancelled_quantity": 0,
                   "returned_quantity": 0, "open_quantity": line.quantity} for line in lines],
        "shipments": [], "decision": shown_decision, "created_at": order["created_at"].isoformat(),
        "cancelled_at": None,
    }


class ShipmentWithInvoiceSchema(ShipmentSchema):
    invoice = fields.Nested(InvoiceSchema)



class OrderListArgsSchema(PageArgsSchema):
    status = Text(load_default=None)
    merchant_reference = Text(load_default=None)


OrderPageSchema = page_schema(OrderSchema)
