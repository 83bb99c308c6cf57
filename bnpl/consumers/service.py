"""Find or create the consumer behind an e-mail address."""
from __future__ import annotations

from sqlalchemy import select, update

from bnpl.consumers.models import Consumer, normalize_email
from bnpl.db import among, new_id, upsert
from bnpl.uow import UnitOfWork


def identify(uow: UnitOfWork, *, livemode: bool, email: str) -> str:
    """The consumer id for this address, created on first sight (safe under concurrency)."""
    email = normalize_email(email)
    query = select(Consumer.id).where(Consumer.livemode == livemode, Consumer.email == email)
    found = uow.session.scalar(query)
    if found:
        return found
    # A no-op update on conflict makes RETURNING give the id that a concurrent request created.
    return uow.session.execute(
        upsert(uow.session, Consumer.__table__)
        .values(id=new_id("con"), livemode=livemode, email=email, created_at=uow.now())
        .on_conflict_do_update(index_elements=["livemode", "email"], set_={"email": email})
        .returning(Consumer.__table__.c.id)
    ).scalar_one()


def last_payment_method(uow: UnitOfWork, *, consumer_id: str) -> str | None:
    """How the consumer paid last (offered first next time)."""
    return uow.session.scalar(select(Consumer.last_payment_method).where(Consumer.id == consumer_id))


def remember_payment_method(uow: UnitOfWork, *, consumer_id: str, method: str) -> None:
    """Note how the consumer just paid."""
    uow.session.execute(update(Consumer).where(Consumer.id == consumer_id).values(last_payment_method=method))


def email_of(uow: UnitOfWork, *, consumer_id: str) -> str:
    """The address a consumer is known by."""
    return uow.session.scalar(select(Consumer.email).where(Consumer.id == consumer_id))


def wants_due_notices(uow: UnitOfWork, *, email: str, livemode: bool) -> bool:
    found = uow.session.scalar(select(Consumer.due_notices).where(Consumer.email == email, Consumer.livemode == livemode))
    return True if found is None else bool(found)


def set_due_notices(uow: UnitOfWork, *, email: str, livemode: bool, wanted: bool) -> None:
    """The consumer's choice, for every webshop at once (one e-mail address is one consumer)."""
    uow.session.execute(update(Consumer).where(Consumer.email == email, Consumer.livemode == livemode)
                        .values(due_notices=wanted))


def not_wanting_due_notices(uow: UnitOfWork, *, consumer_ids: list[str]) -> set[str]:
    if not consumer_ids:
        return set()
    return set(uow.session.scalars(select(Consumer.id).where(
        among(uow.session, Consumer.id, consumer_ids), Consumer.due_notices.is_(False))))


def livemode_of(uow: UnitOfWork, *, consumer_id: str) -> bool:
    """Whether the consumer is known from live purchases (else from test ones)."""
    return bool(uow.session.scalar(select(Consumer.livemode).where(Consumer.id == consumer_id)))
