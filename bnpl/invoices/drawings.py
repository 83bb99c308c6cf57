"""How invoices draw their documents: the invoice and the credit note, as document views
computed from the invoice's immutable entries. Registered with documents (bnpl.app.wire);
documents stores and renders them."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from bnpl import i18n
from bnpl.documents.content import (Applied, Branding, DocumentView, Drawing, Line, Logo, Party, Payee,
                                    VatLine)
from bnpl.invoices.models import CreditNote, Invoice
from bnpl.merchants import service as merchants
from bnpl.uow import UnitOfWork


def draw_invoice(uow: UnitOfWork, invoice_id: str, payload: dict | None = None) -> Drawing:
    """The invoice as it stands: its lines, and every credit and payment applied so far."""
    invoice = uow.session.get(Invoice, invoice_id)
    branding, logo = merchant_branding(uow, invoice.merchant_id)
    return Drawing(invoice.merchant_id, invoice_view(uow, invoice, branding=branding), logo)


def draw_credit_note(uow: UnitOfWork, credit_note_id: str, payload: dict | None = None) -> Drawing:
    """A credit note, and what was left to pay on its invoice right after it."""
    note = uow.session.get(CreditNote, credit_note_id)
    branding, logo = merchant_branding(uow, note.merchant_id)
    return Drawing(note.merchant_id, credit_note_view(uow, note, branding=branding), logo)


DRAWINGS = {"invoice": draw_invoice, "credit_note": draw_credit_note}


def merchant_branding(uow: UnitOfWork, merchant_id: str) -> tuple[Branding, Logo | None]:
    """The merchant's colour and logo, as its documents print them."""
    merchant = merchants.get_merchant(uow, merchant_id=merchant_id)
    logo = Logo(media_type=merchant.logo_type, data=merchant.logo) if merchant.logo else None
    return Branding(colour=merchant.brand_colour,
                    logo_sha256=hashlib.sha256(logo.data).hexdigest() if logo else None), logo


def invoice_view(uow: UnitOfWork, invoice: Invoice, *, branding: Branding) -> DocumentView:
    """The invoice as it stands: its lines, and every credit and payment applied so far."""
    return _view(uow, invoice, branding, kind="invoice", subject_id=invoice.id, number=invoice.number,
                 issued_at=invoice.issued_at, lines=invoice.lines, vat_lines=invoice.vat_breakdown(),
                 total_cents=invoice.total_cents, applied=_applied(uow, invoice, up_to=None))


def credit_note_view(uow: UnitOfWork, note: CreditNote, *, branding: Branding) -> DocumentView:
    """A credit note, and what was left to pay on its invoice right after it."""
    invoice = note.invoice
    view = _view(uow, invoice, branding, kind="credit_note", subject_id=note.id, number=note.number,
                 issued_at=note.issued_at, lines=note.lines, vat_lines=note.vat_breakdown(),
                 total_cents=note.total_cents, applied=_applied(uow, invoice, up_to=note))
    # Reasons the system wrote (marked with i18n.N_) are translated; a merchant's own stay as sent.
    reason = i18n.translations(view.language).gettext(note.reason)
    return replace(view, due_date=None, reason=reason)


def _view(uow, invoice: Invoice, branding: Branding, *, kind, subject_id, number, issued_at, lines,
          vat_lines, total_cents, applied) -> DocumentView:
    billed, provider = invoice.billed_to, uow.settings.provider
    address = billed.get("address") or {}
    return DocumentView(
        kind=kind, subject_id=subject_id, number=number, livemode=invoice.livemode,
        language=i18n.language_for(billed.get("language"), address.get("country")),
        currency=invoice.currency, issue_date=uow.local_date(issued_at), due_date=invoice.due_date,
        order_reference=invoice.order_reference, invoice_number=invoice.number,
        invoice_issue_date=uow.local_date(invoice.issued_at), invoice_total_cents=invoice.total_cents,
        seller=_seller(invoice.seller), buyer=_buyer(billed), is_business=billed.get("type") == "business",
        lines=tuple(Line(description=line.description, quantity=line.quantity,
                         unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp,
                         total_cents=line.total_cents) for line in lines),
        vat_lines=tuple(VatLine(rate_bp=int(v.rate * 100), net_cents=v.net, vat_cents=v.vat, gross_cents=v.gross)
                        for v in vat_lines),
        total_cents=total_cents, applied=applied,
        balance_cents=max(invoice.total_cents - sum(entry.amount_cents for entry in applied), 0),
        payment_reference=invoice.payment_reference,
        payee=Payee(name=provider.name, iban=provider.iban, bic=provider.bic, address=provider.address,
                    country=provider.country, email=provider.email, vat_number=provider.vat_number,
                    coc_number=provider.coc_number),
        portal_url=f"{uow.settings.base_url}/portal",
        brand_colour=branding.colour, logo_sha256=branding.logo_sha256,
    )


def _applied(uow, invoice: Invoice, *, up_to: CreditNote | None) -> tuple[Applied, ...]:
    """Credits and payments in the order they happened; a credit note's view stops at
    itself so that it reads the same whenever it is rendered."""
    entries = sorted([(n.issued_at, n.number, Applied(kind="credit_note", number=n.number,
                                                     on=uow.local_date(n.issued_at), amount_cents=n.total_cents))
                      for n in invoice.credit_notes] +
                     [(p.booked_at, p.payment_id, Applied(kind="payment", number=p.payment_id, on=p.paid_on,
                                                          amount_cents=p.amount_cents))
                      for p in invoice.payments], key=lambda entry: entry[:2])
    if up_to is not None:
        entries = [e for e in entries if (e[0], e[1]) <= (up_to.issued_at, up_to.number)]
    return tuple(applied for _, _, applied in entries)


def _seller(snapshot: dict) -> Party:
    return Party(name=snapshot["name"], company_name=snapshot.get("legal_name"), address=snapshot.get("address"),
                 vat_number=snapshot.get("vat_number"), coc_number=snapshot.get("coc_number"))


def _buyer(billed: dict) -> Party:
    return Party(name=billed["name"], company_name=billed.get("company_name"), address=billed.get("address"),
                 vat_number=billed.get("vat_number"), email=billed.get("email"))
