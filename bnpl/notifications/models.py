"""The outbox and where webhooks go.

An outbox message is written in the transaction of the change that causes it, so a change
and its messages commit together or not at all. A worker delivers it later, at least once;
the same e-mail always has the same Message-ID (the message's id) and a webhook carries its
event's id, so receivers can drop duplicates.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl import logs
from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.notifications import states

EMAIL, WEBHOOK = "email", "webhook"
# The circuit breaker: after this many failed sends in a row an endpoint is parked (nothing is
# claimed for it) for a minute, doubling with each further failure up to an hour. Parked
# messages spend no attempts; the three days after which an endpoint is switched off still run.
BREAKER_FAILURES = 3
FIRST_PARK, LONGEST_PARK = timedelta(minutes=1), timedelta(hours=1)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'dropped', 'dead')", name="status"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_scope_created", "merchant_id", "livemode", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    kind: Mapped[str] = mapped_column(String(60))  # the e-mail's template, or the event type
    # None for messages of no one merchant (a consumer's portal sign-in link).
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    recipient: Mapped[str] = mapped_column(String(254))  # an e-mail address or a webhook endpoint id
    language: Mapped[str | None] = mapped_column(String(5))
    # What the message is about; the send-time gate looks at it again right before sending.
    order_id: Mapped[str | None] = mapped_column(String(40))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(40), index=True)
    event_id: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(12), default=states.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker's claim: until then no other worker takes the message; a worker that died
    # leaves a claim that simply runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(40))  # the worker run holding the claim
    last_error: Mapped[str | None] = mapped_column(String(1000))
    outcome: Mapped[str | None] = mapped_column(String(300))  # why dropped, or the receiver's answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The API request that caused it (X-Request-Id), to follow one call to what it set off.
    request_id: Mapped[str | None] = mapped_column(String(64), default=lambda: logs.request_id.get())

    def move(self, action: str) -> None:
        self.status = states.MESSAGE.next(self.status, action)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_scope", "merchant_id", "livemode"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("we"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list] = mapped_column(Json)  # ["*"] for every event
    # Needed in the clear to sign; shown to the merchant once, when the endpoint is made.
    secret: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures_in_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    parked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the breaker is open until then
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def answered(self) -> None:
        """A 2xx: the breaker closes."""
        self.failing_since, self.failures_in_row, self.parked_until = None, 0, None

    def failed(self, now: datetime) -> None:
        """A failed send; enough of them in a row open the breaker, each further one longer."""
        self.failing_since = self.failing_since or now
        self.failures_in_row = (self.failures_in_row or 0) + 1
        if self.failures_in_row >= BREAKER_FAILURES:
            self.parked_until = now + min(FIRST_PARK * 2 ** (self.failures_in_row - BREAKER_FAILURES), LONGEST_PARK)

    def wants(self, event_type: str) -> bool:
        return wants(self.event_types, event_type)


def wants(event_types: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to these event types is sent an event of this type."""
    return "*" in event_types or event_type in event_types
