from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime


class IdempotencyKey(Base):
    """The first successful response to a POST, kept to answer repeats of the same request."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("merchant_id", "livemode", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    livemode: Mapped[bool] = mapped_column(Boolean)
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Throttle(Base):
    """How often one key ('invoice:number:…', 'link:email:…', 'lookup:staff:…') was tried
    lately, and when the next try may go ahead. Times are whole Unix seconds, so that one
    portable statement can do the arithmetic (bnpl/web/limits.py). The table keeps the name it
    had when only the portal's sign-in used it."""

    __tablename__ = "portal_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tries: Mapped[int] = mapped_column(Integer)  # since started_at, refused ones included
    started_at: Mapped[int] = mapped_column(Integer)
    wait_seconds: Mapped[int] = mapped_column(Integer)  # before the try after the last one let through
    next_try_at: Mapped[int] = mapped_column(Integer)
    granted: Mapped[bool] = mapped_column(Boolean)  # whether the latest try was let through
