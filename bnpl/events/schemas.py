from marshmallow import Schema, fields

from bnpl.fields import PageArgsSchema, Text, page_schema


class EventSchema(Schema):
    id = fields.String()
    object = fields.Constant("event")
    type = fields.String()
    livemode = fields.Boolean()
    created_at = fields.DateTime()
    data = fields.Dict()


class EventListArgsSchema(PageArgsSchema):
    type = Text(load_default=None)


EventPageSchema = page_schema(EventSchema)
