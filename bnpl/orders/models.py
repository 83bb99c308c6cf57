"""The order aggregate: lines with their shipped and cancelled quantities, and shipments.

Quantity rules live here so that the API, the portal and the back office share them.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id
from bnpl.errors import Conflict, InvalidInput
from bnpl.i18n import said
from bnpl.money import vat_breakdown
from bnpl.orders import states


class QuantityRules:
    """Which open quantities a shipment or cancellation may take, and the order's status after
    it: the same rules for the ORM's Order and for LockedOrder, the plain rows a shipment reads
    under lock (issue 19). Needs `status` and `lines` (each with reference, quantity,
    shipped_quantity, cancelled_quantity and open_quantity)."""

    __slots__ = ()

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

    def open_lines(self) -> list[dict]:
        return [{"reference": line.reference, "quantity": line.open_quantity}
                for line in self.lines if line.open_quantity]

    def ship(self, picked: list[tuple["OrderLine", int]]) -> None:
        for line, qty in picked:
            line.shipped_quantity += qty
        self._move("ship")

    def _move(self, verb: str) -> None:
        rest = not any(line.open_quantity for line in self.lines)
        self.status = states.ORDER.next(self.status, f"{verb}_{'rest' if rest else 'part'}")

    def check_can(self, verb: str) -> None:
        """Raise the state machine's own error before any quantity is looked at."""
        states.ORDER.next(self.status, f"{verb}_part")


class Order(QuantityRules, Base):
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
    status: Mapped[str] = mapped_column(String(30))
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

    def reserve_return(self, requested: list[dict]) -> list[tuple["OrderLine", int]]:
        """Count returned quantities (announced or received); never more than was shipped."""
        picked = self._resolve(requested)
        for line, qty in picked:
            if qty > line.returnable_quantity:
                raise Conflict(said(
                    "Line %(line)s: asked to return %(asked)s, but only %(left)s can still be returned (%(shipped)s "
                    "shipped, %(returned)s already returned or announced).", line=repr(line.reference), asked=qty,
                    left=line.returnable_quantity, shipped=line.shipped_quantity, returned=line.returned_quantity),
                    returnable_lines=self.returnable_lines())
        for line, qty in picked:
            line.returned_quantity += qty
        return picked

    def returnable_lines(self) -> list[dict]:
        return [{"reference": line.reference, "quantity": line.returnable_quantity}
                for line in self.lines if line.returnable_quantity]

    def cancel(self, picked: list[tuple["OrderLine", int]], at: datetime) -> None:
        for line, qty in picked:
            line.cancelled_quantity += qty
        self._move("cancel")
        if self.status == states.CANCELLED:
            self.cancelled_at = at

def purpose_past(purpose: str) -> str:
    return {"ship": "shipped", "cancel": "cancelled"}.get(purpose, purpose)


class LineQuantities:
    """What of a line is still open: for the ORM's OrderLine and for LockedLine alike."""

    __slots__ = ()

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity


class OrderLine(LineQuantities, Base):
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
    def returnable_quantity(self) -> int:
        return self.shipped_quantity - self.returned_quantity


class NewLine(NamedTuple):
    """A line of an order being created, as it is written: nothing shipped, cancelled or
    returned yet (orders.service writes it with Core, no OrderLine object)."""

    position: int
    reference: str
    description: str
    quantity: int
    unit_price_cents: int
    vat_rate_bp: int
    total_cents: int

    @property
    def vat_rate(self) -> Decimal:
        return Decimal(self.vat_rate_bp) / 100


class LockedOrder(QuantityRules):
    """An order and its lines as shipping reads them under their row locks: plain values, no
    ORM object to build, attach to the session and flush (issue 19). What shipping uses only."""

    __slots__ = ("id", "status", "created_at", "consumer_id", "currency", "merchant_reference", "consumer",
                 "billing_address", "lines")

    def __init__(self, *, lines: list["LockedLine"], **columns):
        self.lines = lines
        for name, value in columns.items():
            setattr(self, name, value)


class LockedLine(LineQuantities):
    """An order line of a LockedOrder."""

    __slots__ = ("id", "reference", "description", "quantity", "unit_price_cents", "vat_rate_bp",
                 "shipped_quantity", "cancelled_quantity")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


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


def explain_total_mismatch(lines: list[NewLine], *, expected: int, total: int) -> str:
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
