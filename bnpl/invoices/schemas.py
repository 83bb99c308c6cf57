from marshmallow import Schema, fields, validate

from bnpl.fields import (PageArgsSchema, Text, VatBreakdownSchema, VatRate, dump_vat_breakdown,
                         page_schema)


class InvoiceLineSchema(Schema):
    reference = fields.String(attribute="order_line_reference")
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(attribute="unit_price_cents")
    vat_rate = VatRate(attribute="vat_rate_bp")
    total = fields.Integer(attribute="total_cents")


class InvoiceSchema(Schema):
    id = fields.String()
    object = fields.Constant("invoice")
    livemode = fields.Boolean()
    number = fields.String()
    status = fields.String()
    order_id = fields.String()
    shipment_id = fields.String()
    currency = fields.String()
    issued_at = fields.DateTime()
    due_date = fields.Date()
    paused = fields.Constant(False)
    pause_reason = fields.Constant(None)
    billed_to = fields.Dict()
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    vat_breakdown = fields.Method("_vat", metadata={"type": "array", "items": VatBreakdownSchema})
    total = fields.Integer(attribute="total_cents")
    credited = fields.Constant(0)
    paid = fields.Constant(0)
    fees = fields.Constant(0)
    interest = fields.Constant(0)
    balance = fields.Integer(attribute="balance_cents")
    dunning_level = fields.Constant(0)
    payment_reference = fields.String()

    def _vat(self, invoice):
        return dump_vat_breakdown(invoice.vat_breakdown())


class InvoiceListArgsSchema(PageArgsSchema):
    status = Text(load_default=None)
    order_id = Text(load_default=None)


InvoicePageSchema = page_schema(InvoiceSchema)
