from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id

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
    # The provider's fee on what the merchant invoices, in basis points (150 = 1.5 %).
    fee_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    payout_iban: Mapped[str | None] = mapped_column(String(34))
    email: Mapped[str | None] = mapped_column(String(254))  # where we tell the merchant of problems
    # Who sells: printed on every invoice (the law asks for it) and put in e-invoices.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[dict | None] = mapped_column(Json)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    coc_number: Mapped[str | None] = mapped_column(String(20))
    # Branding on documents: a checked PNG or JPEG (never a URL) and one accent colour.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # not on every API call
    logo_type: Mapped[str | None] = mapped_column(String(20))
    brand_colour: Mapped[str | None] = mapped_column(String(7))

    api_keys: Mapped[list["ApiKey"]] = relationship(back_populates="merchant")

    def seller_identity(self) -> dict:
        """What an invoice records about its seller when it is issued; later changes to the
        merchant's details do not rewrite invoices already sent."""
        return {"name": self.name, "legal_name": self.legal_name or self.name, "address": self.address,
                "vat_number": self.vat_number, "coc_number": self.coc_number}


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
