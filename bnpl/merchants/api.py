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
    return service.get_merchant(current_uow(), merchant_id=current_scope().merchant_id)


@blp.route("/merchant", methods=["PATCH"])
@writes
@blp.arguments(MerchantSettingsSchema)
@blp.response(200, MerchantSchema)
def update_merchant(changes):
    """Change settings: invoice term, transit allowance, order limit, payout IBAN."""
    return service.update_settings(current_uow(), scope=current_scope(), changes=changes)
