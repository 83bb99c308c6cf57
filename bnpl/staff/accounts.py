"""Back-office sessions on the server, and what an admin or the operator does to accounts.

The browser's cookie carries only a random session token; the row in staff_sessions makes it
valid. Signing out revokes that row; deactivating an account or resetting its password
revokes all of the member's rows. A copied cookie therefore stops working at once, which a
signed client-side session (valid until it expires) could not promise.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from bnpl.audit import service as audit
from bnpl.errors import InvalidInput, NotFound
from bnpl.i18n import said
from bnpl.staff import service
from bnpl.staff.models import LANGUAGES, StaffMember, StaffSession
from bnpl.uow import UnitOfWork


def start_session(uow: UnitOfWork, *, member: StaffMember) -> str:
    """A new session for a member who just signed in; the token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    now = uow.now()
    uow.session.add(StaffSession(token_hash=_hash(token), member_id=member.id, created_at=now,
                                 expires_at=now + service.SESSION_LIFETIME))
    return token


def member_of_session(uow: UnitOfWork, *, token: str | None) -> StaffMember | None:
    """The active member whose unexpired, unrevoked session this token names; else None."""
    if not token:
        return None
    now = uow.now()
    return uow.session.scalar(select(StaffMember).join(StaffSession, StaffSession.member_id == StaffMember.id).where(
        StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None), StaffSession.created_at <= now,
        StaffSession.expires_at > now, StaffMember.active.is_(True)))


def end_session(uow: UnitOfWork, *, token: str | None) -> None:
    if token:
        uow.session.execute(update(StaffSession).where(StaffSession.token_hash == _hash(token),
                                                       StaffSession.revoked_at.is_(None)).values(revoked_at=uow.now()))


def end_all_sessions(uow: UnitOfWork, *, member_id: str) -> None:
    uow.session.execute(update(StaffSession).where(StaffSession.member_id == member_id,
                                                   StaffSession.revoked_at.is_(None)).values(revoked_at=uow.now()))


def choose_language(uow: UnitOfWork, *, member: StaffMember, language: str) -> bool:
    """The member reads the back office in this language from now on, in every browser;
    whether that changed anything."""
    if language not in LANGUAGES:
        raise InvalidInput({"lang": [said("One of %(languages)s.", languages=", ".join(LANGUAGES))]})
    if member.language == language:
        return False
    member.language = language
    return True


# --- what an admin (or the operator) does to accounts --------------------------------------

def members(uow: UnitOfWork) -> list[StaffMember]:
    return list(uow.session.scalars(select(StaffMember).order_by(StaffMember.active.desc(), StaffMember.email)))


def deactivate(uow: UnitOfWork, *, email: str, actor: str) -> StaffMember:
    """The account can no longer sign in, and every open session of it ends now."""
    member = _member(uow, email)
    member.active = False
    end_all_sessions(uow, member_id=member.id)
    audit.record(uow, actor=actor, action="staff.deactivated", member=member.email)
    return member


def unlock(uow: UnitOfWork, *, email: str, actor: str) -> StaffMember:
    """Lift a lock after failed sign-ins (the member phoned and was recognised)."""
    member = _member(uow, email)
    member.failed_logins, member.locked_until = 0, None
    audit.record(uow, actor=actor, action="staff.unlocked", member=member.email)
    return member


def reset_password(uow: UnitOfWork, *, email: str, password: str, actor: str) -> StaffMember:
    """A new password; whoever signed in with the old one is signed out, and a lock is lifted."""
    if not service.MIN_PASSWORD_LENGTH <= len(password or "") <= service.MAX_PASSWORD_LENGTH:
        raise InvalidInput({"password": [said("Between %(least)s and %(most)s characters.",
                                              least=service.MIN_PASSWORD_LENGTH, most=service.MAX_PASSWORD_LENGTH)]})
    member = _member(uow, email)
    member.password_hash = service.HASHER.hash(password)
    member.failed_logins, member.locked_until = 0, None
    end_all_sessions(uow, member_id=member.id)
    audit.record(uow, actor=actor, action="staff.password_reset", member=member.email)
    return member


def _member(uow, email: str) -> StaffMember:
    member = uow.session.scalar(select(StaffMember).where(StaffMember.email == service.normalize_email(email))
                                .with_for_update())
    if member is None:
        raise NotFound(said("No staff account for %(email)s.", email=email))
    return member


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
