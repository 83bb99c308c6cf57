"""Your own merchant account: its settings and its API keys."""
from bnpl.merchants import keys, service
from bnpl.merchants.schemas import (ApiKeyCreateSchema, ApiKeyListArgsSchema, ApiKeyPageSchema, ApiKeySchema,
                                    MerchantSchema, MerchantSettingsSchema, NewApiKeySchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("merchant", __name__, "Your own merchant account, its settings and its API keys.")


@blp.route("/merchant", methods=["GET"])
@blp.response(200, MerchantSchema)
def read_merchant():
    """Your merchant account and settings."""
    return service.account(current_uow(), merchant_id=current_scope().merchant_id)


@blp.route("/merchant", methods=["PATCH"])
@writes
@blp.arguments(MerchantSettingsSchema)
@blp.response(200, MerchantSchema, description="every change made")
@blp.alt_response(202, schema=MerchantSchema, description="the order limit, invoice term, transit days or payout "
                                                           "IBAN wait for the provider (see pending_changes)")
def update_merchant(changes):
    """Change settings. Identity, branding and the return pause change at once; the order
    limit, invoice term, transit days and payout IBAN are requests a provider admin decides."""
    account, requested = service.update_settings(current_uow(), scope=current_scope(), changes=changes)
    return account, 202 if requested else 200


@blp.route("/api-keys", methods=["POST"])
@writes
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, NewApiKeySchema)
def create_api_key(data):
    """A new key; the answer shows it this once. Live keys only for an approved webshop."""
    return service.create_key(current_uow(), scope=current_scope(), **data)


@blp.route("/api-keys", methods=["GET"])
@blp.arguments(ApiKeyListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, ApiKeyPageSchema)
def list_api_keys(limit, cursor):
    """The keys of this mode, with when each was last used (never the key itself)."""
    items, next_cursor = keys.list_keys(current_uow(), scope=current_scope(), cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/api-keys/<key_id>", methods=["DELETE"])
@writes
@blp.response(200, ApiKeySchema)
def revoke_api_key(key_id):
    """Revoke a key: it is refused (401) from the next request on."""
    uow = current_uow()
    return keys.revoke(uow, scope=current_scope(), key_id=key_id, actor=service.acting_key(uow))
