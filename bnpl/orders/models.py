"""The order aggregate: lines with their shipped and cancelled quantities, and shipments.

Quantity rules live here so that the API, the portal and the back office share them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.errors import Conflict, InvalidInput
from bnpl.money import vat_breakdown
from bnpl.orders import states


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("merchant_id", "livemode", "merchant_reference"),
        Index("ix_orders_scope_created", "merchant_id", "livemode", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ord"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    merchant_reference: Mapped[str] = mapped_column(String(100))
    consumer_id: Mapped[str] = mapped_column(ForeignKey("consumers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    consumer: Mapped[dict] = mapped_column(Json)
    billing_address: Mapped[dict] = mapped_column(Json)
    shipping_address: Mapped[dict | None] = mapped_column(Json)
    decision: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan")
    shipments: Mapped[list["Shipment"]] = relationship(
        back_populates="order", order_by="Shipment.created_at", cascade="all, delete-orphan")

    @property
    def is_final_cancelled(self) -> bool:
        """True once the whole order is cancelled: nothing may reach this consumer about it."""
        return self.status == states.CANCELLED

    @property
    def vat_lines(self):
        return self.vat_breakdown()

    def vat_breakdown(self):
        return vat_breakdown((line.vat_rate, line.total_cents) for line in self.lines)

    def pick(self, requested: list[dict] | None, *, purpose: str) -> list[tuple["OrderLine", int]]:
        """Which open quantities a shipment or cancellation covers; all that is open when
        nothing is named. Raises with what is still open when a request asks for more."""
        if not requested:
            picked = [(line, line.open_quantity) for line in self.lines if line.open_quantity]
            if not picked:
                raise Conflict(f"Nothing on this order is left to {purpose}.", open_lines=[])
            return picked
        picked = self._resolve(requested)
        self._check_open(picked, purpose)
        return picked

    def _resolve(self, requested: list[dict]) -> list[tuple["OrderLine", int]]:
        """{reference, quantity} items -> (line, quantity); 422 for unknown or repeated lines."""
        by_ref = {line.reference: line for line in self.lines}
        errors: dict[str, list[str]] = {}
        picked, seen = [], set()
        for i, item in enumerate(requested):
            line = by_ref.get(item["reference"])
            if line is None:
                errors[f"lines.{i}.reference"] = [f"This order has no line {item['reference']!r}."]
            elif line.reference in seen:
                errors[f"lines.{i}.reference"] = ["Named twice; name each line once."]
            else:
                seen.add(line.reference)
                picked.append((line, item["quantity"]))
        if errors:
            raise InvalidInput(errors)
        return picked

    def _check_open(self, picked: list[tuple["OrderLine", int]], purpose: str) -> None:
        too_many = [(line, qty) for line, qty in picked if qty > line.open_quantity]
        if not too_many:
            return
        line, qty = too_many[0]
        hint = ""
        if purpose == "cancel" and line.shipped_quantity:
            hint = " Shipped goods cannot be cancelled; register a return when they come back."
        raise Conflict(
            f"Line {line.reference!r}: asked to {purpose} {qty}, but only {line.open_quantity} "
            f"of {line.quantity} can still be {purpose_past(purpose)}.{hint}",
            open_lines=self.open_lines(),
        )

    def reserve_return(self, requested: list[dict]) -> list[tuple["OrderLine", int]]:
        """Count returned quantities (announced or received); never more than was shipped."""
        picked = self._resolve(requested)
        for line, qty in picked:
            if qty > line.returnable_quantity:
                raise Conflict(
                    f"Line {line.reference!r}: asked to return {qty}, but only {line.returnable_quantity} "
                    f"can still be returned ({line.shipped_quantity} shipped, {line.returned_quantity} "
                    "already returned or announced).", returnable_lines=self.returnable_lines())
        for line, qty in picked:
            line.returned_quantity += qty
        return picked

    def returnable_lines(self) -> list[dict]:
        return [{"reference": line.reference, "quantity": line.returnable_quantity}
                for line in self.lines if line.returnable_quantity]

    def open_lines(self) -> list[dict]:
        return [{"reference": line.reference, "quantity": line.open_quantity}
                for line in self.lines if line.open_quantity]

    def ship(self, picked: list[tuple["OrderLine", int]]) -> None:
        for line, qty in picked:
            line.shipped_quantity += qty
        self._move("ship")

    def cancel(self, picked: list[tuple["OrderLine", int]], at: datetime) -> None:
        for line, qty in picked:
            line.cancelled_quantity += qty
        self._move("cancel")
        if self.status == states.CANCELLED:
            self.cancelled_at = at

    def _move(self, verb: str) -> None:
        rest = not any(line.open_quantity for line in self.lines)
        self.status = states.next_state(self.status, f"{verb}_{'rest' if rest else 'part'}")

    def check_can(self, verb: str) -> None:
        """Raise the state machine's own error before any quantity is looked at."""
        states.next_state(self.status, f"{verb}_part")


