"""The invoice aggregate. An issued invoice's lines are copies that are never edited."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from stdnum import iso11649

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.money import vat_breakdown

OPEN = "open"


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_scope_created", "merchant_id", "livemode", "created_at", "id"),
        Index("ix_invoices_consumer_due", "consumer_id", "livemode", "due_date"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("inv"))
    number: Mapped[str] = mapped_column(String(30), unique=True)
    payment_reference: Mapped[str] = mapped_column(String(25), unique=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    shipment_id: Mapped[str] = mapped_column(String(40), unique=True)
    consumer_id: Mapped[str] = mapped_column(ForeignKey("consumers.id"))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    billed_to: Mapped[dict] = mapped_column(Json)
    term_days: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan")

    def vat_breakdown(self):
        return vat_breakdown((line.vat_rate, line.total_cents) for line in self.lines)

    @property
    def balance_cents(self) -> int:
        # Credits, payments, fees and interest join this sum as their features arrive.
        return self.total_cents

    def move_due_date_for_delivery(self, delivered_on: date) -> bool:
        """A known delivery date moves the due date later, never earlier."""
        due = delivered_on + timedelta(days=self.term_days)
        if due <= self.due_date:
            return False
        self.due_date = due
        return True


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    order_line_reference: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def vat_rate(self) -> Decimal:
        return Decimal(self.vat_rate_bp) / 100


class NumberSeries(Base):
    """One row per series; the row lock taken by the increment makes numbers gap-free:
    a number is only used if the transaction that took it commits."""

    __tablename__ = "number_series"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


def due_date(*, shipped_on: date, delivered_on: date | None, transit_days: int, term_days: int) -> date:
    """Term counts from delivery; without a delivery date, from shipping plus transit."""
    start = delivered_on if delivered_on is not None else shipped_on + timedelta(days=transit_days)
    return start + timedelta(days=term_days)


def series_name(livemode: bool, year: int) -> str:
    return f"invoice:{'live' if livemode else 'test'}:{year}"


def format_number(livemode: bool, year: int, value: int) -> str:
    # Test-mode invoices have their own series so they never use up a live number.
    return f"{'' if livemode else 'TEST-'}{year}-{value:06d}"


def rf_reference(number: str) -> str:
    """ISO 11649 creditor reference for an invoice number: RF, two check digits, the body."""
    body = "".join(ch for ch in number.upper() if ch.isalnum())
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    reference = f"RF{98 - int(digits) % 97:02d}{body}"
    return iso11649.validate(reference)
