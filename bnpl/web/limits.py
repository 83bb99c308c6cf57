"""Rate limits (the portal's sign-in, the support desk's caller lookups): each try is counted
and recorded by one statement that also says whether it may go ahead, so parallel tries
cannot all read the same count and slip past a limit together.

A limit gives ``free`` tries; the try that uses the last of them starts a wait of
``first_wait``, which doubles after every further try let through, up to ``longest_wait``.
A key left alone for ``forget_after`` (counted from its first try) starts over. With
``first_wait == longest_wait == forget_after`` this is a plain "n per window" limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, or_

from bnpl.db import upsert
from bnpl.web.models import Throttle
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class Limit:
    free: int
    first_wait: timedelta
    longest_wait: timedelta
    forget_after: timedelta


def per_window(tries: int, window: timedelta) -> Limit:
    return Limit(free=tries, first_wait=window, longest_wait=window, forget_after=window)


def take(uow: UnitOfWork, key: str, limit: Limit) -> int:
    """Count one try of ``key``: 0 if it may go ahead, else the seconds until it may."""
    now = int(uow.now().timestamp())
    row = Throttle.__table__.c
    first, longest = _seconds(limit.first_wait), _seconds(limit.longest_wait)
    fresh = row.started_at <= now - _seconds(limit.forget_after)  # in SET, columns are the row as it was
    allowed = or_(fresh, row.tries < limit.free, row.next_try_at <= now)
    tries = case((fresh, 1), else_=row.tries + 1)
    wait = case((tries < limit.free, 0), (or_(fresh, row.wait_seconds == 0), first),
                (row.wait_seconds * 2 > longest, longest), else_=row.wait_seconds * 2)
    first_wait = 0 if limit.free > 1 else first
    statement = (upsert(uow.session, Throttle.__table__)
                 .values(key=key[:300], tries=1, started_at=now, wait_seconds=first_wait,
                         next_try_at=now + first_wait, granted=True)
                 .on_conflict_do_update(index_elements=[row.key], set_={
                     "granted": allowed, "tries": tries, "started_at": case((fresh, now), else_=row.started_at),
                     "wait_seconds": case((allowed, wait), else_=row.wait_seconds),
                     "next_try_at": case((allowed, now + wait), else_=row.next_try_at)})
                 .returning(row.granted, row.next_try_at))
    granted, next_try_at = uow.session.execute(statement).one()
    return 0 if granted else max(1, next_try_at - now)


def forget(uow: UnitOfWork, key: str) -> None:
    """Start the key over (its owner got in)."""
    uow.session.execute(delete(Throttle).where(Throttle.key == key[:300]))


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())


def forget_stale(uow: UnitOfWork, *, older_than: timedelta) -> int:
    """Delete keys whose tries started longer ago than ``older_than`` and that make nobody
    wait: they would start over at their next try anyway. Returns how many."""
    now = int(uow.now().timestamp())
    return uow.session.execute(delete(Throttle).where(Throttle.started_at <= now - _seconds(older_than),
                                                      Throttle.next_try_at <= now)).rowcount
