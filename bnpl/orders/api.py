from flask import Blueprint, g, jsonify, render_template, request

from bnpl import simulator
from bnpl.fields import WithRelated
from bnpl.orders import service
from bnpl.resources import TEMPLATES
from bnpl.risk import service as risk
from bnpl.orders.schemas import (CancellationCreateSchema, DeliveryCreateSchema, OrderCreateSchema,
                                 OrderListArgsSchema, OrderPageSchema, OrderSchema,
                                 ShipmentCreateSchema, ShipmentWithInvoiceSchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("orders", __name__, "Orders, cancellations, shipments and deliveries.")


@blp.route("/orders", methods=["POST"])
@writes
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
def create_order(data):
    """Create an order; the answer carries the accept/decline decision with its reasons."""
    created = service.create_order(current_uow(), scope=current_scope(), data=data)
    return jsonify(created.answer), 201  # the schema's dump, made once for the event


@blp.route("/orders", methods=["GET"])
@blp.arguments(OrderListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, OrderPageSchema)
def list_orders(limit, cursor, **filters):
    """Your orders, newest first."""
    items, next_cursor = service.list_orders(current_uow(), scope=current_scope(), cursor=cursor,
                                             limit=limit, **filters)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/orders/<order_id>", methods=["GET"])
@blp.response(200, OrderSchema)
def read_order(order_id):
    """One order with its lines (shipped, cancelled, returned quantities) and shipments."""
    return service.get_order(current_uow(), scope=current_scope(), order_id=order_id)


@blp.route("/orders/<order_id>/cancellations", methods=["POST"])
@writes
@blp.arguments(CancellationCreateSchema)
@blp.response(200, OrderSchema)
def cancel_order(data, order_id):
    """Cancel unshipped quantities; without lines, everything not yet shipped."""
    return service.cancel_order(current_uow(), scope=current_scope(), order_id=order_id, data=data)


@blp.route("/orders/<order_id>/shipments", methods=["POST"])
@writes
@blp.arguments(ShipmentCreateSchema)
@blp.response(201, ShipmentWithInvoiceSchema)
def ship_order(data, order_id):
    """Ship lines (all that remain when none are named); issues the invoice for them."""
    shipped = service.ship_order(current_uow(), scope=current_scope(), order_id=order_id, data=data)
    return jsonify(shipped.answer), 201  # the schema's dump, made once for the events


@blp.route("/shipments/<shipment_id>/delivery", methods=["POST"])
@writes
@blp.arguments(DeliveryCreateSchema)
@blp.response(200, ShipmentWithInvoiceSchema)
def report_delivery(data, shipment_id):
    """Report the delivery date; the invoice's due date moves later, never earlier."""
    delivered = service.report_delivery(current_uow(), scope=current_scope(), shipment_id=shipment_id,
                                        delivered_at=data["delivered_at"])
    return WithRelated(delivered.shipment, invoice=delivered.invoice)


# --- the bank identification an order waits for: provider callbacks and the local simulator
# (not the merchant API; risk keeps the verification, the order follows its outcome)

verification_pages = Blueprint("verification_pages", __name__, url_prefix="/risk", template_folder=str(TEMPLATES))


@verification_pages.post("/webhooks/<provider>")
def provider_callback(provider):
    uow = current_uow()
    service.conclude_verification(uow, provider=provider, headers=request.headers, body=request.get_data())
    uow.commit()
    return "", 204


@verification_pages.get("/local/<reference>")
def local_page(reference):
    return _local_page(current_uow(), reference)


@verification_pages.post("/local/<reference>")
def local_decision(reference):
    uow = current_uow()
    simulator.refuse_cross_site(request, base_url=uow.settings.base_url)
    service.decide_verification_locally(uow, reference=reference, confirm=request.form.get("decision") == "confirm")
    uow.commit()
    return _local_page(uow, reference)


def _local_page(uow, reference: str):
    """The simulated bank's page, in its customer's language, as a real bank's would be."""
    verification = risk.local_verification(uow, reference=reference)
    g.language = service.consumer_language(uow, order_id=verification.order_id)
    return render_template("risk/local.html", verification=verification, language=g.language)


@verification_pages.after_request
def _private(response):
    # The reference in the address is what identifies: keep it out of caches and other sites'
    # referrers (same-origin: the page's own form still sends its Origin, see refuse_cross_site).
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"})
    return response
