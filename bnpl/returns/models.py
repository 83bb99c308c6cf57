from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, UTCDateTime, new_id
from bnpl.returns import states


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (Index("ix_returns_scope_created", "merchant_id", "livemode", "created_at", "id"),
                      Index("ix_returns_status_receive_by", "status", "receive_by"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ret"))
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_code: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receive_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="return_", order_by="ReturnLine.id", cascade="all, delete-orphan")

    def receive(self, at: datetime) -> None:
        self.status = states.RETURN.next(self.status, "receive")
        self.received_at = at

    def invoice_ids(self) -> list[str]:
        return list(dict.fromkeys(line.invoice_id for line in self.lines))


class ReturnLine(Base):
    """Returned quantity of one order line, allotted to the invoice that billed it."""

    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)

    return_: Mapped[Return] = relationship(back_populates="lines")


def allot(requested: list[tuple[str, int]], invoiced: list, already: dict[tuple[str, str], int]) -> list[ReturnLine]:
    """Spread each returned quantity over the invoices that billed the line, oldest first,
    skipping what earlier returns already took from each invoice."""
    lines = []
    for reference, quantity in requested:
        for billed in (b for b in invoiced if b.reference == reference):
            free = billed.quantity - already.get((billed.invoice_id, reference), 0)
            take = min(free, quantity)
            if take > 0:
                lines.append(ReturnLine(invoice_id=billed.invoice_id, reference=reference, quantity=take))
                already[(billed.invoice_id, reference)] = already.get((billed.invoice_id, reference), 0) + take
                quantity -= take
        if quantity:
            raise AssertionError(f"{reference}: shipped quantities and invoices disagree")
    return lines
