"""Find or create the consumer behind an e-mail address."""
from __future__ import annotations

from sqlalchemy import bindparam, false, select, true, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from bnpl.consumers.models import Consumer, normalize_email
from bnpl.db import among, new_id
from bnpl.sql import Prepared
from bnpl.uow import UnitOfWork


def identify(uow: UnitOfWork, *, livemode: bool, email: str) -> tuple[str, bool]:
    """The consumer id for this address, created on first sight, and whether this call created
    it (then nothing was ever stored under it: no order, invoice or risk link). The insert
    comes first: a first order costs one statement, a known address two (PostgreSQL: one, the
    insert a CTE of the lookup). A concurrent request creating the same address makes ours wait
    on the unique index for its commit, then find its row: only one of them is told the record
    is new."""
    email = normalize_email(email)
    values = dict(id=new_id("con"), livemode=livemode, email=email, created_at=uow.now(), due_notices=True)
    if uow.session.get_bind().dialect.name == "postgresql":
        found = _CREATE_OR_FIND.first(uow.session, **values)
        if found is not None:
            return found[0], found[1]
        # None: the address was created by a request that committed after this statement began,
        # too late for its snapshot; a new statement sees it.
    elif (created := _CREATE.scalar(uow.session, **values)) is not None:
        return created, True
    return _BY_EMAIL.scalar(uow.session, livemode=livemode, email=email), False


_CREATE = Prepared(sqlite.insert(Consumer.__table__).on_conflict_do_nothing(index_elements=["livemode", "email"])
                   .returning(Consumer.__table__.c.id))
_BY_EMAIL = select(Consumer.id).where(Consumer.livemode == bindparam("livemode"), Consumer.email == bindparam("email"))


def _create_or_find() -> Prepared:
    """PostgreSQL: (id, True) for the record created, else (id, False) for the one the address
    already had; no row when that one was committed after the statement's snapshot was taken."""
    created = (postgresql.insert(Consumer.__table__).values(
        {c.name: bindparam(c.name, type_=c.type) for c in Consumer.__table__.columns
         if c.name in ("id", "livemode", "email", "created_at", "due_notices")})
        .on_conflict_do_nothing(index_elements=["livemode", "email"])
        .returning(Consumer.__table__.c.id).cte("created"))
    return Prepared(union_all(select(created.c.id, true()), _BY_EMAIL.add_columns(false())))


_CREATE_OR_FIND = _create_or_find()
_BY_EMAIL = Prepared(_BY_EMAIL)


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
