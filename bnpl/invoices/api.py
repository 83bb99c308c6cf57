from bnpl.invoices import service
from bnpl.invoices.schemas import InvoiceListArgsSchema, InvoicePageSchema, InvoiceSchema
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow

blp = merchant_blueprint("invoices", __name__, "Invoices issued for your shipments.")


@blp.route("/invoices", methods=["GET"])
@blp.arguments(InvoiceListArgsSchema, location="query", as_kwargs=True)
@blp.response(200, InvoicePageSchema)
def list_invoices(limit, cursor, **filters):
    """Your invoices, newest first."""
    items, next_cursor = service.list_invoices(current_uow(), scope=current_scope(), cursor=cursor,
                                               limit=limit, **filters)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/invoices/<invoice_id>", methods=["GET"])
@blp.response(200, InvoiceSchema)
def read_invoice(invoice_id):
    """One invoice: number, due date, lines, VAT per rate, totals and payment reference."""
    return service.get_invoice(current_uow(), scope=current_scope(), invoice_id=invoice_id)
