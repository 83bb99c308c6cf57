from flask import Response

from bnpl.documents import service as documents
from bnpl.invoices import ledger, service
from bnpl.invoices.schemas import (AmountCreditCreateSchema, CreditNoteSchema, ExtensionCreateSchema,
                                   FeeWaiverCreateSchema, InvoiceListArgsSchema, InvoicePageSchema, InvoiceSchema)
from bnpl.web.api import merchant_blueprint, stored_pdf_response
from bnpl.web.context import current_scope, current_uow, stores
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
    return ledger.credit_amount(current_uow(), scope=current_scope(), invoice_id=invoice_id, **data)


@blp.route("/invoices/<invoice_id>/extensions", methods=["POST"])
@writes
@blp.arguments(ExtensionCreateSchema)
@blp.response(201, InvoiceSchema)
def extend(data, invoice_id):
    """Move the due date later by `days` (1 to 90), e.g. for a delayed delivery or goodwill."""
    return service.extend(current_uow(), scope=current_scope(), invoice_id=invoice_id, days=data["days"],
                          requested_by=service.MERCHANT)


@blp.route("/invoices/<invoice_id>/fee-waivers", methods=["POST"])
@writes
@blp.arguments(FeeWaiverCreateSchema)
@blp.response(200, InvoiceSchema)
def waive_fees(data, invoice_id):
    """Waive collection costs or interest (by default every fee not yet waived). The fees stay
    listed under `charges` with `waived_at` and the reason; the balance drops by their amount."""
    return ledger.waive_fees(current_uow(), scope=current_scope(), invoice_id=invoice_id,
                             fee_ids=data.get("fees"), reason=data["reason"])


@blp.route("/credit-notes/<credit_note_id>", methods=["GET"])
@blp.response(200, CreditNoteSchema)
def read_credit_note(credit_note_id):
    """One credit note: number, the invoice it reduces, lines and VAT per rate."""
    return service.get_credit_note(current_uow(), scope=current_scope(), credit_note_id=credit_note_id)


@blp.route("/invoices/<invoice_id>/pdf", methods=["GET"])
@stores
@blp.response(200, content_type="application/pdf", description="The stored PDF; `ETag` is its SHA-256.")
def invoice_pdf(invoice_id):
    """The invoice as PDF, in the consumer's language (PDF/A-3 with Factur-X for businesses)."""
    uow = current_uow()
    return _pdf(uow, service.invoice_document(uow, scope=current_scope(), invoice_id=invoice_id))


@blp.route("/credit-notes/<credit_note_id>/pdf", methods=["GET"])
@stores
@blp.response(200, content_type="application/pdf", description="The stored PDF; `ETag` is its SHA-256.")
def credit_note_pdf(credit_note_id):
    """The credit note as PDF."""
    uow = current_uow()
    return _pdf(uow, service.credit_note_document(uow, scope=current_scope(), credit_note_id=credit_note_id))


@blp.route("/invoices/<invoice_id>/ubl", methods=["GET"])
@blp.response(200, content_type="application/xml", description="UBL 2.1, EN 16931.")
def invoice_ubl(invoice_id):
    """The invoice as a UBL 2.1 e-invoice (EN 16931) for bookkeeping software."""
    xml = service.einvoice_ubl(current_uow(), scope=current_scope(), invoice_id=invoice_id)
    return Response(xml, mimetype="application/xml")


def _pdf(uow, document) -> Response:
    return stored_pdf_response(sha256=document.sha256, filename=f"{document.subject_type}-{document.subject_id}.pdf",
                               content=lambda: documents.pdf_bytes(uow, document))
