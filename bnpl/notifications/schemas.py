from marshmallow import Schema, fields, validate

from bnpl.fields import Text, page_schema


class WebhookEndpointSchema(Schema):
    id = fields.String()
    object = fields.Constant("webhook_endpoint")
    livemode = fields.Boolean()
    url = fields.String()
    description = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    failing_since = fields.DateTime(allow_none=True)
    parked_until = fields.DateTime(allow_none=True, metadata={
        "description": "after failures in a row nothing is sent until then (a circuit breaker); "
                       "messages wait without spending attempts"})
    created_at = fields.DateTime()


class NewWebhookEndpointSchema(WebhookEndpointSchema):
    secret = fields.String(metadata={"description": "signs every delivery (Bnpl-Signature); shown only now"})


class WebhookEndpointCreateSchema(Schema):
    url = Text(2048, required=True, metadata={"description": "https; http only to a loopback address in test mode"})
    event_types = fields.List(Text(60), load_default=lambda: ["*"], validate=validate.Length(min=1, max=50),
                              metadata={"description": "event types to receive, or ['*'] for all"})
    description = Text(200, load_default=None)


WebhookEndpointPageSchema = page_schema(WebhookEndpointSchema)
