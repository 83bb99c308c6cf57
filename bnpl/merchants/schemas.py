from marshmallow import Schema, fields, post_load, validate

from bnpl.fields import PageArgsSchema, Text, VatNumber, page_schema
from bnpl.fields import AddressSchema
from bnpl.i18n import LANGUAGES


class LogoInfoSchema(Schema):
    media_type = fields.String(attribute="logo_type")
    size = fields.Function(lambda merchant: len(merchant.logo))


class MerchantChangeSchema(Schema):
    id = fields.String()
    object = fields.Constant("merchant_change")
    setting = fields.String(metadata={"description": "order_limit, invoice_term_days, transit_days or payout_iban"})
    from_ = fields.Raw(data_key="from", attribute="from", metadata={"description": "the value in force when asked"})
    to = fields.Raw(metadata={"description": "the value asked for"})
    status = fields.String(metadata={"description": "pending (waits for the provider), or approved: a payout IBAN "
                                                    "is used from effective_at (a cooling-off)"})
    requested_at = fields.String()
    effective_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class MerchantSchema(Schema):
    id = fields.String()
    object = fields.Constant("merchant")
    name = fields.String()
    invoice_term_days = fields.Integer()
    transit_days = fields.Integer()
    order_limit = fields.Integer(attribute="order_limit_cents")
    payout_iban = fields.String(allow_none=True)
    return_pause_days = fields.Integer()
    email = fields.String(allow_none=True)
    language = fields.String(metadata={"description": "the language of our mails to you: nl, en or de"})
    legal_name = fields.String(allow_none=True)
    address = fields.Dict(allow_none=True)
    vat_number = fields.String(allow_none=True)
    coc_number = fields.String(allow_none=True)
    brand_colour = fields.String(allow_none=True)
    logo = fields.Function(lambda m: LogoInfoSchema().dump(m) if m.logo_type else None,
                           metadata={"description": "the stored logo's type and size, or null"})
    created_at = fields.DateTime()
    approved = fields.Boolean(metadata={"description": "the provider approved the webshop: live keys may be made"})
    pending_changes = fields.List(fields.Nested(MerchantChangeSchema), metadata={
        "description": "changes of order_limit, invoice_term_days, transit_days or payout_iban that wait for the "
                       "provider; the old value holds meanwhile"})


class MerchantSettingsSchema(Schema):
    # These four move the provider's money: a change answers 202 and waits for a provider admin.
    # The installation's ceilings are checked by the service (they are configuration).
    invoice_term_days = fields.Integer(strict=True, metadata={"description": "needs the provider's approval"})
    transit_days = fields.Integer(strict=True, metadata={"description": "needs the provider's approval"})
    order_limit = fields.Integer(strict=True, data_key="order_limit", attribute="order_limit_cents",
                                 metadata={"description": "in cents; needs the provider's approval"})
    payout_iban = Text(42, metadata={"description": "needs the provider's approval, then applies after a cooling-off"})
    return_pause_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=90),
                                       metadata={"description": "how long an announced return pauses the invoice"})
    email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                         metadata={"description": "your contact address, where we tell you of disputes, requested "
                                                  "changes and a webhook endpoint we switched off; required: it can "
                                                  "be changed (the old address is told) but not removed"})
    language = fields.String(validate=validate.OneOf(LANGUAGES), metadata={
        "description": "the language of our mails to your contact address: nl (the default), en or de"})
    legal_name = Text(200, allow_none=True, metadata={"description": "registered name, printed as the seller"})
    address = fields.Nested(AddressSchema, allow_none=True, metadata={"description": "the seller's address on invoices"})
    vat_number = VatNumber(allow_none=True,
                      metadata={"description": "EU VAT number, e.g. NL123456789B01"})
    coc_number = Text(20, allow_none=True, metadata={"description": "chamber of commerce number (KvK)"})
    brand_colour = Text(allow_none=True, validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="A colour like #1F4E79."))
    logo = fields.String(allow_none=True, validate=validate.Length(max=400_000),
                         metadata={"description": "PNG or JPEG as a data URI (data:image/png;base64,…), "
                                                  "at most 256 KB; null removes it"})

    @post_load
    def _normalize(self, data, **kwargs):
        if data.get("brand_colour"):
            data["brand_colour"] = data["brand_colour"].lower()
        return data


class ApiKeySchema(Schema):
    id = fields.String()
    object = fields.Constant("api_key")
    name = fields.String(allow_none=True)
    livemode = fields.Boolean()
    prefix = fields.String(metadata={"description": "the key's first characters, to recognise it"})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "to the minute"})
    revoked_at = fields.DateTime(allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    secret = fields.String(metadata={"description": "the key itself (Authorization: Bearer …): shown only now"})


class ApiKeyCreateSchema(Schema):
    livemode = fields.Boolean(load_default=False, metadata={
        "description": "a live key: only for an approved webshop, and asked for with a live key"})
    name = Text(100, load_default=None, metadata={"description": "your label, e.g. 'shop server'"})


class ApiKeyListArgsSchema(PageArgsSchema):
    pass


ApiKeyPageSchema = page_schema(ApiKeySchema)
