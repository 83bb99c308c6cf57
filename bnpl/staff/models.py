"""Back-office accounts. Passwords are argon2 hashes; repeated failures lock the account."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from bnpl.db import Base, UTCDateTime, new_id

MEDIATOR, RISK, SUPPORT, ADMIN = "mediator", "risk", "support", "admin"
# A mediator decides disputes; risk staff review credit decisions (CCD2). Neither does the
# other's work: each needs its own training and the separation keeps one person from deciding
# a consumer's case and their creditworthiness both. Support staff take calls and answer
# questions (so do mediators); they decide nothing. An admin may do everything.
ROLES = (MEDIATOR, RISK, SUPPORT, ADMIN)
DESK = (MEDIATOR, SUPPORT)  # who takes calls and answers questions
LANGUAGES = ("nl", "en")  # the back office's; German-speaking staff read English


class StaffMember(Base):
    __tablename__ = "staff_members"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("stf"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(2))  # chosen in the back office; None: not yet
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def may_act_as(self, role: str | tuple[str, ...] | None) -> bool:
        """Whether this member may do what the role (or one of the roles) may; an admin may do everything."""
        return role is None or self.role in ((role,) if isinstance(role, str) else role) + (ADMIN,)


class StaffSession(Base):
    """A signed-in browser. The cookie holds only a random token; this row is what makes it
    valid, so signing out, deactivating the account or resetting its password ends it at once
    (a copied cookie is worth nothing afterwards)."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sss"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
