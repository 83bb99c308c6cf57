"""The merchant API of risk: its acceptance policy and its statistics."""
from datetime import timedelta
from bnpl.errors import InvalidInput
from bnpl.risk import service
from bnpl.risk.schemas import (RiskPolicyFieldsSchema, RiskPolicySchema, RiskStatisticsArgsSchema,
                               RiskStatisticsSchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

blp = merchant_blueprint("risk", __name__, "Your acceptance policy (stricter than the default, never looser) "
                                           "and your approval statistics.")
MAX_STATISTICS_DAYS = 366


@blp.route("/risk-policy", methods=["GET"])
@blp.response(200, RiskPolicySchema)
def read_policy():
    """The acceptance policy that applies to your orders, and the installation's default."""
    return service.merchant_policy(current_uow(), merchant_id=current_scope().merchant_id)


@blp.route("/risk-policy", methods=["PUT"])
@writes
@blp.arguments(RiskPolicyFieldsSchema)
@blp.response(200, RiskPolicySchema)
def put_policy(data):
    """A new version of your policy: the fields you name, each at least as strict as the
    installation's; fields you leave out follow the installation. A looser field is a 422
    that names it."""
    uow = current_uow()
    service.set_policy(uow, merchant_id=current_scope().merchant_id, changes=data)
    return service.merchant_policy(uow, merchant_id=current_scope().merchant_id)


@blp.route("/risk-statistics", methods=["GET"])
@blp.arguments(RiskStatisticsArgsSchema, location="query", as_kwargs=True)
@blp.response(200, RiskStatisticsSchema)
def read_statistics(since, until):
    """Your orders' outcomes in a period: approval rate and how often each reason declined or
    asked for verification."""
    uow = current_uow()
    until = until or uow.today()
    since = since or until - timedelta(days=30)
    if since > until or (until - since).days > MAX_STATISTICS_DAYS:
        raise InvalidInput({"since": [f"From at most {MAX_STATISTICS_DAYS} days before until, and not after it."]})
    return service.statistics(uow, scope=current_scope(), since=since, until=until)
