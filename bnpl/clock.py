"""Time comes from an injected clock: the system clock in production, a fixed one in tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime):
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = at.astimezone(timezone.utc)

    def advance(self, **delta) -> None:
        self._now += timedelta(**delta)

    def now(self) -> datetime:
        return self._now


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date of an instant in the business timezone (due dates live there)."""
    return instant.astimezone(ZoneInfo(tz)).date()

