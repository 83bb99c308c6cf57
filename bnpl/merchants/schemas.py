from marshmallow import Schema, fields, validate

from bnpl.fields import Text


class MerchantSchema(Schema):
    id = fields.String()
    object = fields.Constant("merchant")
    name = fields.String()
    invoice_term_days = fields.Integer()
    transit_days = fields.Integer()
    order_limit = fields.Integer(attribute="order_limit_cents")
    payout_iban = fields.String(allow_none=True)
    return_pause_days = fields.Integer()
    created_at = fields.DateTime()


class MerchantSettingsSchema(Schema):
    invoice_term_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=120))
    transit_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=30))
    order_limit = fields.Integer(strict=True, data_key="order_limit", attribute="order_limit_cents",
                                 validate=validate.Range(min=1))
    payout_iban = Text(42)
    return_pause_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=90),
                                       metadata={"description": "how long an announced return pauses the invoice"})
