import hashlib

from bnpl.dunning import service
from bnpl.dunning.schemas import (DunningPoliciesSchema, DunningPolicyDocumentSchema, DunningPolicySchema,
                                  InvoiceDunningSchema, PaymentPlanCreateSchema, PaymentPlanPageSchema,
                                  PaymentPlanSchema)
from bnpl.fields import PageArgsSchema
from bnpl.web.api import merchant_blueprint, stored_pdf_response
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("dunning", __name__,
                         "Reminders, letters and fees for unpaid invoices; your dunning policy; payment plans.")

# The path segment of a policy: one per kind of customer.
CUSTOMER_TYPE = "<any(consumer, business):customer_type>"


@blp.route("/invoices/<invoice_id>/dunning", methods=["GET"])
@blp.response(200, InvoiceDunningSchema)
def read_invoice_dunning(invoice_id):
    """The dunning steps an invoice went through (what was sent, when, what it asked for) and
    the policy that applies to it."""
    return service.invoice_dunning(current_uow(), scope=current_scope(), invoice_id=invoice_id)


@blp.route("/invoices/<invoice_id>/dunning/<step_id>/pdf", methods=["GET"])
@blp.response(200, content_type="application/pdf",
              description="The letter as sent; 404 `not-rendered-yet` until the renderer stored it.")
def letter_pdf(invoice_id, step_id):
    """A dunning letter (the 14-day letter) as PDF."""
    pdf = service.letter_pdf(current_uow(), scope=current_scope(), invoice_id=invoice_id, step_id=step_id)
    return stored_pdf_response(sha256=hashlib.sha256(pdf).hexdigest(), filename=f"letter-{step_id}.pdf",
                               content=lambda: pdf)


@blp.route("/dunning-policy", methods=["GET"])
@blp.response(200, DunningPoliciesSchema)
def read_policies():
    """The dunning policy in effect for consumers and for businesses: your own, or the default."""
    return service.merchant_policies(current_uow(), scope=current_scope())


@blp.route(f"/dunning-policy/{CUSTOMER_TYPE}", methods=["PUT"])
@writes
@blp.arguments(DunningPolicyDocumentSchema)
@blp.response(200, DunningPolicySchema)
def put_policy(data, customer_type):
    """Use your own policy for this kind of customer from the next dunning run on. It is
    refused (422, with the reason) when it is incomplete or unlawful, e.g. collection costs
    for consumers before a 14-day letter's deadline."""
    return service.set_policy(current_uow(), scope=current_scope(), customer_type=customer_type, data=data)


@blp.route(f"/dunning-policy/{CUSTOMER_TYPE}", methods=["DELETE"])
@writes
@blp.response(200, DunningPolicySchema)
def delete_policy(customer_type):
    """Go back to the default policy for this kind of customer."""
    return service.reset_policy(current_uow(), scope=current_scope(), customer_type=customer_type)


@blp.route("/invoices/<invoice_id>/payment-plans", methods=["POST"])
@writes
@blp.arguments(PaymentPlanCreateSchema)
@blp.response(201, PaymentPlanSchema)
def start_payment_plan(data, invoice_id):
    """Agree a payment plan: the balance in 2 to 12 monthly instalments. The invoice is paused
    meanwhile (no reminders, fees or interest); an instalment unpaid 14 days after its due
    date ends the plan and dunning goes on where it was."""
    return service.start_payment_plan(current_uow(), scope=current_scope(), invoice_id=invoice_id, **data)


@blp.route("/invoices/<invoice_id>/payment-plans", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
@blp.response(200, PaymentPlanPageSchema)
def list_payment_plans(invoice_id, limit, cursor):
    """An invoice's payment plans, newest first."""
    items, next_cursor = service.list_payment_plans(current_uow(), scope=current_scope(), invoice_id=invoice_id,
                                                    cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}
