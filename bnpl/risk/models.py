"""Risk's tables: people and the identifiers that link them, each order's sightings, the
stored decisions, the webshops' policy versions and bank verifications."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.risk.decision import GROWING

_STRONG = text("strength = 'strong'")


class Person(Base):
    """One person across webshops (per mode), with their personal limit. A person merged into
    another keeps their row (merged_into) for the decisions that name them."""

    __tablename__ = "risk_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_into: Mapped[int | None] = mapped_column(Integer, index=True)
    limit_cents: Mapped[int] = mapped_column(Integer)
    limit_status: Mapped[str] = mapped_column(String(10), default=GROWING)
    held_until: Mapped[date | None] = mapped_column(Date)
    paid_on_time: Mapped[int] = mapped_column(Integer, default=0)
    paid_late: Mapped[int] = mapped_column(Integer, default=0)
    handovers: Mapped[int] = mapped_column(Integer, default=0)
    frauds: Mapped[int] = mapped_column(Integer, default=0)
    verified_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Link(Base):
    """An identifier (normalized) that points to a person. A strong identifier points to one
    person only (a second one found under it is merged); an address may point to several."""

    __tablename__ = "risk_links"
    __table_args__ = (
        UniqueConstraint("livemode", "kind", "value", "person_id"),
        Index("uq_risk_links_strong", "livemode", "kind", "value", unique=True,
              postgresql_where=_STRONG, sqlite_where=_STRONG),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(300))
    person_id: Mapped[int] = mapped_column(ForeignKey("risk_persons.id"), index=True)
    strength: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sighting(Base):
    """An identifier seen with one consumer: on an order (velocity, the mediators' history)
    or on a mandate or payment (an IBAN)."""

    __tablename__ = "risk_sightings"
    __table_args__ = (Index("ix_risk_sightings_identifier", "livemode", "kind", "value", "seen_at"),
                      Index("ix_risk_sightings_consumer", "consumer_id", "kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(300))
    consumer_id: Mapped[str] = mapped_column(String(40))
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    decision_id: Mapped[str | None] = mapped_column(String(40))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RiskDecision(Base):
    """A decision as it was made: the inputs and the policy it used (for replay and audit),
    its outcome and reasons (codes and the parameters of their texts)."""

    __tablename__ = "risk_decisions"
    __table_args__ = (Index("ix_risk_decisions_person_created", "person_id", "created_at"),
                      Index("ix_risk_decisions_scope_created", "merchant_id", "livemode", "created_at"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rsk"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    merchant_id: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    consumer_id: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(25))
    reasons: Mapped[list] = mapped_column(Json)          # [{code, params}]
    inputs: Mapped[dict] = mapped_column(Json)
    policy: Mapped[dict] = mapped_column(Json)           # the policy's values as applied
    policy_version: Mapped[int] = mapped_column(Integer)  # 0: the installation's default
    currency: Mapped[str] = mapped_column(String(3))
    amount_cents: Mapped[int] = mapped_column(Integer)
    supersedes: Mapped[str | None] = mapped_column(String(40), index=True)  # the decision a verification concluded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RiskPolicy(Base):
    """One version of a webshop's own policy (only the fields it changed, all stricter)."""

    __tablename__ = "risk_policies"
    __table_args__ = (UniqueConstraint("merchant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    version: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Verification(Base):
    """A bank identification the consumer was sent to for one order."""

    __tablename__ = "risk_verifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ver"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    merchant_id: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    decision_id: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Review(Base):
    """A consumer's request that a person looks at a decision again (CCD2), and that person's
    written answer."""

    __tablename__ = "risk_reviews"
    __table_args__ = (Index("ix_risk_reviews_status_requested", "status", "requested_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rvw"))
    decision_id: Mapped[str] = mapped_column(ForeignKey("risk_decisions.id"), unique=True)
    consumer_id: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[str | None] = mapped_column(String(4000))
    limit_cents: Mapped[int | None] = mapped_column(Integer)  # the limit a changed decision set, if any
