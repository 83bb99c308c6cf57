"""Money that reached the provider, as the bank or payment provider reported it.

A payment is recorded once per external id (the bank's reference), so reporting it again
books nothing. Where it was applied lives on the invoice (invoices.InvoicePayment)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id
from bnpl.payments.states import BOOKED, IGNORED, PROPOSED, UNMATCHED  # noqa: F401 (the statuses, here as before)


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


class Checkout(Base):
    """A payment started at a payment provider (an iDEAL-style redirect): open until the
    provider's signed callback says paid (then a Payment is booked) or failed/expired."""

    __tablename__ = "checkouts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'paid', 'failed', 'expired', 'cancelled')", name="status"),
        UniqueConstraint("provider", "provider_reference"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("chk"))
    provider: Mapped[str] = mapped_column(String(20))  # "local" | a real provider's name
    provider_reference: Mapped[str] = mapped_column(String(100))
    invoice_id: Mapped[str] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    consumer_id: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))  # ideal | card | ...
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    return_url: Mapped[str | None] = mapped_column(String(2048))
    payment_id: Mapped[str | None] = mapped_column(String(40))  # the Payment booked when paid
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Mandate(Base):
    """A consumer's SEPA direct-debit mandate (Core scheme): who, which account, since when."""

    __tablename__ = "mandates"
    __table_args__ = (CheckConstraint("status IN ('active', 'revoked')", name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("mdt"))
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # the mandate id on the debit
    consumer_id: Mapped[str] = mapped_column(String(40), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    account_holder: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    signed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DirectDebit(Base):
    """One collection of one invoice under a mandate, written to a pain.008 file once: the
    unique invoice id is what makes "never collected twice" a fact of the database."""

    __tablename__ = "direct_debits"
    __table_args__ = (CheckConstraint("status IN ('submitted', 'collected', 'returned')", name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dd"))
    invoice_id: Mapped[str] = mapped_column(String(40), unique=True)
    mandate_id: Mapped[str] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    amount_cents: Mapped[int] = mapped_column(Integer)
    collection_date: Mapped[date] = mapped_column(Date)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    file_id: Mapped[str] = mapped_column(String(35), index=True)  # the pain.008 message id
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refund(Base):
    """Money owed back to a consumer who paid more than they owe, paid by a pain.001 credit
    transfer and marked paid when the bank statement shows it leaving."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("status IN ('owed', 'submitted', 'paid')", name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rfd"))
    invoice_id: Mapped[str] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    amount_cents: Mapped[int] = mapped_column(Integer)
    account_holder: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    file_id: Mapped[str | None] = mapped_column(String(35), index=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatementImport(Base):
    """A bank statement read in: dunning refuses to remind when the newest is too old, since
    a reminder that crosses a payment is the complaint dunning gets most."""

    __tablename__ = "statement_imports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("stm"))
    statement_id: Mapped[str] = mapped_column(String(140))
    entries: Mapped[int] = mapped_column(Integer)
    latest_booking_on: Mapped[date | None] = mapped_column(Date)  # the newest day the bank reported
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