def purpose_past(purpose: str) -> str:
    return {"ship": "shipped", "cancel": "cancelled"}.get(purpose, purpose)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "reference"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("shipped_quantity + cancelled_quantity <= quantity", name="not_over_used"),
        CheckConstraint("returned_quantity <= shipped_quantity", name="returned_not_above_shipped"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 21 % is 2100
    total_cents: Mapped[int] = mapped_column(Integer)
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def vat_rate(self) -> Decimal:
        return Decimal(self.vat_rate_bp) / 100

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity

    @property
    def returnable_quantity(self) -> int:
        return self.shipped_quantity - self.returned_quantity


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_scope", "merchant_id", "livemode"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("shp"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_code: Mapped[str | None] = mapped_column(String(100))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list["ShipmentLine"]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id")


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


# --- the acceptance decision -------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Decision:
    outcome: str            # "accepted" | "declined"
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict:
        return {"outcome": self.outcome,
                "reasons": [{"code": r.code, "text": r.text} for r in self.reasons]}


def decide(*, total_cents: int, limit_cents: int, currency: str, has_overdue: bool,
           birth_date: date | None, today: date, minimum_age: int, is_business: bool) -> Decision:
    """The explainable accept/decline: every failed check is a reason; an accept lists the
    checks that passed, so both outcomes can be explained to the consumer."""
    from bnpl.money import Money

    failed, passed = [], []
    amount, limit = Money(total_cents, currency).format(), Money(limit_cents, currency).format()
    if total_cents > limit_cents:
        failed.append(Reason("amount_above_limit", f"The order total {amount} is above the limit of {limit}."))
    else:
        passed.append(Reason("amount_within_limit", f"The order total {amount} is within the limit of {limit}."))
    if has_overdue:
        failed.append(Reason("overdue_invoices", "The consumer has an invoice with us that is past its due date."))
    else:
        passed.append(Reason("no_overdue_invoices", "The consumer has no overdue invoices with us."))
    if not is_business and birth_date is not None:
        if age_on(birth_date, today) < minimum_age:
            failed.append(Reason("under_minimum_age", f"The consumer is younger than {minimum_age}."))
        else:
            passed.append(Reason("minimum_age_met", f"The consumer is {minimum_age} or older."))
    if failed:
        return Decision("declined", tuple(failed))
    return Decision("accepted", tuple(passed))


def explain_total_mismatch(lines: list[OrderLine], *, expected: int, total: int) -> str:
    """Name the likely cause of a wrong expected_total: the integration bugs we see most."""
    diff = expected - total
    net_total = sum(v.net for v in vat_breakdown((line.vat_rate, line.total_cents) for line in lines))
    if expected == net_total:
        return "It equals the total without VAT: unit_price must include VAT."
    for line in lines:
        if diff == -line.total_cents:
            return f"Line {line.reference!r} ({line.total_cents}) seems missing from your total."
        if diff == line.total_cents:
            return f"Line {line.reference!r} ({line.total_cents}) seems counted twice in your total."
        if line.quantity > 1 and diff == -(line.quantity - 1) * line.unit_price_cents:
            return f"Line {line.reference!r}: your total counts 1 unit, the line has {line.quantity}."
    return "Compare your line totals with the computed lines below."


def age_on(birth_date: date, day: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in other years."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


_COUNTRY_CALLING_CODES = {"NL": "31", "BE": "32", "DE": "49", "AT": "43", "FR": "33", "LU": "352"}


def normalize_phone(phone: str | None, country: str | None) -> str | None:
    """+31 6 1234 5678, 06-12345678 and 0031612345678 are one number: +31612345678."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    code = _COUNTRY_CALLING_CODES.get((country or "").upper())
    if digits.startswith("0") and code:
        return f"+{code}{digits[1:]}"
    return digits or None


def address_key(address: dict) -> str | None:
    """One key per front door: country, postcode and house number, without spaces or case."""
    postal = "".join((address.get("postal_code") or "").split()).upper()
    number = "".join(str(address.get("house_number") or "").split()).lower()
    if not postal or not number:
        return None
    return f"{(address.get('country') or '').upper()}:{postal}:{number}"
