"""Dutch collection law, as tables: WIK costs, statutory interest and the 14-day letter deadline.

Every expected value is worked out by hand in the comment next to it. None of them is computed
with the code under test.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bnpl.dunning.law import (
    BUSINESS_FLAT_CENTS,
    COMMERCIAL_INTEREST,
    STATUTORY_INTEREST,
    WIK,
    CostScale,
    RateTable,
    business_collection_costs,
    collection_costs,
    interest_cents,
    letter_deadline,
    receipt_date,
)

D = date.fromisoformat


# --- WIK collection costs -------------------------------------------------------------------------

@pytest.mark.parametrize("principal, costs", [
    pytest.param(0, 0, id="nothing owed: no costs"),
    pytest.param(-500, 0, id="a credit: no costs"),
    pytest.param(1, 4_000, id="1 cent: the EUR 40 minimum"),
    pytest.param(26_666, 4_000, id="266.66: 15% is 39.999, minimum 40.00"),
    pytest.param(26_667, 4_000, id="266.67: 15% is 40.0005, rounds to 40.00"),
    pytest.param(26_670, 4_001, id="266.70: 15% is 40.005, half a cent rounds up"),
    pytest.param(26_700, 4_005, id="267.00: 15% is 40.05"),
    pytest.param(100_000, 15_000, id="1,000.00: 15% is 150.00"),
    pytest.param(250_000, 37_500, id="2,500.00: 15% of the first band, 375.00"),
    pytest.param(250_001, 37_500, id="2,500.01: 375 + 10% of 0.01 is 375.001"),
    pytest.param(250_005, 37_501, id="2,500.05: 375 + 0.005, half a cent rounds up"),
    pytest.param(500_000, 62_500, id="5,000.00: 375 + 250, 625.00"),
    pytest.param(1_000_000, 87_500, id="10,000.00: 625 + 5% of 5,000, 875.00"),
    pytest.param(20_000_000, 277_500, id="200,000.00: 875 + 1% of 190,000, 2,775.00"),
    pytest.param(20_000_001, 277_500, id="200,000.01: 2,775 + 0.5% of 0.01"),
    pytest.param(100_000_000, 677_500, id="1,000,000.00: 2,775 + 0.5% of 800,000 hits the cap"),
    pytest.param(100_000_001, 677_500, id="1,000,000.01: capped at 6,775.00"),
    pytest.param(500_000_000, 677_500, id="5,000,000.00: capped at 6,775.00"),
])
def test_wik_collection_costs(principal, costs):
    assert collection_costs(principal) == costs


@pytest.mark.parametrize("principal, costs", [
    pytest.param(0, 0, id="nothing owed"),
    pytest.param(-1, 0, id="a credit"),
    pytest.param(1, 4_000, id="1 cent"),
    pytest.param(100_000_000, 4_000, id="1,000,000.00: still flat"),
])
def test_business_debtor_owes_a_flat_40_euros(principal, costs):
    assert business_collection_costs(principal) == costs
    assert BUSINESS_FLAT_CENTS == 4_000


MERCHANT_SCALE = CostScale(bands=((None, 1_000),), minimum_cents=500, maximum_cents=10_000)


@pytest.mark.parametrize("principal, costs", [
    pytest.param(1_000, 500, id="10.00: 10% is 1.00, minimum 5.00"),
    pytest.param(20_000, 2_000, id="200.00: 10% is 20.00"),
    pytest.param(500_000, 10_000, id="5,000.00: 10% is 500.00, capped at 100.00"),
])
def test_a_merchant_scale_replaces_the_default(principal, costs):
    assert collection_costs(principal, MERCHANT_SCALE) == costs


WIK_AS_JSON = {
    "bands": [
        {"up_to_cents": 250_000, "rate_bp": 1_500},
        {"up_to_cents": 500_000, "rate_bp": 1_000},
        {"up_to_cents": 1_000_000, "rate_bp": 500},
        {"up_to_cents": 20_000_000, "rate_bp": 100},
        {"up_to_cents": None, "rate_bp": 50},
    ],
    "minimum_cents": 4_000,
    "maximum_cents": 677_500,
}


def test_a_scale_is_stored_as_plain_json_and_read_back():
    assert WIK.to_dict() == WIK_AS_JSON
    assert CostScale.from_dict(json.loads(json.dumps(WIK.to_dict()))) == WIK


def _wik_json(**changes):
    data = json.loads(json.dumps(WIK_AS_JSON))
    data.update(changes)
    return data


@pytest.mark.parametrize("data", [
    pytest.param({}, id="empty"),
    pytest.param(_wik_json(bands=[]), id="no bands"),
    pytest.param(_wik_json(minimum_cents=40.0), id="a float amount"),
    pytest.param(_wik_json(maximum_cents="6775"), id="a string amount"),
    pytest.param(_wik_json(minimum_cents=True), id="a boolean amount"),
    pytest.param(_wik_json(minimum_cents=700_000), id="minimum above maximum"),
    pytest.param(_wik_json(minimum_cents=-1), id="negative minimum"),
    pytest.param(_wik_json(bands=[{"up_to_cents": 100, "rate_bp": 10}]), id="last band closed"),
    pytest.param(_wik_json(bands=[{"up_to_cents": None, "rate_bp": 10},
                                  {"up_to_cents": None, "rate_bp": 5}]), id="two open bands"),
    pytest.param(_wik_json(bands=[{"up_to_cents": 500, "rate_bp": 10},
                                  {"up_to_cents": 500, "rate_bp": 5},
                                  {"up_to_cents": None, "rate_bp": 1}]), id="bounds not ascending"),
    pytest.param(_wik_json(bands=[{"up_to_cents": None, "rate_bp": -1}]), id="negative rate"),
    pytest.param(_wik_json(bands=[{"up_to_cents": None}]), id="rate missing"),
])
def test_an_invalid_stored_scale_is_refused(data):
    with pytest.raises(ValueError):
        CostScale.from_dict(data)


@given(st.integers(min_value=1, max_value=10**10), st.integers(min_value=0, max_value=10**10))
def test_wik_never_falls_as_the_principal_grows_and_stays_within_floor_and_cap(principal, more):
    costs = collection_costs(principal)
    assert 4_000 <= costs <= 677_500
    assert collection_costs(principal + more) >= costs


@given(st.integers(max_value=0))
def test_wik_is_zero_without_a_principal(principal):
    assert collection_costs(principal) == 0


# --- Rate tables ----------------------------------------------------------------------------------

@pytest.mark.parametrize("table, day, rate_bp", [
    pytest.param(STATUTORY_INTEREST, "2022-12-31", 200, id="consumer: 2% until end 2022"),
    pytest.param(STATUTORY_INTEREST, "2023-01-01", 400, id="consumer: 4% from 2023-01-01"),
    pytest.param(STATUTORY_INTEREST, "2023-06-30", 400, id="consumer: 4% on 2023-06-30"),
    pytest.param(STATUTORY_INTEREST, "2023-07-01", 600, id="consumer: 6% from 2023-07-01"),
    pytest.param(STATUTORY_INTEREST, "2023-12-31", 600, id="consumer: 6% on 2023-12-31"),
    pytest.param(STATUTORY_INTEREST, "2024-01-01", 700, id="consumer: 7% from 2024-01-01"),
    pytest.param(STATUTORY_INTEREST, "2024-12-31", 700, id="consumer: 7% on 2024-12-31"),
    pytest.param(STATUTORY_INTEREST, "2025-01-01", 600, id="consumer: 6% from 2025-01-01"),
    pytest.param(STATUTORY_INTEREST, "2025-12-31", 600, id="consumer: 6% on 2025-12-31"),
    pytest.param(STATUTORY_INTEREST, "2026-01-01", 400, id="consumer: 4% from 2026-01-01"),
    pytest.param(STATUTORY_INTEREST, "2026-12-31", 400, id="consumer: 4% on 2026-12-31"),
    pytest.param(COMMERCIAL_INTEREST, "2022-12-31", 800, id="business: 8% until end 2022"),
    pytest.param(COMMERCIAL_INTEREST, "2023-01-01", 1050, id="business: 10.5% from 2023-01-01"),
    pytest.param(COMMERCIAL_INTEREST, "2023-06-30", 1050, id="business: 10.5% on 2023-06-30"),
    pytest.param(COMMERCIAL_INTEREST, "2023-07-01", 1200, id="business: 12% from 2023-07-01"),
    pytest.param(COMMERCIAL_INTEREST, "2024-01-01", 1250, id="business: 12.5% from 2024-01-01"),
    pytest.param(COMMERCIAL_INTEREST, "2024-06-30", 1250, id="business: 12.5% on 2024-06-30"),
    pytest.param(COMMERCIAL_INTEREST, "2024-07-01", 1225, id="business: 12.25% from 2024-07-01"),
    pytest.param(COMMERCIAL_INTEREST, "2024-12-31", 1225, id="business: 12.25% on 2024-12-31"),
    pytest.param(COMMERCIAL_INTEREST, "2025-01-01", 1115, id="business: 11.15% from 2025-01-01"),
    pytest.param(COMMERCIAL_INTEREST, "2025-06-30", 1115, id="business: 11.15% on 2025-06-30"),
    pytest.param(COMMERCIAL_INTEREST, "2025-07-01", 1015, id="business: 10.15% from 2025-07-01"),
    pytest.param(COMMERCIAL_INTEREST, "2026-12-31", 1015, id="business: 10.15% on 2026-12-31"),
])
def test_the_rate_in_force_on_a_day(table, day, rate_bp):
    assert table.rate_on(D(day)) == rate_bp


@pytest.mark.parametrize("table, day", [
    pytest.param(STATUTORY_INTEREST, "2014-12-31", id="consumer table starts 2015-01-01"),
    pytest.param(COMMERCIAL_INTEREST, "2021-12-31", id="business table starts 2022-01-01"),
])
def test_no_rate_before_the_table_starts(table, day):
    with pytest.raises(ValueError):
        table.rate_on(D(day))


@pytest.mark.parametrize("entries", [
    pytest.param((), id="empty"),
    pytest.param(((D("2024-01-01"), 700), (D("2023-01-01"), 400)), id="out of order"),
    pytest.param(((D("2023-01-01"), 400), (D("2023-01-01"), 600)), id="same date twice"),
    pytest.param(((D("2023-01-01"), -1),), id="negative rate"),
    pytest.param(((D("2023-01-01"), 4.0),), id="float rate"),
])
def test_an_invalid_rate_table_is_refused(entries):
    with pytest.raises(ValueError):
        RateTable(entries)


# --- Statutory interest ---------------------------------------------------------------------------

FLAT_4 = RateTable(((D("2000-01-01"), 400),))
FLAT_10 = RateTable(((D("2000-01-01"), 1_000),))


@pytest.mark.parametrize("principal, start, end, table, interest", [
    pytest.param(100_000, "2022-12-31", "2023-12-31", FLAT_4, 4_000,
                 id="1,000 at 4% for the 365 days of 2023: 40.00"),
    pytest.param(100_000, "2023-03-01", "2023-03-31", FLAT_4, 329,
                 id="1,000 at 4% for 30 days: 40 x 30/365 = 3.2877"),
    pytest.param(100_000, "2023-06-15", "2023-07-15", STATUTORY_INTEREST, 411,
                 id="across 2023-07-01: 15 days at 4% (1.6438) + 15 at 6% (2.4658) = 4.1096"),
    pytest.param(366_000, "2024-02-27", "2024-03-01", FLAT_10, 300,
                 id="over 29 Feb 2024: 3 days x 36.60/366 = 3.00"),
    pytest.param(100_000, "2023-12-31", "2024-12-31", FLAT_4, 4_000,
                 id="all 366 days of leap year 2024 at 4%: 40.00"),
    pytest.param(133_590, "2023-12-30", "2024-01-02", FLAT_10, 110,
                 id="into a leap year: 133.59/365 + 2 x 133.59/366 = 0.366 + 0.73 = 1.096"),
    pytest.param(100_000, "2022-12-31", "2024-12-31", FLAT_10, 21_000,
                 id="two years at 10% compounded: 100 + 10% of 1,100 = 210.00"),
    pytest.param(100_000, "2022-12-31", "2025-01-31", FLAT_10, 22_028,
                 id="two years compounded then 31 days on 1,210: 210 + 10.2767"),
    pytest.param(100_000, "2023-12-31", "2025-12-31", STATUTORY_INTEREST, 13_420,
                 id="2024 at 7% (70.00), then 6% on 1,070.00 in 2025 (64.20) = 134.20"),
    pytest.param(100_000, "2024-02-29", "2025-03-02", FLAT_10, 10_035,
                 id="year from 29 Feb ends 1 Mar: 100.0449 + a day on 1,100.0449 = 100.3463"),
    pytest.param(100_000, "2023-07-15", "2023-07-15", FLAT_10, 0, id="end on start: no interest"),
    pytest.param(100_000, "2023-07-15", "2023-07-01", FLAT_10, 0, id="end before start: none"),
    pytest.param(0, "2023-01-01", "2023-12-31", FLAT_10, 0, id="no principal: none"),
])
def test_statutory_interest(principal, start, end, table, interest):
    assert interest_cents(principal, D(start), D(end), table) == interest


def test_interest_asks_the_table_for_every_day_it_counts():
    with pytest.raises(ValueError):
        interest_cents(100_000, D("2014-12-30"), D("2015-01-31"), STATUTORY_INTEREST)


# --- Receipt and the 14-day letter ----------------------------------------------------------------

@pytest.mark.parametrize("sent_on, channel, received", [
    pytest.param("2026-03-02", "email", "2026-03-03", id="email Monday: received Tuesday"),
    pytest.param("2026-03-02", "post", "2026-03-04", id="post Monday: received Wednesday"),
    pytest.param("2026-12-31", "email", "2027-01-01", id="email on New Year's Eve"),
])
def test_receipt_date(sent_on, channel, received):
    assert receipt_date(D(sent_on), channel) == D(received)


@pytest.mark.parametrize("channel", ["fax", "", "Email", "sms"])
def test_an_unknown_channel_is_refused(channel):
    with pytest.raises(ValueError):
        receipt_date(D("2026-03-02"), channel)
    with pytest.raises(ValueError):
        letter_deadline(D("2026-03-02"), channel)


@pytest.mark.parametrize("sent_on, channel, deadline", [
    pytest.param("2026-03-02", "email", "2026-03-17",
                 id="email Mon 2 Mar, received Tue 3 Mar: Tue 17 Mar"),
    pytest.param("2026-03-02", "post", "2026-03-18",
                 id="post Mon 2 Mar, received Wed 4 Mar: Wed 18 Mar"),
    pytest.param("2026-03-06", "email", "2026-03-23",
                 id="received Sat 7 Mar, Sat 21 Mar moves to Mon 23 Mar"),
    pytest.param("2026-03-07", "email", "2026-03-23",
                 id="received Sun 8 Mar, Sun 22 Mar moves to Mon 23 Mar"),
    pytest.param("2026-03-05", "post", "2026-03-23",
                 id="post Thu 5 Mar, received Sat 7 Mar, Sat 21 Mar moves to Mon 23 Mar"),
    pytest.param("2026-04-12", "email", "2026-04-28",
                 id="received Mon 13 Apr, Koningsdag Mon 27 Apr moves to Tue 28 Apr"),
    pytest.param("2026-04-20", "email", "2026-05-06",
                 id="received Tue 21 Apr, Bevrijdingsdag Tue 5 May moves to Wed 6 May"),
    pytest.param("2025-12-11", "email", "2025-12-29",
                 id="received Fri 12 Dec, Tweede Kerstdag Fri 26 Dec moves to Mon 29 Dec"),
    pytest.param("2026-12-10", "email", "2026-12-28",
                 id="received Fri 11 Dec, Christmas Fri 25, 2nd Christmas Sat 26: Mon 28 Dec"),
    pytest.param("2026-12-10", "post", "2026-12-28",
                 id="post Thu 10 Dec, received Sat 12 Dec, Sat 26 Dec moves to Mon 28 Dec"),
    pytest.param("2026-12-17", "email", "2027-01-04",
                 id="received Fri 18 Dec, New Year Fri 1 Jan 2027 moves to Mon 4 Jan"),
    pytest.param("2027-03-11", "email", "2027-03-30",
                 id="received Fri 12 Mar, Good Friday 26 Mar, Easter Monday 29: Tue 30 Mar"),
    pytest.param("2027-03-14", "email", "2027-03-30",
                 id="received Mon 15 Mar, Easter Monday 29 Mar 2027 moves to Tue 30 Mar"),
    pytest.param("2027-05-02", "email", "2027-05-18",
                 id="received Mon 3 May, Whit Monday 17 May 2027 moves to Tue 18 May"),
])
def test_letter_deadline(sent_on, channel, deadline):
    assert letter_deadline(D(sent_on), channel) == D(deadline)
