"""What one consumer or merchant e-mail needs at send time, read once.

The outbox worker reads the facts the send-time gate decides on (is the order cancelled,
how does the invoice stand), and only for a mail that goes out what its template shows (the
shop, the credit note) and the stored PDF to attach, by the document's id. Each is one small
statement of the owning feature's service; nothing is read twice and nothing is rendered
here: a PDF the renderer has not stored yet makes the mail wait.
"""
from __future__ import annotations

from dataclasses import dataclass

from bnpl.documents import service as documents
from bnpl.invoices import service as invoices
from bnpl.merchants import service as merchants
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.orders import service as orders
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# The mails that carry a PDF they cannot go without: (document kind, where its subject is).
# "Runs again" carries the invoice too: an invoice paused before its first mail left was held
# back by the gate, and this is then the consumer's first copy.
NEEDS_PDF = {"invoice_issued": "invoice", "invoice_resumed": "invoice", "credit_note_issued": "credit_note"}
# The mails that carry their dunning letter's PDF if the renderer stored it already. The mail
# never waits for it: its text states all the letter states, and the PDF stays on file for staff.
LETTER_ATTACHED = {"dunning_letter"}


@dataclass(frozen=True)
class Facts:
    """What the gate decides on."""

    order_cancelled: bool | None  # None: the message is about no order
    invoice: invoices.InvoiceSummary | None


@dataclass(frozen=True)
class Attachment:
    filename: str
    document_id: str
    content: bytes


@dataclass(frozen=True)
class Content:
    """What the template shows and what goes with it; `waiting_for` names the PDF the mail
    must wait for (the renderer has not stored it yet), `missing` one that will not come."""

    shop: str | None
    credit_note: invoices.CreditNoteSummary | None = None
    attachments: tuple[Attachment, ...] = ()
    waiting_for: str | None = None
    missing: str | None = None


def facts(uow: UnitOfWork, message: OutboxMessage) -> Facts:
    """Is the order cancelled, and the invoice as it stands (its template shows it too)."""
    if message.channel != EMAIL:
        return Facts(order_cancelled=None, invoice=None)
    scope = Scope(message.merchant_id, message.livemode)
    cancelled = None
    if message.order_id is not None:
        cancelled = orders.is_final_cancelled(uow, scope=scope, order_id=message.order_id)
    if cancelled or message.invoice_id is None:
        return Facts(order_cancelled=cancelled, invoice=None)
    return Facts(order_cancelled=cancelled, invoice=invoices.invoice_summary(uow, scope=scope, invoice_id=message.invoice_id))


def content(uow: UnitOfWork, message: OutboxMessage, facts: Facts) -> Content:
    scope = Scope(message.merchant_id, message.livemode)
    shop = merchants.names(uow, merchant_ids=[message.merchant_id])[message.merchant_id] if message.merchant_id else None
    note = None
    if message.kind == "credit_note_issued":
        note = invoices.credit_note_summary(uow, scope=scope, credit_note_id=message.subject_id)
    kind = NEEDS_PDF.get(message.kind)
    if kind is not None:
        subject, number = (note.id, note.number) if kind == "credit_note" else (facts.invoice.id, facts.invoice.number)
        stored = documents.current_pdf(uow, kind=kind, subject_id=subject)
        if stored == documents.RENDERING:
            return Content(shop, note, waiting_for=f"the PDF of {number}")
        if stored == documents.NOT_RENDERED:
            return Content(shop, note, missing=f"no PDF of {number} is stored or being rendered")
        return Content(shop, note, (Attachment(f"{number}.pdf", stored.document_id, stored.content),))
    if message.kind in LETTER_ATTACHED and message.subject_id:
        letter = documents.first_stored(uow, kind="letter", subject_id=message.subject_id)
        if letter is not None:
            number = message.payload.get("data", {}).get("number") or message.subject_id
            return Content(shop, note, (Attachment(f"{number}-letter.pdf", letter.id,
                                                   documents.pdf_bytes(uow, letter)),))
    return Content(shop, note)
