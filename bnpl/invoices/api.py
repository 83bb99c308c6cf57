from bnpl.invoices import service
from bnpl.invoices.schemas import (AmountCreditCreateSchema, CreditNoteSchema, InvoiceListArgsSchema,
                                   InvoicePageSchema, InvoiceSchema)
from bnpl.web.api import merchant_blueprint
from bnpl.web.context import current_scope, current_uow
from bnpl.web.idempotency import writes

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


@blp.route("/invoices/<invoice_id>/credits", methods=["POST"])
@writes
@blp.arguments(AmountCreditCreateSchema)
@blp.response(201, CreditNoteSchema)
def credit_amount(data, invoice_id):
    """Credit an amount not tied to lines (goodwill, a discount for a damaged item kept)."""
    return service.credit_amount(current_uow(), scope=current_scope(), invoice_id=invoice_id, **data)


@blp.route("/credit-notes/<credit_note_id>", methods=["GET"])
@blp.response(200, CreditNoteSchema)
def read_credit_note(credit_note_id):
    """One credit note: number, the invoice it reduces, lines and VAT per rate."""
    return service.get_credit_note(current_uow(), scope=current_scope(), credit_note_id=credit_note_id)
