from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl import logs
from bnpl.db import Base, Json, UTCDateTime

# Every event type there is; webhook endpoints subscribe to these (or to "*").
EVENT_TYPES = frozenset({
    "invoice.due_soon",
    "order.accepted", "order.declined", "order.verification_required", "order.cancelled", "order.lines_cancelled",
    "order.review_decided",
    "shipment.created", "shipment.delivered",
    "invoice.issued", "invoice.due_date_changed", "invoice.paused", "invoice.resumed",
    "invoice.billing_address_changed",
    "credit_note.issued",
    "payment.received", "payment.reversed", "refund.paid",
    "return.announced", "return.received", "return.overdue",
    "merchant.updated", "merchant.change_requested", "merchant.change_approved", "merchant.change_refused",
    "api_key.created", "api_key.revoked", "merchant.contact_changed",
    "dunning.level_reached", "invoice.fees_waived",
    "payment_plan.started", "payment_plan.completed", "payment_plan.ended",
    "dispute.opened", "dispute.merchant_responded", "dispute.consumer_replied", "dispute.message_posted",
    "dispute.information_requested", "dispute.escalated", "dispute.decided", "dispute.withdrawn",
    "dispute.reopen_refused",
    "conversation.passed",
})

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
EventSeq = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """Read in (txid, seq) order. On PostgreSQL ``txid`` is the writing transaction's id
    (a column default), and readers only see transactions older than every one of this
    database still writing: a sequence number taken by a transaction that commits late can
    then never appear behind a reader's cursor. SQLite runs one writer at a time; txid is 0."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_scope_txid_seq", "merchant_id", "livemode", "txid", "seq"),)

    seq: Mapped[int] = mapped_column(EventSeq, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default="0")
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(Json)
    # The API request that caused it (X-Request-Id), to follow one call to what it set off.
    request_id: Mapped[str | None] = mapped_column(String(64), default=lambda: logs.request_id.get())

    @property
    def id(self) -> str:
        return f"evt_{self.seq}"
