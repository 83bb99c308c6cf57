"""The case file: a dispute, its shared timeline (and staff-only notes), the evidence, and the
identities the consumer used, for linking claims made under other names."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.disputes import states

REASONS = ("not_received", "damaged", "wrong_item", "not_as_described", "return_not_processed",
           "empty_box", "unauthorised", "other")
FRAUD = "unauthorised"
# Claims that, repeated by one person, point to abuse rather than bad luck.
SUSPICIOUS_REASONS = ("not_received", "empty_box")

# Outcomes of a decision and what each does to the money.
FOR_CONSUMER, PARTIAL, FOR_MERCHANT, WITHDRAWN = "consumer", "partial", "merchant", "withdrawn"
OUTCOMES = (FOR_CONSUMER, PARTIAL, FOR_MERCHANT, WITHDRAWN)

# Who wrote a timeline entry, and who may read it.
CONSUMER, MERCHANT, MEDIATOR, SYSTEM = "consumer", "merchant", "mediator", "system"
SHARED, STAFF_ONLY = "shared", "staff"

_RUNNING = text("status NOT IN ('decided', 'withdrawn', 'refused')")


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_scope_created", "merchant_id", "livemode", "created_at", "id"),
        Index("ix_disputes_status_respond_by", "status", "respond_by"),
        # One running case per invoice: a second one would pause and decide the same money twice.
        Index("uq_disputes_running_invoice", "invoice_id", unique=True,
              postgresql_where=_RUNNING, sqlite_where=_RUNNING),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dsp"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    consumer_id: Mapped[str] = mapped_column(ForeignKey("consumers.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    lines: Mapped[list | None] = mapped_column(Json)  # [{reference, description, quantity, amount}]
    disputed_cents: Mapped[int] = mapped_column(Integer)
    contacted_merchant_on: Mapped[date | None] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(60))  # "consumer" or the staff member's id
    status: Mapped[str] = mapped_column(String(20))
    # The deadline of whoever the case waits for (merchant or consumer); None otherwise.
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merchant_missed_deadline: Mapped[bool] = mapped_column(Boolean, server_default=false())
    first_merchant_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A decision waiting for a second mediator: what was proposed, by whom.
    proposal: Mapped[dict | None] = mapped_column(Json)
    outcome: Mapped[str | None] = mapped_column(String(20))
    credited_cents: Mapped[int | None] = mapped_column(Integer)
    credit_note_id: Mapped[str | None] = mapped_column(String(40))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(60))  # staff id, "merchant" or "system"
    approved_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resume_due_date: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entries: Mapped[list["DisputeEntry"]] = relationship(
        back_populates="dispute", order_by="DisputeEntry.id", cascade="all, delete-orphan")
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="dispute", order_by="Evidence.uploaded_at", cascade="all, delete-orphan")

    def move(self, action: str, at: datetime) -> str:
        self.status = states.DISPUTE.next(self.status, action)
        self.updated_at = at
        if self.status not in (states.AWAITING_MERCHANT, states.AWAITING_CONSUMER):
            self.respond_by = None
        return self.status

    @property
    def waiting_for(self) -> str | None:
        return states.WAITING_FOR[self.status]

    @property
    def is_closed(self) -> bool:
        return self.status in states.CLOSED

    @property
    def is_fraud(self) -> bool:
        return self.reason == FRAUD

    def shared_entries(self) -> list["DisputeEntry"]:
        """What both sides see: everything but the mediators' internal notes."""
        return [entry for entry in self.entries if entry.visibility == SHARED]

    def shared_evidence(self) -> list["Evidence"]:
        shared = {entry.id for entry in self.shared_entries()}
        return [item for item in self.evidence if item.entry_id in shared]


class DisputeEntry(Base):
    """One line of the timeline. Never changed: a correction is a new entry."""

    __tablename__ = "dispute_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[str] = mapped_column(ForeignKey("disputes.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    party: Mapped[str] = mapped_column(String(20))  # consumer | merchant | mediator | system
    author: Mapped[str | None] = mapped_column(String(254))  # the mediator's name, for staff
    kind: Mapped[str] = mapped_column(String(40))
    visibility: Mapped[str] = mapped_column(String(10))  # shared | staff
    message: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(Json)

    dispute: Mapped[Dispute] = relationship(back_populates="entries")


class Evidence(Base):
    """A file one side handed in. Kept in the database (never under the web root) and served
    only to whoever may read the entry it came with."""

    __tablename__ = "dispute_evidence"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("evd"))
    dispute_id: Mapped[str] = mapped_column(ForeignKey("disputes.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("dispute_entries.id"))
    party: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))  # from the content, never the name
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    dispute: Mapped[Dispute] = relationship(back_populates="evidence")
