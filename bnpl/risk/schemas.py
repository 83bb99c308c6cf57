from __future__ import annotations

from marshmallow import Schema, fields, validate

from bnpl.fields import PLAUSIBLE_DAY, Cents

_DAYS = validate.Range(min=0, max=3650)
_COUNT = validate.Range(min=0, max=10_000)


class RiskPolicyFieldsSchema(Schema):
    """The acceptance policy's numbers. In a PUT name only what you change; each must be at
    least as strict as the installation's (lower limits, more checks), or the PUT is a 422
    naming the field."""

    new_person_limit_cents = Cents(metadata={"description": "what a person we do not know may have open at once"})
    limit_ceiling_cents = Cents(metadata={"description": "the most anyone may have open at once"})
    limit_step_cents = Cents(metadata={"description": "what each invoice paid on time adds to a person's limit"})
    verified_limit_cents = Cents(metadata={"description": "what a bank-verified person may have open"})
    late_hold_days = fields.Integer(validate=_DAYS, metadata={"description": "a late payment stops growth this long"})
    verified_for_days = fields.Integer(validate=_DAYS, metadata={"description": "a verification counts this long"})
    fresh_identity_days = fields.Integer(validate=_DAYS, metadata={
        "description": "a person first seen this recently, with nothing paid yet, is a fresh identity"})
    minimum_age = fields.Integer(validate=validate.Range(min=0, max=120))
    max_person_orders_hour = fields.Integer(validate=_COUNT, metadata={"description": "one person, all webshops"})
    max_person_orders_day = fields.Integer(validate=_COUNT)
    max_identifier_orders_hour = fields.Integer(validate=_COUNT, metadata={
        "description": "orders from one device, phone number or address, anyone's"})
    max_identifier_orders_day = fields.Integer(validate=_COUNT)
    verify_fresh_high_risk_goods = fields.Boolean(metadata={
        "description": "a fresh identity buying high_risk_goods identifies through their bank first"})
    established_customer_days = fields.Integer(validate=_DAYS, metadata={
        "description": "your customer this long (context.customer_since) ..."})
    established_customer_orders = fields.Integer(validate=_COUNT, metadata={
        "description": "... with this many orders (context.customer_order_count) is no fresh identity"})
    overdue_grace_days = fields.Integer(validate=_DAYS, metadata={
        "description": "an invoice at most this many days overdue does not decline yet"})
    verified_single_purchase_cents = Cents(metadata={
        "description": "one purchase a bank-verified person may make with nothing else open"})
    verified_limit_max_webshops = fields.Integer(validate=_COUNT, metadata={
        "description": "the verified limit holds while the person ordered at fewer other webshops in 14 days"})
    max_recent_webshops_new_person = fields.Integer(validate=_COUNT, metadata={
        "description": "a person with nothing paid yet who ordered at this many other webshops in 14 days is declined"})
    takeover_needs_fresh_verification = fields.Boolean(metadata={
        "description": "a known person ordering from a new device to a new address identifies again"})
    max_shared_identifier_consumers = fields.Integer(validate=_COUNT, metadata={
        "description": "this many other consumers ordered with the phone, device or address in 7 days: identify"})


class RiskPolicySchema(Schema):
    version = fields.Integer(metadata={"description": "0: the installation's default, you changed nothing"})
    policy = fields.Nested(RiskPolicyFieldsSchema, metadata={"description": "the policy in effect for you"})
    installation = fields.Nested(RiskPolicyFieldsSchema, metadata={
        "description": "the installation's default: your policy may only be stricter"})


class RiskStatisticsArgsSchema(Schema):
    since = fields.Date(load_default=None, validate=PLAUSIBLE_DAY, metadata={"description": "default: 30 days ago"})
    until = fields.Date(load_default=None, validate=PLAUSIBLE_DAY, metadata={"description": "default: today"})


class RiskStatisticsSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    decisions = fields.Integer(metadata={"description": "orders decided (a verification's conclusion counts once)"})
    approval_rate = fields.String(metadata={"description": "accepted per 100 orders, two decimals"})
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    reasons = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "how often each reason code declined an order or asked for verification"})
