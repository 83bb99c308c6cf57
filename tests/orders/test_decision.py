"""The explainable acceptance decision."""
from datetime import date

import pytest

from bnpl.orders.models import age_on, decide

TODAY = date(2026, 11, 23)


def decision(**overrides):
    args = dict(total_cents=10_000, limit_cents=250_000, currency="EUR", has_overdue=False,
                birth_date=date(1990, 1, 1), today=TODAY, minimum_age=18, is_business=False)
    return decide(**{**args, **overrides})


def codes(d):
    return [r.code for r in d.reasons]


def test_accepts_with_the_checks_that_passed():
    d = decision()
    assert d.outcome == "accepted"
    assert codes(d) == ["amount_within_limit", "no_overdue_invoices", "minimum_age_met"]
    assert all(r.text for r in d.reasons)


def test_the_limit_itself_is_allowed_a_cent_more_is_not():
    assert decision(total_cents=250_000).outcome == "accepted"
    d = decision(total_cents=250_001)
    assert d.outcome == "declined" and codes(d) == ["amount_above_limit"]
    assert "EUR 2500.01" in d.reasons[0].text and "EUR 2500.00" in d.reasons[0].text


def test_declines_when_the_consumer_has_overdue_invoices():
    assert codes(decision(has_overdue=True)) == ["overdue_invoices"]


@pytest.mark.parametrize("birth_date, outcome", [
    (date(2008, 11, 23), "accepted"),   # eighteen today
    (date(2008, 11, 24), "declined"),   # eighteen tomorrow
])
def test_minimum_age_by_birth_date(birth_date, outcome):
    assert decision(birth_date=birth_date).outcome == outcome


def test_every_failed_check_is_a_reason():
    d = decision(total_cents=300_000, has_overdue=True, birth_date=date(2015, 1, 1))
    assert codes(d) == ["amount_above_limit", "overdue_invoices", "under_minimum_age"]


def test_no_age_check_without_birth_date_or_for_a_business():
    assert "minimum_age_met" not in codes(decision(birth_date=None))
    assert decision(birth_date=date(2015, 1, 1), is_business=True).outcome == "accepted"


def test_leap_day_birthdays_count_from_the_first_of_march():
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
