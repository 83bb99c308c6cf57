from flask import Response

from bnpl.settlements import export, service
from bnpl.settlements.schemas import SettlementListArgsSchema, SettlementPageSchema, SettlementSchema
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow

blp = merchant_blueprint("settlements", __name__,
                         "What the provider pays you per period: invoiced − credited − fee.")


@blp.route("/settlements", methods=["GET"])
@blp.arguments(SettlementListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, SettlementPageSchema)
def list_settlements(limit, cursor):
    """Your settlements, newest first."""
    items, next_cursor = service.list_settlements(current_uow(), scope=current_scope(), cursor=cursor,
                                                  limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/settlements/<settlement_id>", methods=["GET"])
@blp.response(200, SettlementSchema)
def read_settlement(settlement_id):
    """One settlement with its totals: invoiced, credited, fee and payable."""
    return service.get_settlement(current_uow(), scope=current_scope(), settlement_id=settlement_id)


@blp.route("/settlements/<settlement_id>/entries.csv", methods=["GET"])
@blp.response(200, content_type="text/csv",
              description="kind, number, date, amount_cents, amount, currency, invoice_number; "
                          "the last row is the total, equal to payable.")
def settlement_csv(settlement_id):
    """The invoices, credit notes and fee behind a settlement, as CSV that reconciles to the cent."""
    statement = service.settlement_entries(current_uow(), scope=current_scope(), settlement_id=settlement_id)
    return Response(export.entries_csv(statement), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="settlement-{statement.settlement.id}.csv"'})
