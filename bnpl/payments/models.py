"""Money that reached the provider, as the bank or payment provider reported it.

A payment is recorded once per external id (the bank's reference), so reporting it again
books nothing. Where it was applied lives on the invoice (invoices.InvoicePayment)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id

BOOKED, PROPOSED, UNMATCHED, IGNORED = "booked", "proposed", "unmatched", "ignored"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'proposed', 'unmatched', 'ignored')", name="status"),
        Index("ix_payments_status_booked_on", "status", "booked_on"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay"))
    external_id: Mapped[str] = mapped_column(String(140), unique=True)  # e.g. camt:<bank reference>
    method: Mapped[str] = mapped_column(String(20))  # bank_transfer | ideal | direct_debit
    amount_cents: Mapped[int] = mapped_column(Integer)  # negative: money taken back (a return)
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[date] = mapped_column(Date)
    payer_name: Mapped[str | None] = mapped_column(String(140))
    payer_iban: Mapped[str | None] = mapped_column(String(34))
    remittance: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12))
    # How it was matched (reference | invoice_number | amount_and_name), and to what.
    matched_by: Mapped[str | None] = mapped_column(String(20))
    invoice_id: Mapped[str | None] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    livemode: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(300))  # why unmatched or ignored
    statement_id: Mapped[str | None] = mapped_column(String(140))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
