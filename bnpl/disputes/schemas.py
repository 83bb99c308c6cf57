"""What merchants send and read. The dump is the SHARED case file: a mediator's internal
notes never appear in it (they are not shared entries)."""
from __future__ import annotations

import base64
import binascii

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bnpl.disputes import states
from bnpl.disputes.models import REASONS
from bnpl.fields import PLAUSIBLE_DAY, Cents, Text

PROPOSALS = ("accept", "reject", "partial_credit")


class Base64File(fields.Field):
    """A file inside JSON: its bytes as base64."""

    default_error_messages = {"invalid": "Send the file's bytes as base64."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.make_error("invalid") from None


class EvidenceUploadSchema(Schema):
    filename = Text(200, required=True)
    content = Base64File(required=True, metadata={"description": "the file, base64; PDF, JPEG, PNG or WebP"})


class ResponseCreateSchema(Schema):
    message = Text(5000, required=True, metadata={"description": "your answer, shown to the consumer and the mediator"})
    proposal = Text(required=True, validate=validate.OneOf(PROPOSALS), metadata={
        "description": "accept: credit the disputed amount and end the case; partial_credit: credit `amount` "
                       "and end the case; reject: a mediator decides"})
    amount = Cents(metadata={"description": "for partial_credit: the amount to credit, in cents"})
    evidence = fields.List(fields.Nested(EvidenceUploadSchema), load_default=list)

    @validates_schema
    def _amount_with_partial(self, data, **kwargs):
        if data.get("proposal") == "partial_credit" and not data.get("amount"):
            raise ValidationError("A partial credit needs the amount to credit.", "amount")
        if data.get("proposal") != "partial_credit" and data.get("amount") is not None:
            raise ValidationError("An amount goes only with a partial_credit proposal.", "amount")


class DisputeListArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)
    status = fields.String(validate=validate.OneOf(states.STATES))


class StatisticsArgsSchema(Schema):
    since = fields.Date(validate=PLAUSIBLE_DAY, metadata={"description": "first day (default: 90 days ago)"})
    until = fields.Date(validate=PLAUSIBLE_DAY, metadata={"description": "last day (default: today)"})


class EvidenceSchema(Schema):
    id = fields.String()
    party = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer(attribute="size_bytes")
    sha256 = fields.String()
    uploaded_at = fields.DateTime()


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    party = fields.String(metadata={"description": "consumer | merchant | mediator | system"})
    kind = fields.String()
    message = fields.String(allow_none=True)
    data = fields.Dict()
    evidence = fields.List(fields.Nested(EvidenceSchema))


class DisputedLineSchema(Schema):
    reference = fields.String()
    description = fields.String()
    quantity = fields.Integer()
    amount = fields.Integer()


class DecisionSchema(Schema):
    outcome = fields.String(metadata={"description": "consumer | partial | merchant | withdrawn"})
    credited = fields.Integer(attribute="credited_cents", allow_none=True)
    credit_note_id = fields.String(allow_none=True)
    reasons = fields.String(attribute="decision_reasons")
    decided_at = fields.DateTime()
    decided_by = fields.Function(lambda d: "mediator" if (d.decided_by or "").startswith("stf_") else d.decided_by)
    resume_due_date = fields.Date(allow_none=True)
    invoice_on_hold = fields.Method("_on_hold", metadata={
        "description": "the invoice stays paused for another reason (a return); no due date yet"})

    def _on_hold(self, dispute):
        ended = next((e for e in reversed(dispute.entries) if e.kind in ("decided", "withdrawn")), None)
        return bool(ended and ended.data.get("invoice_on_hold"))


class DisputeSchema(Schema):
    id = fields.String()
    object = fields.Constant("dispute")
    livemode = fields.Boolean()
    invoice_id = fields.String()
    invoice_number = fields.String()
    status = fields.String()
    waiting_for = fields.String(allow_none=True, metadata={"description": "merchant | consumer | mediator"})
    respond_by = fields.DateTime(allow_none=True, metadata={"description": "the deadline of whoever the case waits for"})
    reason = fields.String(metadata={"description": " | ".join(REASONS)})
    description = fields.String()
    lines = fields.List(fields.Nested(DisputedLineSchema), allow_none=True)
    disputed = fields.Integer(attribute="disputed_cents")
    currency = fields.String()
    contacted_merchant_on = fields.Date(allow_none=True)
    merchant_missed_deadline = fields.Boolean()
    merchant_answered = fields.Function(lambda d: d.first_merchant_response_at is not None, metadata={
        "description": "false until the webshop's first answer: a small case it leaves unanswered is decided "
                       "for the consumer"})
    opened_at = fields.DateTime()
    decision = fields.Method("_decision", allow_none=True)
    timeline = fields.Method("_timeline")

    def _decision(self, dispute):
        return DecisionSchema().dump(dispute) if dispute.decided_at else None

    def _timeline(self, dispute):
        evidence = {}
        for item in dispute.evidence:
            evidence.setdefault(item.entry_id, []).append(item)
        return [TimelineEntrySchema().dump({"at": entry.at, "party": entry.party, "kind": entry.kind,
                                            "message": entry.message, "data": entry.data,
                                            "evidence": evidence.get(entry.id, [])})
                for entry in dispute.shared_entries()]


class MerchantStatisticsSchema(Schema):
    merchant_id = fields.String()
    merchant_name = fields.String()
    since = fields.Date()
    until = fields.Date()
    invoices = fields.Integer(metadata={"description": "invoices issued in the period"})
    disputes = fields.Integer(metadata={"description": "disputes opened in the period"})
    dispute_rate = fields.String(metadata={"description": "disputes per 100 invoices, as a decimal string"})
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    running = fields.Integer()
    missed_deadlines = fields.Integer()
    median_response_hours = fields.Float(allow_none=True)
