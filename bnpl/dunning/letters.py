"""Dunning letters: the 14-day letter kept as a PDF, the proof of what it stated.

A letter is drawn from the invoice's parties and facts with the amounts and dates its
dunning step stated (the render request's payload), never from the invoice as it is later:
what the letter shows must not change after it was sent. Registered with documents as
"letter" (bnpl.app.wire), drawn by pdf/dunning_letter.html.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from bnpl.documents import service as documents
from bnpl.documents.content import DocumentView, Drawing
from bnpl.errors import NotFound
from bnpl.invoices import drawings as invoice_drawings
from bnpl.uow import UnitOfWork

KIND = "letter"


@dataclass(frozen=True)
class LetterView(DocumentView):
    """A dunning letter: the invoice it chases, and what the dunning step stated (its
    payload). The pay box asks for `balance_cents` by `due_date`, which is the deadline."""

    sent_on: date | None = None
    deadline: date | None = None  # the last day to pay without collection costs
    costs_cents: int = 0  # charged if it is not paid by the deadline (art. 6:96 lid 6 BW)
    interest_cents: int = 0  # charged with this step
    invoice_due_date: date | None = None


def draw_letter(uow: UnitOfWork, step_id: str, stated: dict) -> Drawing:
    """The letter of a dunning step, from what the step stated when it went out."""
    invoice = invoice_drawings.draw_invoice(uow, stated["invoice_id"])
    base = invoice.view
    sent_on, deadline = date.fromisoformat(stated["sent_on"]), date.fromisoformat(stated["deadline"])
    view = LetterView(**{field.name: getattr(base, field.name) for field in fields(base)} | dict(
        kind=KIND, subject_id=step_id, issue_date=sent_on, due_date=deadline,
        lines=(), vat_lines=(), applied=(), balance_cents=stated["balance"],
        is_business=False,  # a letter is not an invoice: no Factur-X inside
        sent_on=sent_on, deadline=deadline, costs_cents=stated["costs"],
        interest_cents=stated["interest"], invoice_due_date=base.due_date))
    # Stored as a "letter" (what dunning and staff look up), drawn by pdf/dunning_letter.html.
    return Drawing(invoice.merchant_id, view, invoice.logo, drawn_as="dunning_letter")


DRAWINGS = {KIND: draw_letter}


def request_letters(uow: UnitOfWork, *, step_ids: list[str], stated: list[dict]) -> None:
    """Ask the renderer for these steps' letters, each with what it states."""
    documents.request_renderings(uow, kind=KIND, subject_ids=step_ids, payloads=stated)


def letter_pdf(uow: UnitOfWork, *, step_id: str) -> bytes | None:
    """The stored PDF of a dunning step's letter, or None when it is not rendered yet. The
    first stored: a letter is rendered once, from what it stated when it went out."""
    return documents.first_stored_pdf(uow, kind=KIND, subject_id=step_id)


def render_letter(uow: UnitOfWork, *, step_id: str) -> bytes:
    """The letter's PDF for staff: the stored one, or rendered and stored now from its
    pending render request (which says what the letter states)."""
    document = documents.first_stored_or_rendered(uow, kind=KIND, subject_id=step_id)
    if document is None:
        raise NotFound(f"No letter {step_id}: dunning sent no letter under this step id.")
    return documents.pdf_bytes(uow, document)


def letters_stored(uow: UnitOfWork, *, step_ids: list[str]) -> set[str]:
    """Of these dunning steps, those whose letter PDF is stored (the renderer made it)."""
    return documents.stored_subjects(uow, kind=KIND, subject_ids=step_ids)
