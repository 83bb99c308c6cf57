from marshmallow import Schema, fields

from bnpl.fields import PageArgsSchema, page_schema


class SettlementSchema(Schema):
    id = fields.String()
    object = fields.Constant("settlement")
    livemode = fields.Boolean()
    currency = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "The last day of the period (inclusive)."})
    invoiced = fields.Integer(attribute="invoiced_cents",
                              metadata={"description": "Invoice totals issued in the period, in cents."})
    credited = fields.Integer(attribute="credited_cents",
                              metadata={"description": "Credit notes issued in the period (for any invoice), in cents."})
    fee = fields.Integer(attribute="fee_cents",
                         metadata={"description": "The provider's fee on the invoiced amount, in cents."})
    payable = fields.Integer(attribute="payable_cents",
                             metadata={"description": "invoiced − credited − fee: what the provider pays you "
                                                      "(negative: what you owe), in cents."})
    payout_iban = fields.String(allow_none=True, metadata={
        "description": "where it is paid: your payout IBAN in force when the period was settled"})
    created_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)


class SettlementListArgsSchema(PageArgsSchema):
    pass


SettlementPageSchema = page_schema(SettlementSchema)
