"""The invoice aggregate. An issued invoice's lines are copies that are never edited."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, literal, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from stdnum import iso11649

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.money import vat_breakdown

OPEN, PAUSED, PAID, CREDITED = "open", "paused", "paid", "credited"
COLLECTION_COSTS, INTEREST = "collection_costs", "interest"  # the kinds of InvoiceFee
_STILL_OWING = text("status IN ('open', 'paused')")


def status_of(*, fully_credited: bool, owed_cents: int, paused: bool) -> str:
    """The one place an invoice's status comes from: Invoice.derive_status from its entries,
    the ledger's bulk payment booking from the cached figures."""
    if fully_credited:
        return CREDITED
    if owed_cents <= 0:
        return PAID
    if paused:
        return PAUSED
    return OPEN


def status_in(*statuses: str):
    """Invoice.status among these, the values written into the SQL, not sent as parameters.
    The partial indexes of invoices still owing hold for 'open' and 'paused' only, and
    PostgreSQL uses them only where it sees those values: from a statement's fifth run on a
    connection, psycopg prepares it, and the generic plan of `status IN ($1, $2)` scanned all
    invoices (0.4 s a statement at 1,000,000 invoices, in a bank statement's import)."""
    return Invoice.status.in_([literal(status, literal_execute=True) for status in statuses])


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_scope_created", "merchant_id", "livemode", "created_at", "id"),
        Index("ix_invoices_consumer_due", "consumer_id", "livemode", "due_date"),
        # Partial: only invoices still owing are looked up by amount (statement matching) or
        # by due date (dunning), and an invoice leaving them costs no index entry.
        Index("ix_invoices_owed_status", "owed_cents", "status", postgresql_where=_STILL_OWING,
              sqlite_where=_STILL_OWING),
        Index("ix_invoices_status_due", "status", "due_date", "id", postgresql_where=_STILL_OWING,
              sqlite_where=_STILL_OWING),
        # Room on each page for a changed row's new version (migration 0029 says why).
        {"postgresql_with": {"fillfactor": 80}},
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
    # What is owed after credits and payments (negative: paid too much). Like status, a cache
    # of the money trail that refresh_status keeps, so queries can find invoices by amount.
    owed_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    billed_to: Mapped[dict] = mapped_column(Json)
    seller: Mapped[dict] = mapped_column(Json)  # the merchant's identity as it was at issue
    order_reference: Mapped[str] = mapped_column(String(100))
    term_days: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    # The last dunning level reached (0: none); the dunning feature moves it, never back.
    dunning_level: Mapped[int] = mapped_column(Integer, server_default="0")
    # Start of the current paused stretch (several pauses may overlap); None when running.
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan")
    credit_notes: Mapped[list["CreditNote"]] = relationship(
        back_populates="invoice", order_by="CreditNote.issued_at", cascade="all, delete-orphan")
    pauses: Mapped[list["InvoicePause"]] = relationship(
        back_populates="invoice", order_by="InvoicePause.started_at", cascade="all, delete-orphan")
    payments: Mapped[list["InvoicePayment"]] = relationship(
        back_populates="invoice", order_by="InvoicePayment.booked_at", cascade="all, delete-orphan")
    fees: Mapped[list["InvoiceFee"]] = relationship(
        back_populates="invoice", order_by="InvoiceFee.charged_at", cascade="all, delete-orphan")
    extensions: Mapped[list["InvoiceExtension"]] = relationship(
        back_populates="invoice", order_by="InvoiceExtension.created_at", cascade="all, delete-orphan")

    @property
    def vat_lines(self):
        return self.vat_breakdown()

    def vat_breakdown(self):
        return vat_breakdown((line.vat_rate, line.total_cents) for line in self.lines)

    # --- the money trail: every figure below is a sum of entries that are never changed ---

    @property
    def credited_cents(self) -> int:
        return sum(note.total_cents for note in self.credit_notes)

    @property
    def paid_cents(self) -> int:
        return sum(payment.amount_cents for payment in self.payments)

    @property
    def fees_cents(self) -> int:
        """Collection costs charged and not waived."""
        return sum(fee.amount_cents for fee in self.fees if fee.kind == COLLECTION_COSTS and fee.waived_at is None)

    @property
    def interest_cents(self) -> int:
        return sum(fee.amount_cents for fee in self.fees if fee.kind == INTEREST and fee.waived_at is None)

    @property
    def owed_by_entries(self) -> int:
        return self.total_cents + self.fees_cents + self.interest_cents - self.credited_cents - self.paid_cents

    @property
    def balance_cents(self) -> int:
        """What the consumer still owes; never negative."""
        return max(self.owed_by_entries, 0)

    @property
    def refund_owed_cents(self) -> int:
        """What the consumer paid beyond what they owe after credits."""
        return max(-self.owed_by_entries, 0)

    @property
    def creditable_cents(self) -> int:
        """How much may still be credited: never more than was invoiced."""
        return self.total_cents - self.credited_cents

    def uncredited_quantities(self) -> dict[str, int]:
        """Per order line: how many of it no credit note has taken yet."""
        left = {line.order_line_reference: line.quantity for line in self.lines}
        for note in self.credit_notes:
            for line in note.lines:
                if line.reference in left:
                    left[line.reference] -= line.quantity
        return left

    @property
    def open_pause(self) -> "InvoicePause | None":
        return next((p for p in self.pauses if p.lifted_at is None), None)

    def derive_status(self) -> str:
        """The invoice's status from its entries; the column caches it for queries."""
        return status_of(fully_credited=bool(self.credited_cents) and self.creditable_cents == 0,
                         owed_cents=self.owed_by_entries, paused=self.open_pause is not None)

    def refresh_status(self) -> None:
        """Write the derived figures the columns cache: status and what is owed."""
        self.status = self.derive_status()
        self.owed_cents = self.owed_by_entries

    @property
    def is_closed(self) -> bool:
        return self.status in (PAID, CREDITED)

    @property
    def may_be_chased(self) -> bool:
        """Reminders, fees and interest are allowed only for an open invoice: never while
        paused (return, dispute, extension, plan), never once paid or credited."""
        return self.status == OPEN

    def creditable_per_rate(self) -> dict[int, int]:
        """Gross still creditable per VAT rate (basis points), for splitting amount credits."""
        invoiced = gross_per_rate(self.lines)
        credited = gross_per_rate(line for note in self.credit_notes for line in note.lines)
        return {rate: gross - credited.get(rate, 0) for rate, gross in invoiced.items()}

    def pause(self, pause: "InvoicePause") -> bool:
        """Add a pause; True when the invoice was running until now."""
        was_running = self.open_pause is None
        self.pauses.append(pause)
        if was_running:
            self.paused_since = pause.started_at
        self.refresh_status()
        return was_running

    def lift(self, pause: "InvoicePause", *, at: datetime, by: str, tz: str) -> int | None:
        """Lift a pause. When it was the last one, the due date moves by the paused calendar
        days and that number is returned; None while other pauses keep the invoice paused."""
        from bnpl.clock import local_date

        pause.lifted_at, pause.lifted_by = at, by
        if self.open_pause is not None:
            return None
        days = (local_date(at, tz) - local_date(self.paused_since, tz)).days
        self.due_date += timedelta(days=days)
        self.paused_since = None
        self.refresh_status()
        return days

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


