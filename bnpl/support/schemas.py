"""What the merchant API's conversations carry."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from bnpl.fields import PLAUSIBLE_DAY, Text


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


class PromiseStatisticsArgsSchema(Schema):
    since = fields.Date(load_default=None, validate=PLAUSIBLE_DAY, metadata={
        "description": "first day a question was asked (default: eight weeks up to until)"})
    until = fields.Date(load_default=None, validate=PLAUSIBLE_DAY, metadata={
        "description": "last day (default: today); at most 366 days after since"})


class PromiseWeekSchema(Schema):
    week = fields.Date(metadata={"description": "the Monday of the week in which the questions were asked"})
    channel = fields.String(metadata={"description": "where they were asked: portal | phone"})
    asked = fields.Integer(metadata={"description": "questions asked that week"})
    kept = fields.Integer(metadata={"description": "answers given by the moment promised to the customer"})
    missed = fields.Integer(metadata={"description": "answers given after it, and questions still waiting past it"})
    kept_rate = fields.String(allow_none=True, metadata={
        "description": "promises kept per 100 kept or missed, two decimals; null while none has come due"})
    median_first_answer_minutes = fields.Integer(allow_none=True, metadata={
        "description": "median time from the question to the first answer (yours or the provider's), in minutes "
                       "of office hours on working days; null while none is answered"})


class PromiseStatisticsSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    weeks = fields.List(fields.Nested(PromiseWeekSchema), metadata={"description": "newest week first"})
