from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id


class Consumer(Base):
    __tablename__ = "consumers"
    __table_args__ = (UniqueConstraint("livemode", "email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("con"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Offered first next time: the method they used last, not a country's default.
    last_payment_method: Mapped[str | None] = mapped_column(String(20))
    # A friendly e-mail a few days before an invoice is due; the consumer may switch it off.
    due_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


def normalize_email(email: str) -> str:
    return email.strip().lower()
