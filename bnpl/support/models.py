"""The support desk's tables: phone calls taken (CallIntake) and consumers' questions (Thread).

A phone call taken by a staff member: who looked up whom, and whether the caller was confirmed.

Every lookup is a row (confirmed or not): it is what the per-member limit counts, and the
record of who looked for which caller when. Only a confirmed row names an invoice, and only
the member who made it may work from it, for a short while.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.support import states

# How the caller was found, and which second fact they stated.
BY_INVOICE_NUMBER, BY_EMAIL, BY_PHONE = "invoice_number", "email", "phone"
POSTCODE, BIRTH_DATE = "postcode", "birth_date"


class CallIntake(Base):
    __tablename__ = "support_intakes"
    __table_args__ = (Index("ix_support_intakes_staff_at", "staff_id", "looked_up_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cal"))
    staff_id: Mapped[str] = mapped_column(String(40))
    found_by: Mapped[str] = mapped_column(String(20))  # invoice_number | email | phone
    fact: Mapped[str | None] = mapped_column(String(20))  # postcode | birth_date: what confirmed it
    confirmed: Mapped[bool] = mapped_column(Boolean)
    # Confirmed by e-mail or phone: the caller's invoices the fact matched, one to choose from.
    candidates: Mapped[list | None] = mapped_column(Json)
    # Set once confirmed and chosen: the invoice the call is about, and so its webshop and consumer.
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    livemode: Mapped[bool | None] = mapped_column(Boolean)
    consumer_id: Mapped[str | None] = mapped_column(String(40))
    looked_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Thread(Base):
    """A consumer's question and everything said about it since: asked in the portal in general
    or about a purchase (then its webshop and invoice are fixed by where it was asked)."""

    __tablename__ = "support_threads"
    __table_args__ = (Index("ix_support_threads_status_due", "status", "due_at"),
                      Index("ix_support_threads_scope_created", "merchant_id", "livemode", "created_at", "id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("thr"))
    consumer_id: Mapped[str] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    livemode: Mapped[bool | None] = mapped_column(Boolean)  # the purchases' mode, as a webshop's key sees it
    # Staff passed the question to the webshop: from then on it reads and answers it in the API.
    passed_to_merchant_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))  # portal | phone
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    # When we promised to answer the consumer's latest message; None while it is their turn.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    messages: Mapped[list["ThreadMessage"]] = relationship(
        back_populates="thread", order_by="ThreadMessage.id", cascade="all, delete-orphan")

    def move(self, action: str, at: datetime) -> str:
        self.status = states.THREAD.next(self.status, action)
        self.updated_at = at
        return self.status


class ThreadMessage(Base):
    """One message of a thread. Never changed: a correction is a new message."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("support_threads.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    party: Mapped[str] = mapped_column(String(20))  # consumer | staff | merchant
    author: Mapped[str | None] = mapped_column(String(100))  # the staff member's or webshop's name
    staff_id: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    # A staff answer: whether it came by the promised moment (the measure of promises kept).
    kept: Mapped[bool | None] = mapped_column(Boolean)

    thread: Mapped[Thread] = relationship(back_populates="messages")


class InboundMail(Base):
    """An e-mail reply read once, by its Message-ID (or its bytes' SHA-256 when it has none): a
    mailbox read again after a cut-off pass, or a file imported twice, adds nothing twice."""

    __tablename__ = "support_inbound_mails"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    thread_id: Mapped[str | None] = mapped_column(String(40))  # where it was added
    outcome: Mapped[str] = mapped_column(String(40))  # added | refused: <why, as the error's slug>
