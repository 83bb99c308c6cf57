"""Opening cases the way the portal and the back office do, for the dispute tests."""
from __future__ import annotations

from datetime import date

from bnpl.disputes import service
from bnpl.disputes.evidence import EvidenceFile
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import service as invoices
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.payments.flows import ship

# NOW is Monday 23 November 2026: five working days after Monday 16 November.
ASKED_SHOP_ON = date(2026, 11, 16)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def consumer_of(services, invoice_id: str) -> str:
    from bnpl.invoices import service as invoices

    with unit_of_work(services) as uow:
        return invoices.find_invoice(uow, invoice_id=invoice_id).consumer_id


def open_case(services, invoice_id: str, *, reason="not_received", lines=(), evidence=(), actor=None,
              contacted=ASKED_SHOP_ON, description="The parcel never arrived at my address."):
    """A consumer (or the given actor) opens a case; its id."""
    actor = actor or service.Actor.consumer(consumer_of(services, invoice_id))
    with unit_of_work(services) as uow:
        dispute = service.open_dispute(uow, invoice_id=invoice_id, actor=actor, case=service.NewDispute(
            reason=reason, description=description, contacted_merchant_on=contacted, lines=tuple(lines),
            evidence=tuple(evidence)))
        return dispute.id


def shipped_invoice(api, **order) -> dict:
    return ship(api, **order)


MEDIATOR = service.Actor.mediator("stf_anna", "Anna Mediator")
SECOND = service.Actor.mediator("stf_bram", "Bram Mediator")


def act(services, fn, **kwargs):
    with unit_of_work(services) as uow:
        return fn(uow, **kwargs)


def pdf_file(name="receipt.pdf") -> EvidenceFile:
    return EvidenceFile(filename=name, content=PDF)


def credit_line(services, api, invoice_id, reference):
    """Credit one invoice line in full, as a received return does."""
    with unit_of_work(services) as uow:
        inv = invoices.get_invoice(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id)
        line = next(l for l in inv.lines if l.order_line_reference == reference)
        invoice_ledger.credit_lines(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id, lines=[
            invoice_ledger.LineToCredit(reference=reference, description=line.description, quantity=line.quantity,
                                        unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp)],
            reason="Returned goods")
