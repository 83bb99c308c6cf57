"""What dunning keeps: each level reached per invoice (the proof of what went out when), a
merchant's own policy, and payment plans."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime, new_id


class DunningStep(Base):
    """One level of the policy reached by one invoice: what was sent, when, and what it said.
    Unique per (invoice, level), so that two runs at once cannot both send it."""

    __tablename__ = "dunning_steps"
    __table_args__ = (UniqueConstraint("invoice_id", "level"),
                      Index("ix_dunning_steps_name_exported", "name", "exported_at"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dun"))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30))  # reminder | fourteen_day_letter | collection_costs | handover
    channel: Mapped[str] = mapped_column(String(10))  # email | post
    template: Mapped[str | None] = mapped_column(String(60))  # the consumer's e-mail, if any
    sent_on: Mapped[date] = mapped_column(Date)  # the real day it went out: deadlines count from it
    # The invoice's due date then: when a pause later moves it, the next level moves as much.
    due_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)  # a letter's last day to pay without costs
    balance_cents: Mapped[int] = mapped_column(Integer)  # what it asked for
    costs_cents: Mapped[int] = mapped_column(Integer, server_default="0")  # stated (a letter) or charged
    interest_cents: Mapped[int] = mapped_column(Integer, server_default="0")  # charged with this step
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a hand-over, sent to the agency


class DueNotice(Base):
    """The friendly notice a few days before an invoice is due (or, with a mandate, the SEPA
    pre-notification of its collection): one per invoice, whoever sends it first."""

    __tablename__ = "due_notices"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | collection
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DunningPolicy(Base):
    """A merchant's own policy for one kind of customer (consumer or business), as data;
    without one the default of bnpl.dunning.policy applies."""

    __tablename__ = "dunning_policies"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    customer_type: Mapped[str] = mapped_column(String(10), primary_key=True)  # consumer | business
    data: Mapped[dict] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentPlan(Base):
    """Forbearance (CCD2): a consumer in trouble pays in instalments; the invoice is paused
    meanwhile, so no reminder, fee or interest runs while the plan is kept."""

    __tablename__ = "payment_plans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("plan"))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    instalments: Mapped[list] = mapped_column(Json)  # [{"due_date": "2026-12-01", "amount": 2500}, ...]
    status: Mapped[str] = mapped_column(String(12))  # active | completed | ended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
