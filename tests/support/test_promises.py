"""When a question must be answered: the channel's promise counted in office hours (09:00-17:00
in Europe/Amsterdam), on working days only, skipping weekends and Dutch public holidays, across
the change to summer time. One working day is the office's day: 8 hours."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bnpl.calendar import OfficeHours

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = OfficeHours.parse("09:00-17:00")
DAY = timedelta(hours=8)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


CASES = [
    # asked (local time)       promise          answer due (local time)   why
    ("2026-12-07 10:00", DAY, "2026-12-08 10:00"),                 # Monday morning: the same time Tuesday
    ("2026-12-07 08:00", DAY, "2026-12-07 17:00"),                 # before opening: counted from 09:00
    ("2026-12-07 18:30", DAY, "2026-12-08 17:00"),                 # after closing: the whole of Tuesday
    ("2026-12-07 17:00", DAY, "2026-12-08 17:00"),                 # at closing time exactly
    ("2026-12-11 16:00", DAY, "2026-12-14 16:00"),                 # Friday 16:00: one hour, then Monday
    ("2026-12-12 11:00", DAY, "2026-12-14 17:00"),                 # Saturday: Monday's whole day
    ("2026-12-24 15:00", DAY, "2026-12-28 15:00"),                 # Christmas Friday and the weekend skipped
    ("2026-04-02 12:00", DAY, "2026-04-07 12:00"),                 # Good Friday to Easter Monday skipped
    ("2026-03-27 14:00", DAY, "2026-03-30 14:00"),                 # over the change to summer time
    ("2026-12-07 16:30", timedelta(hours=2), "2026-12-08 10:30"),  # a short promise runs into the next day
    ("2026-12-07 10:00", 3 * DAY, "2026-12-10 10:00"),             # three working days
    ("2026-12-12 11:00", timedelta(0), "2026-12-14 09:00"),        # nothing to count: the next open moment
]


@pytest.mark.parametrize("asked, promise, due", CASES)
def test_the_promise_counts_only_office_hours_on_working_days(asked, promise, due):
    answer_by = OFFICE.after(at(asked), promise, "Europe/Amsterdam")
    assert answer_by == at(due)
    assert answer_by.utcoffset() == timedelta(0)  # timestamps are UTC


@pytest.mark.parametrize("asked, promise, due", CASES)
def test_the_office_time_between_asking_and_the_promise_is_the_promise(asked, promise, due):
    assert OFFICE.open_between(at(asked), at(due), "Europe/Amsterdam") == promise
    assert OFFICE.open_between(at(due), at(asked), "Europe/Amsterdam") == -promise  # overdue: negative
