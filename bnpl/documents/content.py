"""What a document shows: a plain, frozen view of it, the stuff every drawing is made of.

A ``DocumentView`` is computed by the feature that owns the document (invoices draw invoices
and credit notes, dunning its letters) from its immutable entries. Its fingerprint keys the
stored PDF: the same view is rendered once and served byte for byte ever after; a changed
view (a due date moved, a credit applied) is a new version beside the old one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date

from bnpl import i18n


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


@dataclass(frozen=True)
class Branding:
    """The merchant's colour and logo as the view records them (the logo by its hash)."""

    colour: str | None
    logo_sha256: str | None


@dataclass(frozen=True)
class Logo:
    media_type: str  # image/png | image/jpeg
    data: bytes


@dataclass(frozen=True)
class Drawing:
    """How to draw one document: the view, whose merchant it is, the logo to print, and the
    template when it is not named by the view's kind (a letter is stored as "letter" and
    drawn by pdf/dunning_letter.html)."""

    merchant_id: str
    view: DocumentView
    logo: Logo | None = None
    drawn_as: str | None = None
