"""Sign-in by e-mailed link, remembered devices, and the counts that rate-limit both.

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


class Throttle(Base):
    """How often one key ('invoice:number:…', 'link:email:…') was tried lately, and when the
    next try may go ahead. Times are whole Unix seconds, so that one portable statement can
    do the arithmetic (bnpl/portal/limits.py)."""

    __tablename__ = "portal_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tries: Mapped[int] = mapped_column(Integer)  # since started_at, refused ones included
    started_at: Mapped[int] = mapped_column(Integer)
    wait_seconds: Mapped[int] = mapped_column(Integer)  # before the try after the last one let through
    next_try_at: Mapped[int] = mapped_column(Integer)
    granted: Mapped[bool] = mapped_column(Boolean)  # whether the latest try was let through
