"""What the merchant API's conversations carry."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bnpl.fields import Text


class ConversationMessageSchema(Schema):
    at = fields.String(metadata={"description": "ISO 8601, UTC"})
    sender = fields.String(data_key="from", metadata={"description": "consumer | merchant | provider"})
    text = fields.String()


class ConversationSchema(Schema):
    id = fields.String()
    object = fields.String(dump_default="conversation")
    livemode = fields.Boolean()
    invoice_id = fields.String(allow_none=True)
    subject = fields.String()
    status = fields.String(metadata={"description": "waiting_for_us (an answer is due by answer_by) | answered | closed"})
    answer_by = fields.String(allow_none=True, metadata={"description": "when the consumer was promised an answer"})
    created_at = fields.String()
    messages = fields.List(fields.Nested(ConversationMessageSchema))


class ConversationListArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class MessageCreateSchema(Schema):
    message = Text(required=True, validate=validate.Length(min=1, max=5000))
