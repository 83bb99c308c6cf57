"""The settlements table: what the provider owes one webshop for one period."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id


class Settlement(Base):
    """What the provider owes one webshop for one period, fixed when the period is settled:
    invoiced minus credited minus the provider's fee (credits after an earlier payout come
    off the next one). Reconciles to the cent with the invoice entries of the period."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("merchant_id", "livemode", "period_start"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("stl"))
    merchant_id: Mapped[str] = mapped_column(String(40), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    invoiced_cents: Mapped[int] = mapped_column(Integer)
    credited_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer)
    payable_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the payable amount goes: the merchant's IBAN in force when the period was settled.
    payout_iban: Mapped[str | None] = mapped_column(String(34))
