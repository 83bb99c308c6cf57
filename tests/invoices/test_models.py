"""Due dates are calendar dates in Europe/Amsterdam; numbers and RF references; the status."""
from datetime import date, datetime, timezone

import pytest
from stdnum import iso11649

from bnpl.clock import local_date
from bnpl.invoices.models import Invoice, due_date, format_number, rf_reference, status_of

AMS = "Europe/Amsterdam"


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("instant, expected", [
    (utc(2026, 3, 28, 23, 30), date(2026, 3, 29)),   # CET: +1, the night DST starts
    (utc(2026, 3, 29, 22, 30), date(2026, 3, 30)),   # CEST: +2, right after the change
    (utc(2026, 3, 29, 21, 59), date(2026, 3, 29)),
    (utc(2026, 10, 24, 22, 30), date(2026, 10, 25)),  # CEST, the night DST ends
    (utc(2026, 10, 25, 22, 30), date(2026, 10, 25)),  # CET again: 23:30 local
    (utc(2026, 12, 31, 23, 30), date(2027, 1, 1)),   # a UTC year end is a local new year
])
def test_the_calendar_day_is_the_one_in_amsterdam(instant, expected):
    assert local_date(instant, AMS) == expected


@pytest.mark.parametrize("shipped, delivered, expected", [
    (date(2026, 11, 23), None, date(2026, 12, 9)),             # ship + 2 transit + 14
    (date(2026, 11, 23), date(2026, 11, 24), date(2026, 12, 8)),
    (date(2026, 12, 20), date(2026, 12, 22), date(2027, 1, 5)),  # over the year end
    (date(2027, 2, 10), date(2027, 2, 14), date(2027, 2, 28)),   # February, no leap year
    (date(2028, 2, 10), date(2028, 2, 15), date(2028, 2, 29)),   # leap day
    (date(2026, 1, 30), None, date(2026, 2, 15)),                # over a month end
    (date(2026, 10, 20), date(2026, 10, 25), date(2026, 11, 8)),  # DST ends in the term
])
def test_due_date_is_delivery_or_ship_plus_transit_plus_term(shipped, delivered, expected):
    assert due_date(shipped_on=shipped, delivered_on=delivered, transit_days=2, term_days=14) == expected


def test_a_delivery_moves_the_due_date_later_never_earlier():
    invoice = Invoice(due_date=date(2026, 12, 9), term_days=14)
    assert invoice.move_due_date_for_delivery(date(2026, 11, 30)) is True
    assert invoice.due_date == date(2026, 12, 14)
    assert invoice.move_due_date_for_delivery(date(2026, 11, 24)) is False
    assert invoice.due_date == date(2026, 12, 14)


def test_numbers_are_per_year_with_six_digits_and_test_mode_is_marked():
    assert format_number(True, 2026, 1) == "2026-000001"
    assert format_number(True, 2027, 123456) == "2027-123456"
    assert format_number(False, 2026, 7) == "TEST-2026-000007"


@pytest.mark.parametrize("number", ["2026-000001", "2026-999999", "TEST-2026-000042"])
def test_payment_reference_is_a_valid_iso_11649_reference(number):
    reference = rf_reference(number)
    assert iso11649.is_valid(reference)
    assert reference.startswith("RF")
    assert reference[4:] == number.replace("-", "")


def test_payment_references_of_neighbouring_numbers_differ_in_check_digits():
    assert rf_reference("2026-000001")[2:4] != rf_reference("2026-000002")[2:4]


# The one place an invoice's status comes from: derive_status (entries) and the ledger's bulk
# booking of payments (cached figures) both ask status_of.
@pytest.mark.parametrize("fully_credited, owed, paused, status", [
    (True, 0, False, "credited"),
    (True, -500, True, "credited"),  # paid and then credited in full: a refund is owed, still credited
    (False, 0, True, "paid"),  # paid in full while a return was announced: nothing is left to wait for
    (False, -1, False, "paid"),
    (False, 1, True, "paused"),
    (False, 1, False, "open"),
])
def test_status_of(fully_credited, owed, paused, status):
    assert status_of(fully_credited=fully_credited, owed_cents=owed, paused=paused) == status
