from marshmallow import Schema, fields, validate

from bnpl.fields import Text


class EventSchema(Schema):
    id = fields.String()
    object = fields.Constant("event")
    type = fields.String()
    livemode = fields.Boolean()
    created_at = fields.DateTime()
    data = fields.Dict()


class EventListArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = Text(load_default=None, metadata={"description": "an event id: list the events after it"})
    type = Text(load_default=None)


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(allow_none=True)
