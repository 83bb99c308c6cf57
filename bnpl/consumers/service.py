"""Find or create the consumer behind an e-mail address."""
from __future__ import annotations

from sqlalchemy import select

from bnpl.consumers.models import Consumer, normalize_email
from bnpl.db import insert_ignoring_conflicts, new_id
from bnpl.uow import UnitOfWork


def identify(uow: UnitOfWork, *, livemode: bool, email: str) -> str:
    """The consumer id for this address, created on first sight (safe under concurrency)."""
    email = normalize_email(email)
    query = select(Consumer.id).where(Consumer.livemode == livemode, Consumer.email == email)
    found = uow.session.scalar(query)
    if found:
        return found
    insert_ignoring_conflicts(
        uow.session, Consumer.__table__,
        {"id": new_id("con"), "livemode": livemode, "email": email, "created_at": uow.now()},
        index_elements=["livemode", "email"],
    )
    return uow.session.scalar(query)
