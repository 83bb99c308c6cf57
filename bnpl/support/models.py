"""A phone call taken by a staff member: who looked up whom, and whether the caller was confirmed.

Every lookup is a row (confirmed or not): it is what the per-member limit counts, and the
record of who looked for which caller when. Only a confirmed row names an invoice, and only
the member who made it may work from it, for a short while.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime, new_id

# How the caller was found, and which second fact they stated.
BY_INVOICE_NUMBER, BY_EMAIL, BY_PHONE = "invoice_number", "email", "phone"
POSTCODE, BIRTH_DATE = "postcode", "birth_date"


class CallIntake(Base):
    __tablename__ = "support_intakes"
    __table_args__ = (Index("ix_support_intakes_staff_at", "staff_id", "looked_up_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cal"))
    staff_id: Mapped[str] = mapped_column(String(40))
    found_by: Mapped[str] = mapped_column(String(20))  # invoice_number | email | phone
    fact: Mapped[str | None] = mapped_column(String(20))  # postcode | birth_date: what confirmed it
    confirmed: Mapped[bool] = mapped_column(Boolean)
    # Confirmed by e-mail or phone: the caller's invoices the fact matched, one to choose from.
    candidates: Mapped[list | None] = mapped_column(Json)
    # Set once confirmed and chosen: the invoice the call is about, and so its webshop and consumer.
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    merchant_id: Mapped[str | None] = mapped_column(String(40))
    livemode: Mapped[bool | None] = mapped_column(Boolean)
    consumer_id: Mapped[str | None] = mapped_column(String(40))
    looked_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
