"""Record events and read them back in order."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

from sqlalchemy import bindparam, insert, literal, select, text, tuple_

from bnpl import logs
from bnpl.db import COPY_FROM, insert_rows
from bnpl.errors import InvalidInput
from bnpl.events.models import EVENT_TYPES, Event
from bnpl.sql import Prepared
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class NewEvent:
    scope: Scope
    type: str
    subject_id: str
    data: dict


# The events a transaction recorded, each with its id ("evt_42").
Recorded = list[tuple[str, NewEvent]]
# A feature that reacts to events (notifications writes the webhooks and e-mails they cause).
Subscriber = Callable[[UnitOfWork, Recorded], None]

# Called with every batch of recorded events, in the order they subscribed, inside the
# transaction of the change: what they write commits or rolls back with it. bnpl.app.wire
# subscribes the features once per process; events imports none of them.
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Call ``subscriber(uow, recorded)`` for every batch of events from now on (once, however
    often it subscribes)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def subscribers() -> tuple[Subscriber, ...]:
    return tuple(_subscribers)


# The columns an event is written with; the request's id is given, not left to the column's
# default, which a prepared statement does not compute.
_COLUMNS = ("merchant_id", "livemode", "type", "subject_id", "created_at", "data", "request_id")
# Most requests record one to a few events: one INSERT … VALUES of that many rows, compiled once
# per count and run on the driver (issue 19); more go through SQLAlchemy (insertmanyvalues,
# then COPY).
_FEW = 8


@lru_cache(maxsize=_FEW)
def _insert_events(count: int) -> Prepared:
    table = Event.__table__
    return Prepared(insert(table).values([
        {name: bindparam(f"{name}_{n}", type_=table.c[name].type) for name in _COLUMNS} for n in range(count)])
        .returning(table.c.seq))


_INSERT_EVENTS = insert(Event.__table__).returning(Event.__table__.c.seq, sort_by_parameter_order=True)


def record(uow: UnitOfWork, *, scope: Scope, type: str, subject_id: str, data: dict) -> None:
    """Write one event in the caller's transaction and hand it to the subscribers (webhooks,
    the consumer's e-mail): all commit or roll back with the change."""
    record_many(uow, [NewEvent(scope, type, subject_id, data)])


def record_many(uow: UnitOfWork, new_events: list[NewEvent]) -> None:
    if not new_events:
        return
    if not _subscribers:  # an event nobody hears would be a mail nobody sends, silently
        raise RuntimeError("No event subscribers: build services with bnpl.app.build_services or call bnpl.app.wire().")
    unknown = sorted({event.type for event in new_events} - EVENT_TYPES)
    if unknown:
        raise ValueError(f"Unknown event type(s) {', '.join(unknown)}: add them to EVENT_TYPES.")
    held = uow.session.info.get(_HELD)
    if held is not None:  # inside together(): written with the others at its end
        held.extend(new_events)
        return
    now, request_id = uow.now(), logs.request_id.get()
    # Core, not the ORM: an event is never read back in the same transaction.
    seqs = _insert(uow.session, [{
        "merchant_id": event.scope.merchant_id, "livemode": event.scope.livemode, "type": event.type,
        "subject_id": event.subject_id, "created_at": now, "data": event.data, "request_id": request_id}
        for event in new_events])
    recorded = [(f"evt_{seq}", event) for seq, event in zip(seqs, new_events)]
    for subscriber in _subscribers:
        subscriber(uow, recorded)


_HELD = "bnpl.events.held"


@contextmanager
def together(uow: UnitOfWork) -> Iterator[None]:
    """The events recorded inside are written at its end as one batch, in the order they were
    recorded: one insert, one call of each subscriber (a shipment and the invoice it issues read
    the webhook endpoints once). Nothing is written when the block raises; inside another
    together() they join the outer batch."""
    if _HELD in uow.session.info:
        yield
        return
    held = uow.session.info[_HELD] = []
    try:
        yield
    finally:
        del uow.session.info[_HELD]
    record_many(uow, held)


def _insert(session, rows: list[dict]) -> list[int]:
    """Write the events; their sequence numbers in the order given. Many on PostgreSQL (a bank
    statement's thousand payments): the numbers taken first, in order, then the rows copied in."""
    if len(rows) <= _FEW:
        # Each row's sequence number is drawn as the VALUES are read, in order: ascending in
        # the order given, whatever order RETURNING lists them in.
        return sorted(seq for (seq,) in _insert_events(len(rows)).rows(session, **{
            f"{name}_{n}": value for n, row in enumerate(rows) for name, value in row.items()}))
    if session.get_bind().dialect.name != "postgresql" or len(rows) < COPY_FROM:
        return list(session.connection().execute(_INSERT_EVENTS, rows).scalars())
    seqs = sorted(session.scalars(_NEXT_SEQS, {"n": len(rows)}))
    insert_rows(session, Event.__table__, [{"seq": seq, **row} for seq, row in zip(seqs, rows)])
    return seqs


_NEXT_SEQS = text("SELECT nextval(pg_get_serial_sequence('events', 'seq')) FROM generate_series(1, :n)")


def list_events(uow: UnitOfWork, *, scope: Scope, after: str | None, limit: int,
                type: str | None = None) -> tuple[list[Event], str | None]:
    """Events oldest first, after the cursor (an event id), for replay. Only events of
    transactions that are over are listed, in the order those committed to the log."""
    query = select(Event).where(Event.merchant_id == scope.merchant_id, Event.livemode == scope.livemode)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.where(Event.txid < _OLDEST_RUNNING)
    if after:
        seq = _seq(after)
        txid = uow.session.scalar(select(Event.txid).where(
            Event.seq == seq, Event.merchant_id == scope.merchant_id, Event.livemode == scope.livemode)) or 0
        query = query.where(tuple_(Event.txid, Event.seq) > tuple_(literal(txid), literal(seq)))
    if type:
        query = query.where(Event.type == type)
    rows = list(uow.session.scalars(query.order_by(Event.txid, Event.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


# The oldest transaction of this database that is still writing (or the next to start, if
# none is): no event older than that can still appear. Only this database's backends count,
# so a long transaction elsewhere on the cluster does not hold the feed back. backend_xid is
# 32 bits; the epoch of the snapshot's next id makes it comparable with the stored txid.
_OLDEST_RUNNING = text("""(
    SELECT coalesce(min(CASE WHEN a.xid <= s.next % 4294967296 THEN s.next / 4294967296 * 4294967296 + a.xid
                             ELSE (s.next / 4294967296 - 1) * 4294967296 + a.xid END), s.next)
    FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next) AS s
    LEFT JOIN (SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
               WHERE datname = current_database() AND backend_xid IS NOT NULL) AS a ON true
    GROUP BY s.next)""")


def _seq(cursor: str) -> int:
    digits = cursor.removeprefix("evt_")
    if not re.fullmatch(r"[0-9]{1,18}", digits):
        raise InvalidInput({"cursor": ["Not a cursor from a previous page."]})
    return int(digits)
