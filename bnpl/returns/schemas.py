from marshmallow import Schema, fields, validate

from bnpl.fields import Text
from bnpl.invoices.schemas import CreditNoteSchema
from bnpl.orders.schemas import LineQuantitySchema


class ReturnCreateSchema(Schema):
    lines = fields.List(fields.Nested(LineQuantitySchema), required=True,
                        validate=validate.Length(min=1, max=200))
    status = Text(load_default="announced", validate=validate.OneOf(["announced", "received"]),
                  metadata={"description": "announced: on its way (pauses the invoices); received: credit now"})
    carrier = Text(60)
    tracking_code = Text(100)
    reason = Text(500)


class ReturnLineSchema(Schema):
    reference = fields.String()
    quantity = fields.Integer()
    invoice_id = fields.String()


class ReturnSchema(Schema):
    id = fields.String()
    object = fields.Constant("return")
    livemode = fields.Boolean()
    order_id = fields.String()
    status = fields.String()
    carrier = fields.String(allow_none=True)
    tracking_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    announced_at = fields.DateTime(allow_none=True)
    receive_by = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    overdue_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(ReturnLineSchema))


class HandledReturnSchema(ReturnSchema):
    credit_notes = fields.List(fields.Nested(CreditNoteSchema))

