"""Working days, Dutch public holidays and office hours: the calendar every deadline counts in.

Dunning (the 14-day letter), disputes (the webshop's days to answer) and support (promised
answer times) all count working days the same way, so the rules live here once. Pure
functions: nothing reads a clock; every date is passed in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
SATURDAY, SUNDAY = 5, 6


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The public holidays of the Algemene termijnenwet in a year (art. 3 lid 1, plus Good
    Friday under art. 3 lid 2).

    Not included: the extra days that a royal decree under art. 3 lid 3 declares equal to a holiday
    for a few years at a time (such as the Friday after Ascension Day). They are not known in
    advance and cannot be worked out. King's Day follows the rule in force since 2014.
    """
    easter = easter_sunday(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == SUNDAY:
        kings_day = date(year, 4, 26)  # Besluit: celebrated on the 26th when the 27th is a Sunday
    return frozenset({
        date(year, 1, 1),               # Nieuwjaarsdag
        easter - timedelta(days=2),     # Goede Vrijdag (art. 3 lid 2 Atw)
        easter + timedelta(days=1),     # Tweede Paasdag
        kings_day,                      # Koningsdag
        date(year, 5, 5),               # Bevrijdingsdag ("de vijfde mei")
        easter + timedelta(days=39),    # Hemelvaartsdag
        easter + timedelta(days=50),    # Tweede Pinksterdag
        date(year, 12, 25),             # Eerste Kerstdag
        date(year, 12, 26),             # Tweede Kerstdag
    })


def is_working_day(day: date) -> bool:
    """True unless ``day`` is a Saturday, a Sunday or an Atw public holiday."""
    return day.weekday() < SATURDAY and day not in public_holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day on or after ``day``."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself for 0)."""
    for _ in range(count):
        day = next_working_day(day + ONE_DAY)
    return day


def working_days_between(earlier: date, later: date) -> int:
    """Working days after ``earlier`` up to and including ``later``; 0 when later <= earlier."""
    count, day = 0, earlier + ONE_DAY
    while day <= later:
        count += is_working_day(day)
        day += ONE_DAY
    return count


@dataclass(frozen=True)
class OfficeHours:
    """When people answer, on working days, in the business timezone ("09:00-17:00")."""

    opens: time
    closes: time

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Read "HH:MM-HH:MM"; ValueError when it is not that or closes before it opens."""
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"office hours look like 09:00-17:00, got {text!r}") from None
        if closes <= opens:
            raise ValueError(f"office hours must close after they open, got {text!r}")
        return cls(opens, closes)

    def after(self, instant: datetime, span: timedelta, timezone: str) -> datetime:
        """The (UTC) moment when ``span`` of office time has passed since ``instant``: time
        counts only between the hours on working days, on the office's wall clock."""
        zone = ZoneInfo(timezone)
        start = instant.astimezone(zone).replace(tzinfo=None)
        day, left = start.date(), span
        while True:
            if is_working_day(day):
                begin = max(start, datetime.combine(day, self.opens))
                closes = datetime.combine(day, self.closes)
                if begin < closes:
                    if left <= closes - begin:
                        return (begin + left).replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
                    left -= closes - begin
            day += ONE_DAY
            start = datetime.combine(day, time.min)

    def open_between(self, start: datetime, end: datetime, timezone: str) -> timedelta:
        """How much office time lies between two (aware) instants; negative when end is earlier."""
        if end < start:
            return -self.open_between(end, start, timezone)
        zone = ZoneInfo(timezone)
        first, last = (moment.astimezone(zone).replace(tzinfo=None) for moment in (start, end))
        total, day = timedelta(0), first.date()
        while day <= last.date():
            if is_working_day(day):
                begin = max(first, datetime.combine(day, self.opens))
                total += max(timedelta(0), min(last, datetime.combine(day, self.closes)) - begin)
            day += ONE_DAY
        return total

    def are_open(self, instant: datetime, timezone: str) -> bool:
        """Whether someone answers at this (aware) instant: a working day, between the hours."""
        local = instant.astimezone(ZoneInfo(timezone))
        return is_working_day(local.date()) and self.opens <= local.time() < self.closes
