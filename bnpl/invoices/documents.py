"""Invoice and credit-note documents: what they show, and their stored PDFs.

A ``DocumentView`` is everything a document shows, computed from the invoice's immutable
entries. Its fingerprint keys the stored PDF: the same view is rendered once and served
byte for byte ever after; a changed view (a due date moved, a credit applied) is a new
version beside the old one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import insert, select

from bnpl import i18n
from bnpl.db import insert_ignoring_conflicts, new_id
from bnpl.invoices.models import CreditNote, Document, DocumentRequest, Invoice
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class Party:
    name: str
    company_name: str | None = None
    address: dict | None = None  # street, house_number, postal_code, city, country (ISO alpha-2)
    vat_number: str | None = None
    coc_number: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Payee:
    """The provider, who collects: consumers pay here."""

    name: str
    iban: str
    bic: str | None
    address: str
    country: str
    email: str
    vat_number: str | None
    coc_number: str | None


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price_cents: int  # VAT included, as the shopper saw it
    vat_rate_bp: int
    total_cents: int


@dataclass(frozen=True)
class VatLine:
    rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int


@dataclass(frozen=True)
class Applied:
    """A credit or payment that lowered what is owed on the invoice."""

    kind: str  # "credit_note" | "payment"
    number: str
    on: date
    amount_cents: int


@dataclass(frozen=True)
class DocumentView:
    kind: str  # "invoice" | "credit_note"
    subject_id: str
    number: str
    livemode: bool
    language: str
    currency: str
    issue_date: date
    due_date: date | None  # of the invoice; None on a credit note, which must not change later
    order_reference: str
    invoice_number: str  # the invoice itself, or the one a credit note corrects
    invoice_issue_date: date
    invoice_total_cents: int
    seller: Party
    buyer: Party
    is_business: bool
    lines: tuple[Line, ...]
    vat_lines: tuple[VatLine, ...]
    total_cents: int  # of this document: invoiced, or credited
    applied: tuple[Applied, ...]  # on the invoice, up to and including this document
    balance_cents: int  # still to pay on the invoice
    payment_reference: str
    payee: Payee
    portal_url: str
    reason: str | None = None  # why a credit note was issued
    brand_colour: str | None = None
    logo_sha256: str | None = None

    @property
    def net_cents(self) -> int:
        """The document's total without VAT (VAT was rounded per rate on the gross sums)."""
        return sum(vat_line.net_cents for vat_line in self.vat_lines)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def fingerprint(self) -> str:
        """SHA-256 of everything the document shows. The layout is deliberately not part of
        it: a new template never changes a document that was already sent."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def money(self, cents: int) -> str:
        return i18n.format_money(cents, self.currency, self.language)

    def date(self, day: date) -> str:
        return i18n.format_date(day, self.language)

    def percent(self, rate_bp: int) -> str:
        return i18n.format_percent(rate_bp, self.language)

    def country_name(self, code: str) -> str:
        return i18n.locale(self.language).territories.get(code, code)


# --- building views from the invoice's entries -------------------------------------------

def invoice_view(uow: UnitOfWork, invoice: Invoice, *, branding: "Branding") -> DocumentView:
    """The invoice as it stands: its lines, and every credit and payment applied so far."""
    return _view(uow, invoice, branding, kind="invoice", subject_id=invoice.id, number=invoice.number,
                 issued_at=invoice.issued_at, lines=invoice.lines, vat_lines=invoice.vat_breakdown(),
                 total_cents=invoice.total_cents, applied=_applied(uow, invoice, up_to=None))


def credit_note_view(uow: UnitOfWork, note: CreditNote, *, branding: "Branding") -> DocumentView:
    """A credit note, and what was left to pay on its invoice right after it."""
    invoice = note.invoice
    view = _view(uow, invoice, branding, kind="credit_note", subject_id=note.id, number=note.number,
                 issued_at=note.issued_at, lines=note.lines, vat_lines=note.vat_breakdown(),
                 total_cents=note.total_cents, applied=_applied(uow, invoice, up_to=note))
    # Reasons the system wrote (marked with i18n.N_) are translated; a merchant's own stay as sent.
    reason = i18n.translations(view.language).gettext(note.reason)
    return replace(view, due_date=None, reason=reason)


@dataclass(frozen=True)
class Branding:
    colour: str | None
    logo_sha256: str | None


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


# --- storing: render once, serve the same bytes ever after -------------------------------

def request_rendering(uow: UnitOfWork, *, subject_type: str, subject_id: str) -> None:
    """Ask the renderer for this document, in the caller's transaction (off the request path)."""
    request_renderings(uow, subject_type=subject_type, subject_ids=[subject_id])


def request_renderings(uow: UnitOfWork, *, subject_type: str, subject_ids: list[str],
                       payloads: list[dict] | None = None) -> None:
    """Several at once; a letter's request carries what the letter states (its payload)."""
    if subject_ids:
        now = uow.now()
        uow.session.execute(insert(DocumentRequest.__table__), [
            dict(subject_type=subject_type, subject_id=subject_id, requested_at=now, attempts=0, payload=payload)
            for subject_id, payload in zip(subject_ids, payloads or [None] * len(subject_ids))])


def stored_document(uow: UnitOfWork, *, merchant_id: str, view: DocumentView, render) -> Document:
    """The document for this view: the stored one, or rendered now and stored. When two
    processes render the same view at once, the first stored copy wins for both."""
    fingerprint = view.fingerprint()
    document = _find(uow, view.subject_id, fingerprint)
    if document is not None:
        return document
    pdf = render()
    insert_ignoring_conflicts(uow.session, Document.__table__, dict(
        id=new_id("doc"), merchant_id=merchant_id, livemode=view.livemode, subject_type=view.kind,
        subject_id=view.subject_id, fingerprint=fingerprint, language=view.language,
        media_type="application/pdf", profile="factur-x en16931" if view.is_business else "pdf",
        sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), content=pdf, created_at=uow.now(),
    ), index_elements=["subject_id", "fingerprint"])
    return _find(uow, view.subject_id, fingerprint)


def _find(uow, subject_id: str, fingerprint: str) -> Document | None:
    return uow.session.scalar(select(Document).where(
        Document.subject_id == subject_id, Document.fingerprint == fingerprint))


def pdf_bytes(uow: UnitOfWork, document: Document) -> bytes:
    """The stored bytes, checked against the hash taken when they were stored."""
    content = uow.session.scalar(select(Document.content).where(Document.id == document.id))
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise RuntimeError(f"Stored document {document.id} does not match its SHA-256.")
    return content