class CreditNote(Base):
    """A numbered, immutable reduction of an invoice, line by line with VAT per rate."""

    __tablename__ = "credit_notes"
    __table_args__ = (Index("ix_credit_notes_scope_created", "merchant_id", "livemode", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("crn"))
    number: Mapped[str] = mapped_column(String(30), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(20))  # "return" | "amount"
    reason: Mapped[str] = mapped_column(String(500))
    return_id: Mapped[str | None] = mapped_column(String(40), index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")
    lines: Mapped[list["CreditNoteLine"]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.position", cascade="all, delete-orphan")

    @property
    def vat_lines(self):
        return self.vat_breakdown()

    def vat_breakdown(self):
        return vat_breakdown((line.vat_rate, line.total_cents) for line in self.lines)


class CreditNoteLine(Base):
    __tablename__ = "credit_note_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")

    @property
    def vat_rate(self) -> Decimal:
        return Decimal(self.vat_rate_bp) / 100


class InvoicePayment(Base):
    """Money applied to the invoice: a payment (or, negative, a payment the bank took back).
    The payments feature keeps where the money came from; this row is the invoice's side."""

    __tablename__ = "invoice_payments"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class InvoiceFee(Base):
    """A charge for paying late (collection costs, statutory interest), on top of what was
    invoiced. Itemised with how it was computed, since fees may only cover costs; a
    merchant can waive it, which keeps the row and takes it off the balance."""

    __tablename__ = "invoice_fees"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("fee"))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # collection_costs | interest
    amount_cents: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(300))  # e.g. "WIK scale on 120.00" or "4.00 % ..."
    period_start: Mapped[date | None] = mapped_column(Date)  # interest: the days it covers
    period_end: Mapped[date | None] = mapped_column(Date)
    dunning_level: Mapped[int | None] = mapped_column(Integer)
    charged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiver_reason: Mapped[str | None] = mapped_column(String(300))

    invoice: Mapped[Invoice] = relationship(back_populates="fees")


