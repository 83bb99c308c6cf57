from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
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


def normalize_email(email: str) -> str:
    return email.strip().lower()
