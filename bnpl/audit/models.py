"""One row per change of a setting or a policy; rows are only ever added."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_merchant_at", "merchant_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "merchant key bnpl_test_abcd", "staff Anna (stf_…)", …
    merchant_id: Mapped[str | None] = mapped_column(String(40))  # the webshop concerned, if any
    action: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict] = mapped_column(Json)
