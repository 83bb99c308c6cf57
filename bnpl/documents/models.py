"""Stored documents and the renderer's queue. Who the subject is (an invoice, a credit note,
a dunning letter) is the registering feature's business: these tables know it only by kind
and id."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, Json, UTCDateTime, new_id


class Document(Base):
    """A rendered PDF, stored once and served byte for byte ever after.

    A document is keyed by the fingerprint of everything it shows, so an invoice whose due
    date moved or that was partly credited gets a new version next to the old one; the
    version first sent is never overwritten."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("subject_id", "fingerprint"),
                      Index("ix_documents_subject_created", "subject_id", "created_at"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("doc"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    subject_type: Mapped[str] = mapped_column(String(20))  # a registered kind: "invoice", "credit_note", "letter"
    subject_id: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    media_type: Mapped[str] = mapped_column(String(40))
    profile: Mapped[str] = mapped_column(String(40))  # "pdf" | "factur-x en16931"
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentRequest(Base):
    """Work for the renderer: a document to render off the request path. Deleted once its
    document exists; attempts and the last error stay visible while it does not."""

    __tablename__ = "document_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dreq"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))
    payload: Mapped[dict | None] = mapped_column(Json)  # what the document states beyond its subject (a letter's amounts)
