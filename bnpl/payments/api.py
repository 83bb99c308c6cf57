"""Checkouts: the merchant API's payment links, the payment providers' callbacks, and the
local provider's confirm page (the simulated bank)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from bnpl import i18n, simulator
from bnpl.fields import WithRelated
from bnpl.payments import checkout as service
from bnpl.resources import TEMPLATES
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes


# --- schemas ------------------------------------------------------------------------------

class CheckoutCreateSchema(Schema):
    method = fields.String(load_default=None, validate=validate.OneOf(service.METHODS), metadata={
        "description": "How the consumer pays; default: the method they used last, else ideal."})
    return_url = fields.Url(load_default=None, schemes={"http", "https"}, require_tld=False,
                            validate=validate.Length(max=2048), metadata={
                                "description": "Where the consumer goes after paying or cancelling."})


class CheckoutSchema(Schema):
    id = fields.String()
    object = fields.Constant("checkout")
    livemode = fields.Boolean()
    invoice_id = fields.String()
    status = fields.String(metadata={"description": "open, paid, failed, expired or cancelled"})
    method = fields.String()
    amount = fields.Integer(attribute="amount_cents")
    currency = fields.String()
    provider = fields.String()
    return_url = fields.String(allow_none=True)
    payment_id = fields.String(allow_none=True, metadata={"description": "The payment booked when paid."})
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class StartedCheckoutSchema(CheckoutSchema):
    redirect_url = fields.String(metadata={"description": "Send the consumer here to pay."})


# --- merchant API -------------------------------------------------------------------------

blp = merchant_blueprint("checkouts", __name__, "Payment links: the consumer pays an invoice online (iDEAL).")


@blp.route("/invoices/<invoice_id>/checkouts", methods=["POST"])
@writes
@blp.arguments(CheckoutCreateSchema, required=False)  # every field is optional
@blp.response(201, StartedCheckoutSchema)
def create_checkout(data, invoice_id):
    """Start an online payment of the invoice's balance; send the consumer to redirect_url."""
    checkout, redirect_url = service.start_checkout(current_uow(), scope=current_scope(), invoice_id=invoice_id,
                                                    **data)
    return WithRelated(checkout, redirect_url=redirect_url)


@blp.route("/checkouts/<checkout_id>", methods=["GET"])
@blp.response(200, CheckoutSchema)
def read_checkout(checkout_id):
    """One checkout: open until the consumer paid, cancelled or it failed."""
    return service.get_checkout(current_uow(), scope=current_scope(), checkout_id=checkout_id)


# --- provider callbacks and the local provider's pages (not part of the merchant API) ------

pages = Blueprint("payment_pages", __name__, url_prefix="/payments", template_folder=str(TEMPLATES))


@pages.post("/webhooks/<provider>")
def provider_callback(provider):
    uow = current_uow()
    service.handle_callback(uow, provider=provider, headers=request.headers, body=request.get_data())
    uow.commit()
    return "", 204


@pages.get("/local/<reference>")
def local_page(reference):
    payment = service.local_payment(current_uow(), reference=reference)
    g.language = payment.language  # the page's texts (the app's gettext reads it)
    return render_template("payments/local.html", payment=payment, language=payment.language,
                           amount=i18n.format_money(payment.amount_cents, payment.currency, payment.language))


@pages.post("/local/<reference>")
def local_decision(reference):
    uow = current_uow()
    simulator.refuse_cross_site(request, base_url=uow.settings.base_url)
    payment = service.decide_locally(uow, reference=reference, decision=request.form.get("decision", ""))
    uow.commit()
    return redirect(payment.return_url or url_for(".local_page", reference=reference), code=303)


@pages.after_request
def _private(response):
    # The reference in the address is what lets one pay: keep it out of caches and other sites'
    # referrers (same-origin: the page's own form still sends its Origin, see refuse_cross_site).
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "same-origin",
                             "X-Frame-Options": "DENY"})
    return response
