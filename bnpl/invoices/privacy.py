"""Invoices: kept for the fiscal retention period (art. 52 AWR: 7 years) as issued, to whom and
at which address; the e-mail address and the rest of the person's data go. An open one blocks."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from bnpl.documents import service as documents
from bnpl.i18n import said
from bnpl.invoices.models import OPEN, PAUSED, CreditNote, Invoice
from bnpl.merchants import service as merchants
from bnpl.money import Money

# What a fiscal copy of an invoice names: the rest of billed_to is not the tax office's business.
AS_ISSUED = ("name", "type", "company_name", "vat_number", "address")


def _invoices(uow, subject) -> list[Invoice]:
    return list(uow.session.scalars(select(Invoice).where(Invoice.consumer_id.in_(subject.consumer_ids))
                                    .order_by(Invoice.issued_at, Invoice.id)))


def identify(uow, subject) -> None:
    invoices = _invoices(uow, subject)
    subject.add_ids("invoices", [i.id for i in invoices])
    subject.add_ids("credit_notes", uow.session.scalars(
        select(CreditNote.id).where(CreditNote.invoice_id.in_(subject.of("invoices")))))


def blocks(uow, subject) -> list[str]:
    owing = [i for i in _invoices(uow, subject) if i.status in (OPEN, PAUSED) and i.owed_cents > 0]
    shops = merchants.names(uow, merchant_ids=sorted({i.merchant_id for i in owing}))
    return [said("invoice %(number)s at %(shop)s has %(amount)s open", number=i.number,
                 shop=shops.get(i.merchant_id), amount=Money(i.owed_cents, i.currency).format()) for i in owing]


def export(uow, subject) -> dict:
    invoices = _invoices(uow, subject)
    shops = merchants.names(uow, merchant_ids=sorted({i.merchant_id for i in invoices}))
    return {"invoices": [{
        "number": i.number, "webshop": shops.get(i.merchant_id), "status": i.status, "currency": i.currency,
        "total": i.total_cents, "owed": i.owed_cents, "issued_at": i.issued_at.isoformat(),
        "due_date": i.due_date.isoformat(), "payment_reference": i.payment_reference, "billed_to": i.billed_to,
        "payments": [{"amount": p.amount_cents, "paid_on": p.paid_on.isoformat(), "method": p.method}
                     for p in i.payments],
    } for i in invoices]}


def files(uow, subject) -> dict[str, bytes]:
    """The PDFs as they were sent: each invoice and credit note."""
    found = {}
    numbers = {i.id: i.number for i in _invoices(uow, subject)}
    for invoice_id, number in numbers.items():
        found[f"invoices/{number}.pdf"] = documents.first_stored_pdf(uow, kind="invoice", subject_id=invoice_id)
    for note in uow.session.scalars(select(CreditNote).where(CreditNote.id.in_(subject.of("credit_notes")))):
        found[f"credit_notes/{note.number}.pdf"] = documents.first_stored_pdf(
            uow, kind="credit_note", subject_id=note.id)
    return {path: pdf for path, pdf in found.items() if pdf}


def erase(uow, subject) -> list[str]:
    invoices = _invoices(uow, subject)
    for invoice in invoices:
        invoice.billed_to = {key: invoice.billed_to.get(key) for key in AS_ISSUED}
    if not invoices:
        return []
    years = uow.settings.fiscal_retention_years
    until = date(max(i.issued_at for i in invoices).year + years, 12, 31)
    return [said("Invoices %(numbers)s, their credit notes and payments are kept for fiscal retention until "
                 "%(date)s, naming only whom they were issued to and where",
                 numbers=", ".join(i.number for i in invoices), date=until.isoformat())]


def fiscal_cutoff(uow) -> datetime:
    """Invoices issued before this are past retention: kept through the end of the year
    of issue plus the retention years (an invoice of June 2018 until 31 December 2025)."""
    first_kept_year = uow.today().year - uow.settings.fiscal_retention_years
    return datetime(first_kept_year, 1, 1, tzinfo=timezone.utc)


def past_retention(uow):
    """The ids of invoices past fiscal retention, as a subquery for the other holders."""
    return select(Invoice.id).where(Invoice.issued_at < fiscal_cutoff(uow))


def orders_past_retention(uow):
    """The ids of orders whose every invoice is past retention, as a subquery."""
    cutoff = fiscal_cutoff(uow)
    kept = select(Invoice.order_id).where(Invoice.issued_at >= cutoff)
    return select(Invoice.order_id).where(Invoice.issued_at < cutoff, Invoice.order_id.not_in(kept))


def purge(uow) -> dict[str, int]:
    """Past retention nothing requires the person on the invoice any more: billed_to keeps the
    type and country (for statistics), the PDFs of the invoice and its credit notes go."""
    expired = list(uow.session.scalars(select(Invoice).where(
        Invoice.id.in_(past_retention(uow)), Invoice.billed_to["name"].as_string().is_not(None))))
    for invoice in expired:
        invoice.billed_to = {"type": invoice.billed_to.get("type"),
                             "country": (invoice.billed_to.get("address") or {}).get("country")}
    ids = [i.id for i in expired]
    notes = list(uow.session.scalars(select(CreditNote.id).where(CreditNote.invoice_id.in_(ids))))
    documents.forget(uow, kind="invoice", subject_ids=ids)
    documents.forget(uow, kind="credit_note", subject_ids=notes)
    return {"invoices past fiscal retention": len(ids)}
