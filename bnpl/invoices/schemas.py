from decimal import Decimal

from marshmallow import Schema, fields, validate

from bnpl.fields import (Cents, PageArgsSchema, Text, VatBreakdownSchema, VatRate, page_schema,
                         vat_percent)
from bnpl.money import vat_breakdown


class _DocumentLineSchema(Schema):
    """A line of an invoice or a credit note."""

    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(attribute="unit_price_cents")
    vat_rate = VatRate(attribute="vat_rate_bp")
    total = fields.Integer(attribute="total_cents")


class InvoiceLineSchema(_DocumentLineSchema):
    reference = fields.String(attribute="order_line_reference")


class ExtensionCreateSchema(Schema):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=90),
                          metadata={"description": "how many days later the invoice is due"})


class ExtensionSchema(Schema):
    requested_by = fields.String(metadata={"description": "consumer | merchant"})
    days = fields.Integer()
    previous_due_date = fields.Date()
    due_date = fields.Date()
    created_at = fields.DateTime()


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
    paused = fields.Function(lambda invoice: invoice.open_pause is not None)
    pause_reason = fields.Function(lambda invoice: invoice.open_pause.reason if invoice.open_pause else None)
    billed_to = fields.Dict()
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    vat_breakdown = fields.List(fields.Nested(VatBreakdownSchema), attribute="vat_lines")
    total = fields.Integer(attribute="total_cents")
    credited = fields.Integer(attribute="credited_cents")
    paid = fields.Integer(attribute="paid_cents")
    fees = fields.Integer(attribute="fees_cents",
                          metadata={"description": "collection costs charged and not waived, in cents"})
    interest = fields.Integer(attribute="interest_cents",
                              metadata={"description": "statutory or commercial interest charged and not waived"})
    balance = fields.Integer(attribute="balance_cents")
    refund_owed = fields.Integer(attribute="refund_owed_cents")
    dunning_level = fields.Integer(metadata={"description": "the last dunning level reached; 0: none"})
    payment_reference = fields.String()
    credit_notes = fields.List(fields.Nested("CreditNoteSummarySchema"))
    pauses = fields.List(fields.Nested("PauseSchema"))
    payments = fields.List(fields.Nested("InvoicePaymentSchema"))
    charges = fields.List(fields.Nested("FeeSchema"), attribute="fees",
                          metadata={"description": "every fee charged, itemised, waived ones included"})
    extensions = fields.List(fields.Nested(ExtensionSchema))


def dump_new_invoice(invoice, lines: list[dict]) -> dict:
    """InvoiceSchema's dump of an invoice just issued, from the values written (the invoice's
    columns, its lines' rows): key for key the same dict, for an invoice with no pause, credit,
    payment, fee or extension yet, without building its ORM object (issue 19;
    tests/orders/test_shipment_dumps.py holds it to the schema)."""
    total = invoice.total_cents
    return {
        "id": invoice.id, "object": "invoice", "livemode": invoice.livemode, "number": invoice.number,
        "status": invoice.status, "order_id": invoice.order_id, "shipment_id": invoice.shipment_id,
        "currency": invoice.currency, "issued_at": invoice.issued_at.isoformat(),
        "due_date": invoice.due_date.isoformat(), "paused": False, "pause_reason": None,
        "billed_to": dict(invoice.billed_to),
        "lines": [{"description": line["description"], "quantity": line["quantity"],
                   "unit_price": line["unit_price_cents"], "vat_rate": vat_percent(line["vat_rate_bp"]),
                   "total": line["total_cents"], "reference": line["order_line_reference"]} for line in lines],
        "vat_breakdown": [{"rate": vat_percent(vat.rate), "net": vat.net, "vat": vat.vat, "gross": vat.gross}
                          for vat in vat_breakdown((Decimal(line["vat_rate_bp"]) / 100, line["total_cents"])
                                                   for line in lines)],
        "total": total, "credited": 0, "paid": 0, "fees": 0, "interest": 0, "balance": total, "refund_owed": 0,
        "dunning_level": invoice.dunning_level, "payment_reference": invoice.payment_reference,
        "credit_notes": [], "pauses": [], "payments": [], "charges": [], "extensions": [],
    }



class CreditNoteLineSchema(_DocumentLineSchema):
    reference = fields.String(allow_none=True)


class CreditNoteSummarySchema(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String()
    total = fields.Integer(attribute="total_cents")
    issued_at = fields.DateTime()


class CreditNoteSchema(CreditNoteSummarySchema):
    object = fields.Constant("credit_note")
    livemode = fields.Boolean()
    invoice_id = fields.String()
    return_id = fields.String(allow_none=True)
    reason = fields.String()
    lines = fields.List(fields.Nested(CreditNoteLineSchema))
    vat_breakdown = fields.List(fields.Nested(VatBreakdownSchema), attribute="vat_lines")



class InvoicePaymentSchema(Schema):
    payment_id = fields.String()
    method = fields.String()
    amount = fields.Integer(attribute="amount_cents")
    paid_on = fields.Date()


class FeeSchema(Schema):
    """A fee for paying late, with how it was computed (fees may only cover costs)."""

    id = fields.String()
    kind = fields.String(metadata={"description": "collection_costs | interest"})
    amount = fields.Integer(attribute="amount_cents")
    basis = fields.String()
    period_start = fields.Date(allow_none=True, metadata={"description": "interest: the first day it covers"})
    period_end = fields.Date(allow_none=True, metadata={"description": "interest: the last day it covers"})
    dunning_level = fields.Integer(allow_none=True)
    charged_at = fields.DateTime()
    waived_at = fields.DateTime(allow_none=True)
    waiver_reason = fields.String(allow_none=True)


class PauseSchema(Schema):
    id = fields.String()
    reason = fields.String()
    reference_id = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ends_at = fields.DateTime()
    lifted_at = fields.DateTime(allow_none=True)
    lifted_by = fields.String(allow_none=True)


class AmountCreditCreateSchema(Schema):
    amount = Cents(required=True, validate=validate.Range(min=1, error="A credit is at least 1 cent."))
    reason = Text(500, required=True)


class FeeWaiverCreateSchema(Schema):
    fees = fields.List(Text(40), validate=validate.Length(min=1, max=100, error="Name 1 to 100 fees, or leave "
                                                          "'fees' out to waive every fee not yet waived."),
                       metadata={"description": "ids of the fees to waive; default: every fee not yet waived"})
    reason = Text(300, required=True, metadata={"description": "why, for the consumer and the audit trail"})


class InvoiceListArgsSchema(PageArgsSchema):
    status = Text(load_default=None)
    order_id = Text(load_default=None)


InvoicePageSchema = page_schema(InvoiceSchema)