class InvoiceExtension(Base):
    """A due date moved later on request: the consumer's one free extension, or the
    merchant's. Kept as a row, so 'once' can be checked and both sides can see it."""

    __tablename__ = "invoice_extensions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ext"))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(20))  # consumer | merchant
    days: Mapped[int] = mapped_column(Integer)
    previous_due_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship(back_populates="extensions")


class InvoicePause(Base):
    """One reason the invoice is on hold (a return, a dispute, an extension, a plan).
    While any pause is open: no reminders, no fees, no interest."""

    __tablename__ = "invoice_pauses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pau"))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    reference_id: Mapped[str | None] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(100))

    invoice: Mapped[Invoice] = relationship(back_populates="pauses")


def gross_per_rate(lines) -> dict[int, int]:
    """Sum of line totals per VAT rate in basis points (invoice, credit-note or request lines)."""
    per_rate: dict[int, int] = {}
    for line in lines:
        per_rate[line.vat_rate_bp] = per_rate.get(line.vat_rate_bp, 0) + line.unit_price_cents * line.quantity
    return per_rate


def split_over_rates(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """Split an amount over VAT rates in proportion to the weights, in whole cents
    (largest remainder), so an amount credit corrects each rate's VAT fairly."""
    total = sum(weights.values())
    shares = {rate: amount * w // total for rate, w in weights.items()}
    rest = amount - sum(shares.values())
    by_remainder = sorted(weights, key=lambda r: (-(amount * weights[r] % total), -r))
    for rate in by_remainder[:rest]:
        shares[rate] += 1
    return {rate: cents for rate, cents in shares.items() if cents}


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


def format_number(livemode: bool, year: int, value: int, prefix: str = "") -> str:
    # Test-mode documents have their own series so they never use up a live number.
    return f"{'' if livemode else 'TEST-'}{prefix}{year}-{value:06d}"


def credit_note_series(livemode: bool, year: int) -> str:
    return f"credit_note:{'live' if livemode else 'test'}:{year}"


def rf_reference(number: str) -> str:
    """ISO 11649 creditor reference for an invoice number: RF, two check digits, the body."""
    body = "".join(ch for ch in number.upper() if ch.isalnum())
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    reference = f"RF{98 - int(digits) % 97:02d}{body}"
    return iso11649.validate(reference)
