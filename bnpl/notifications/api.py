from flask import Response

from bnpl.notifications import service
from bnpl.notifications.schemas import (NewWebhookEndpointSchema, WebhookEndpointCreateSchema,
                                        WebhookEndpointPageSchema, WebhookEndpointSchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("webhook-endpoints", __name__,
                         "Where your events go, signed with 'Bnpl-Signature: t=…,v1=…'.")


@blp.route("/webhook-endpoints", methods=["POST"])
@writes
@blp.arguments(WebhookEndpointCreateSchema)
@blp.response(201, NewWebhookEndpointSchema)
def create_endpoint(data):
    """Add an endpoint; the answer shows its signing secret, this once."""
    return service.create_endpoint(current_uow(), scope=current_scope(), **data)


@blp.route("/webhook-endpoints", methods=["GET"])
@blp.response(200, WebhookEndpointPageSchema)
def list_endpoints():
    """Your endpoints (without their secrets)."""
    return {"items": service.list_endpoints(current_uow(), scope=current_scope()), "next_cursor": None}


@blp.route("/webhook-endpoints/<endpoint_id>", methods=["GET"])
@blp.response(200, WebhookEndpointSchema)
def read_endpoint(endpoint_id):
    """One endpoint: whether it is enabled, and since when it has been failing."""
    return service.get_endpoint(current_uow(), scope=current_scope(), endpoint_id=endpoint_id)


@blp.route("/webhook-endpoints/<endpoint_id>", methods=["DELETE"])
@writes
@blp.response(204)
def delete_endpoint(endpoint_id):
    """Stop sending events there."""
    service.delete_endpoint(current_uow(), scope=current_scope(), endpoint_id=endpoint_id)
    return Response(status=204)
