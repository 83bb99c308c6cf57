from datetime import date

from marshmallow import Schema, fields, pre_dump, validate

from bnpl.dunning import policy
from bnpl.fields import Cents, Text, WithRelated, page_schema
from bnpl.web.api import API_PREFIX

# A merchant's policy may only name e-mails that exist: those the default policies send.
DUNNING_TEMPLATES = sorted({level.template for p in policy.DEFAULTS.values() for level in p.levels
                            if level.template})


# --- the policy as a document: what PUT takes and GET answers (bnpl.dunning.policy) ----------

class DunningLevelSchema(Schema):
    name = Text(30, required=True, metadata={"description": "e.g. reminder, fourteen_day_letter"})
    after_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=365))
    counts_from = fields.String(validate=validate.OneOf(policy.COUNTS_FROM),
                                metadata={"description": "due (the due date), sent (the previous level) or "
                                                         "deadline (the previous letter's deadline); default due"})
    channel = fields.String(validate=validate.OneOf(policy.CHANNELS), metadata={"description": "default email"})
    template = fields.String(allow_none=True, validate=validate.OneOf(DUNNING_TEMPLATES),
                             metadata={"description": "the consumer's e-mail; null sends none"})
    charges = fields.List(fields.String(validate=validate.OneOf(policy.CHARGES)),
                          validate=validate.Length(max=len(policy.CHARGES)))
    # Only true and false: "yes" or 1 would quietly turn a level into a letter or a hand-over.
    letter = fields.Boolean(truthy={True}, falsy={False},
                            metadata={"description": "the 14-day letter: states costs and deadline"})
    final = fields.Boolean(truthy={True}, falsy={False}, metadata={"description": "the hand-over: the last level"})


class CostBandSchema(Schema):
    up_to_cents = Cents(required=True, allow_none=True, metadata={"description": "null: everything above"})
    rate_bp = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10_000),
                             metadata={"description": "basis points: 1500 is 15 %"})


class CostScaleSchema(Schema):
    bands = fields.List(fields.Nested(CostBandSchema), required=True, validate=validate.Length(min=1, max=20))
    minimum_cents = Cents(required=True)
    maximum_cents = Cents(required=True)


class DunningPolicyDocumentSchema(Schema):
    levels = fields.List(fields.Nested(DunningLevelSchema), required=True, validate=validate.Length(min=1, max=10))
    cost_rule = fields.String(validate=validate.OneOf(policy.COST_RULES),
                              metadata={"description": "wik (consumers, default) or business_flat (EUR 40)"})
    interest = fields.String(validate=validate.OneOf(tuple(policy.INTEREST_TABLES)),
                             metadata={"description": "statutory (default) or commercial"})
    minimum_balance_cents = Cents(metadata={"description": "below it nothing is sent; default 100"})
    cost_scale = fields.Nested(CostScaleSchema, metadata={"description": "default: the WIK scale"})


class DunningPolicySchema(DunningPolicyDocumentSchema):
    customer_type = fields.String()
    default = fields.Boolean(metadata={"description": "true: the provider's default, you stored none"})
    updated_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _as_document(self, in_effect, **kwargs):
        return {**in_effect.policy.to_dict(), "customer_type": in_effect.customer_type,
                "default": in_effect.default, "updated_at": in_effect.updated_at}


class DunningPoliciesSchema(Schema):
    consumer = fields.Nested(DunningPolicySchema)
    business = fields.Nested(DunningPolicySchema)


# --- what dunning did to an invoice -------------------------------------------------------------

class DunningStepSchema(Schema):
    id = fields.String()
    level = fields.Integer()
    name = fields.String()
    channel = fields.String()
    sent_on = fields.Date()
    deadline = fields.Date(allow_none=True, metadata={"description": "a letter's last day to pay without costs"})
    balance = fields.Integer(attribute="balance_cents", metadata={"description": "what it asked for"})
    costs = fields.Integer(attribute="costs_cents", metadata={"description": "stated (a letter) or charged"})
    interest = fields.Integer(attribute="interest_cents", metadata={"description": "charged with this step"})
    letter = fields.Boolean(metadata={"description": "a letter, kept as a PDF"})
    pdf_stored = fields.Boolean(metadata={"description": "the letter's PDF is rendered and stored"})
    pdf_url = fields.Function(
        lambda step: f"{API_PREFIX}/invoices/{step.invoice_id}/dunning/{step.id}/pdf" if step.letter else None,
        metadata={"type": ["string", "null"]})


class InvoiceDunningSchema(Schema):
    object = fields.Constant("invoice_dunning")
    invoice_id = fields.String()
    dunning_level = fields.Integer()
    customer_type = fields.String()
    steps = fields.List(fields.Nested(DunningStepSchema))
    policy = fields.Nested(DunningPolicySchema)


# --- payment plans -------------------------------------------------------------------------------

class InstalmentSchema(Schema):
    number = fields.Integer()
    due_date = fields.Date()
    amount = fields.Integer()


class PaymentPlanSchema(Schema):
    id = fields.String()
    object = fields.Constant("payment_plan")
    livemode = fields.Boolean()
    invoice_id = fields.String()
    status = fields.String(metadata={"description": "active | completed (paid in full) | ended (an instalment "
                                                    "was missed: dunning goes on)"})
    total = fields.Integer(metadata={"description": "the balance when the plan started"})
    instalments = fields.List(fields.Nested(InstalmentSchema))
    created_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _numbered(self, plan, **kwargs):
        # Stored as JSON ({"due_date": "2026-12-01", "amount": 2500}); answered numbered, with dates.
        instalments = [{"number": n, "due_date": date.fromisoformat(item["due_date"]), "amount": item["amount"]}
                       for n, item in enumerate(plan.instalments, start=1)]
        return WithRelated(plan, instalments=instalments, total=sum(item["amount"] for item in instalments))


class PaymentPlanCreateSchema(Schema):
    instalments = fields.Integer(strict=True, required=True,
                                 metadata={"description": "monthly instalments, 2 to 12", "minimum": 2, "maximum": 12})
    first_due = fields.Date(metadata={"description": "the first instalment's due date; default 14 days from today"})


PaymentPlanPageSchema = page_schema(PaymentPlanSchema)
