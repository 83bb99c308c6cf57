"""The working-day calendar every deadline counts in: Easter, the Dutch public holidays of the
Algemene termijnenwet, working days and office hours.

Every expected date is looked up in a calendar by hand; none is computed with the code under test.
"""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bnpl.calendar import (
    OfficeHours,
    easter_sunday,
    is_working_day,
    next_working_day,
    public_holidays,
    working_days_after,
    working_days_between,
)

D = date.fromisoformat


# --- Working days ---------------------------------------------------------------------------------

@pytest.mark.parametrize("year, easter", [
    pytest.param(2024, "2024-03-31", id="2024"),
    pytest.param(2025, "2025-04-20", id="2025"),
    pytest.param(2026, "2026-04-05", id="2026"),
    pytest.param(2027, "2027-03-28", id="2027"),
    pytest.param(2038, "2038-04-25", id="2038: latest possible date"),
    pytest.param(2285, "2285-03-22", id="2285: earliest possible date"),
])
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == D(easter)


def test_public_holidays_of_2026():
    assert public_holidays(2026) == {
        D("2026-01-01"),  # Nieuwjaarsdag
        D("2026-04-03"),  # Goede Vrijdag (Easter is 5 April)
        D("2026-04-06"),  # Tweede Paasdag
        D("2026-04-27"),  # Koningsdag
        D("2026-05-05"),  # Bevrijdingsdag
        D("2026-05-14"),  # Hemelvaartsdag (Easter + 39)
        D("2026-05-25"),  # Tweede Pinksterdag (Easter + 50)
        D("2026-12-25"),  # Eerste Kerstdag
        D("2026-12-26"),  # Tweede Kerstdag
    }


def test_kings_day_moves_to_the_26th_when_the_27th_is_a_sunday():
    assert D("2025-04-26") in public_holidays(2025)  # 27 April 2025 is a Sunday
    assert D("2025-04-27") not in public_holidays(2025)


@pytest.mark.parametrize("day, working", [
    pytest.param("2026-03-02", True, id="an ordinary Monday"),
    pytest.param("2026-03-06", True, id="an ordinary Friday"),
    pytest.param("2026-03-07", False, id="Saturday"),
    pytest.param("2026-03-08", False, id="Sunday"),
    pytest.param("2026-04-27", False, id="Koningsdag on a Monday"),
    pytest.param("2027-03-26", False, id="Good Friday"),
    pytest.param("2026-12-24", True, id="Christmas Eve is a working day"),
    pytest.param("2026-12-31", True, id="New Year's Eve is a working day"),
])
def test_is_working_day(day, working):
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize("day, next_day", [
    pytest.param("2026-03-02", "2026-03-02", id="a working day is its own answer"),
    pytest.param("2026-03-07", "2026-03-09", id="Saturday: Monday"),
    pytest.param("2027-03-26", "2027-03-30", id="Good Friday: Tuesday after Easter Monday"),
    pytest.param("2025-12-25", "2025-12-29", id="Christmas Thursday: Monday 29 December"),
])
def test_next_working_day(day, next_day):
    assert next_working_day(D(day)) == D(next_day)


@pytest.mark.parametrize("earlier, later, count", [
    pytest.param("2026-03-06", "2026-03-09", 1, id="Fri to Mon over a weekend: Monday only"),
    pytest.param("2026-03-02", "2026-03-09", 5, id="Mon to next Mon: Tue to Fri and Mon"),
    pytest.param("2026-04-24", "2026-04-28", 1, id="Fri to Tue over Koningsdag: Tuesday only"),
    pytest.param("2027-03-25", "2027-03-30", 1, id="Thu to Tue over Easter 2027: Tuesday only"),
    pytest.param("2025-12-23", "2025-12-31", 4, id="over Christmas 2025: 24, 29, 30, 31 Dec"),
    pytest.param("2026-03-02", "2026-03-02", 0, id="same day: none"),
    pytest.param("2026-03-09", "2026-03-02", 0, id="later before earlier: none"),
])
def test_working_days_between(earlier, later, count):
    assert working_days_between(D(earlier), D(later)) == count


@pytest.mark.parametrize("day, count, answer", [
    pytest.param("2026-11-20", 0, "2026-11-20", id="no days: the day itself"),
    pytest.param("2026-11-20", 1, "2026-11-23", id="Friday + 1: Monday"),
    pytest.param("2026-11-18", 5, "2026-11-25", id="Wednesday + 5: next Wednesday"),
    pytest.param("2026-12-22", 5, "2026-12-30", id="over Christmas 2026: 23, 24, 28, 29, 30 Dec"),
    pytest.param("2026-04-24", 1, "2026-04-28", id="Friday + 1 over Koningsdag: Tuesday"),
])
def test_working_days_after(day, count, answer):
    assert working_days_after(D(day), count) == D(answer)


def test_office_hours_are_read_from_configuration_text():
    assert OfficeHours.parse("09:00-17:00") == OfficeHours(time(9), time(17))
    assert OfficeHours.parse(" 08:30 - 18:00 ") == OfficeHours(time(8, 30), time(18))


@pytest.mark.parametrize("text", ["9 to 5", "17:00-09:00", "09:00", "09:00-09:00", ""])
def test_office_hours_that_make_no_sense_are_refused(text):
    with pytest.raises(ValueError):
        OfficeHours.parse(text)


@pytest.mark.parametrize("instant, open_", [
    pytest.param("2026-03-02T08:00:00+00:00", True, id="Monday 09:00 in Amsterdam (winter time): open"),
    pytest.param("2026-03-02T07:59:00+00:00", False, id="Monday 08:59 in Amsterdam: not yet"),
    pytest.param("2026-03-02T16:00:00+00:00", False, id="Monday 17:00 in Amsterdam: closed"),
    pytest.param("2026-06-01T14:30:00+00:00", True, id="Monday 16:30 in Amsterdam (summer time): open"),
    pytest.param("2026-06-01T15:30:00+00:00", False, id="Monday 17:30 in Amsterdam (summer time): closed"),
    pytest.param("2026-03-07T10:00:00+00:00", False, id="Saturday: closed"),
    pytest.param("2026-04-27T10:00:00+00:00", False, id="Koningsdag: closed"),
])
def test_office_hours_are_open_on_working_days_between_the_hours(instant, open_):
    hours = OfficeHours(time(9), time(17))
    assert hours.are_open(datetime.fromisoformat(instant), "Europe/Amsterdam") is open_
