from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, UTCDateTime, new_id

KEY_ALPHABET = string.ascii_letters + string.digits


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("mer"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invoice_term_days: Mapped[int] = mapped_column(Integer)
    transit_days: Mapped[int] = mapped_column(Integer)
    order_limit_cents: Mapped[int] = mapped_column(Integer)
    return_pause_days: Mapped[int] = mapped_column(Integer, server_default="28")
    payout_iban: Mapped[str | None] = mapped_column(String(34))

    api_keys: Mapped[list["ApiKey"]] = relationship(back_populates="merchant")


class ApiKey(Base):
    """Only a hash is stored. Keys carry 190 bits of randomness, so a fast hash is as safe
    as a slow one here and keeps authentication off the latency budget."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merchant: Mapped[Merchant] = relationship(back_populates="api_keys")

    @staticmethod
    def generate(livemode: bool) -> str:
        mode = "live" if livemode else "test"
        return f"bnpl_{mode}_" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(32))

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
