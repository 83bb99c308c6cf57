from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bnpl.db import Base, Json, UTCDateTime, new_id

KEY_ALPHABET = string.ascii_letters + string.digits
# The language we write to a webshop in until it (or the staff member taking it on) chooses one.
DEFAULT_LANGUAGE = "nl"


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
    # The language of the mails to that address (nl, en or de): the webshop's own choice.
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE)
    # Who sells: printed on every invoice (the law asks for it) and put in e-invoices.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[dict | None] = mapped_column(Json)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    coc_number: Mapped[str | None] = mapped_column(String(20))
    # Branding on documents: a checked PNG or JPEG (never a URL) and one accent colour.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # not on every API call
    logo_type: Mapped[str | None] = mapped_column(String(20))
    brand_colour: Mapped[str | None] = mapped_column(String(7))
    # A provider admin approved the webshop (its legal details checked): live keys from then on.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    # An approved new payout IBAN waits out a cooling-off before settlements use it: a stolen
    # key plus a careless approval still leaves days to notice.
    payout_iban_next: Mapped[str | None] = mapped_column(String(34))
    payout_iban_from: Mapped[datetime | None] = mapped_column(UTCDateTime)

    api_keys: Mapped[list["ApiKey"]] = relationship(back_populates="merchant")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    def missing_legal_details(self) -> list[str]:
        """What a business invoice (EN 16931 BR-S-02, BR-CO-26) needs of the seller and is not set."""
        wanted = {"legal_name": self.legal_name, "address": self.address, "vat_number": self.vat_number}
        return [name for name, value in wanted.items() if not value]

    def put_payout_iban_in_force(self, now: datetime) -> None:
        """The approved IBAN replaces the old one once its cooling-off has passed."""
        if self.payout_iban_from is not None and self.payout_iban_from <= now:
            self.payout_iban, self.payout_iban_next, self.payout_iban_from = self.payout_iban_next, None, None

    def seller_identity(self) -> dict:
        return seller_identity(**{name: getattr(self, name) for name in SELLER_DETAILS})


SELLER_DETAILS = ("name", "legal_name", "address", "vat_number", "coc_number")


def seller_identity(*, name: str, legal_name: str | None, address: dict | None, vat_number: str | None,
                    coc_number: str | None) -> dict:
    """What an invoice records about its seller when it is issued; later changes to the
    merchant's details do not rewrite invoices already sent."""
    return {"name": name, "legal_name": legal_name or name, "address": address, "vat_number": vat_number,
            "coc_number": coc_number}


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
    # Written at most once a minute per key (LAST_USED_PRECISION): a write per request would
    # cost every API call a statement.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name: Mapped[str | None] = mapped_column(String(100))  # the merchant's label ("shop server")

    merchant: Mapped[Merchant] = relationship(back_populates="api_keys")

    @staticmethod
    def generate(livemode: bool) -> str:
        mode = "live" if livemode else "test"
        return f"bnpl_{mode}_" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(32))

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class MerchantChange(Base):
    """A requested change of a setting that moves the provider's money (the order limit, the
    invoice term, the transit days, the payout IBAN): it waits for a provider admin, and the
    old value holds meanwhile. Kept after the decision, with who decided and why."""

    __tablename__ = "merchant_changes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("chg"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)  # the mode of the key that asked
    setting: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[dict] = mapped_column(Json)  # {"value": …}: any JSON value, null too
    new_value: Mapped[dict] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it applies (IBAN: later)

    @property
    def old(self):
        return self.old_value["value"]

    @property
    def new(self):
        return self.new_value["value"]
