from bnpl.merchants import service
from bnpl.merchants.schemas import MerchantSchema, MerchantSettingsSchema
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("merchant", __name__, "Your own merchant account and its settings.")


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
