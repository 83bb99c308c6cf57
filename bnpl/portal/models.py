"""Sign-in by e-mailed link and remembered devices (their rate limits: bnpl/web/limits.py).

Only hashes of the secrets are stored: whoever reads the database cannot sign in with them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id


class SignInLink(Base):
    """A single-use link, valid for minutes, sent to an e-mail address."""

    __tablename__ = "portal_sign_in_links"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("lnk"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(Base):
    """A browser remembered after signing in: everything of an e-mail address, or one
    invoice when the consumer signed in with its number and postcode."""

    __tablename__ = "portal_devices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dev"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
