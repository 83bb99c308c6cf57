"""Dispute statistics per webshop: the rate per 100 invoices issued (an exact decimal string),
outcomes, the median time to the webshop's first answer and missed deadlines; through the API
for a merchant's own cases, and for staff over every webshop (service.statistics)."""
from datetime import date

import pytest

from bnpl.disputes import service
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import act, open_case
from tests.disputes.support import TODAY, bulk_invoices, decide, many_invoices, respond

STATS = "/dispute-statistics"


def stats(api, query: str = "") -> dict:
    r = api.get(STATS + query)
    assert r.status_code == 200, r.json
    return r.json


def test_one_dispute_in_three_invoices_is_a_rate_of_33_33(api, services):
    first, *_ = many_invoices(services, api.merchant_id, 3)
    open_case(services, first)
    body = stats(api)
    assert (body["invoices"], body["disputes"], body["dispute_rate"]) == (3, 1, "33.33")
    assert (body["merchant_id"], body["merchant_name"]) == (api.merchant_id, "Fietsenwinkel Utrecht")
    assert (body["since"], body["until"]) == ("2026-08-26", "2026-11-23")  # the last 90 days by default
    assert (body["outcomes"], body["running"], body["missed_deadlines"], body["median_response_hours"]) == (
        {}, 1, 0, None)


@pytest.mark.parametrize("invoices, disputes, rate", [(3, 2, "66.67"), (6, 1, "16.67"), (1, 1, "100.00"),
                                                      (8, 1, "12.50")])
def test_the_rate_is_rounded_to_two_decimals(invoices, disputes, rate):
    figures = service.MerchantStatistics(merchant_id="mer_x", merchant_name="X", since=TODAY, until=TODAY,
                                         invoices=invoices, disputes=disputes, outcomes={}, running=0,
                                         missed_deadlines=0, median_response_hours=None)
    assert figures.dispute_rate == rate


def test_no_invoices_is_a_rate_of_zero_not_an_error(api):
    body = stats(api)
    assert (body["invoices"], body["disputes"], body["dispute_rate"]) == (0, 0, "0.00")


@pytest.fixture
def worked(api, other_api, services, clock):
    """Six invoices, four cases: accepted after 5 hours, rejected after 10 and decided for the
    webshop, a partial credit after 30 hours, and one the webshop let run out (under EUR 50:
    decided for the consumer). The other webshop has one case of its own, unanswered."""
    ids = many_invoices(services, api.merchant_id, 6)
    accepted, rejected, partial, missed = (open_case(services, invoice_id) for invoice_id in ids[:4])
    open_case(services, many_invoices(services, other_api.merchant_id, 1)[0])
    clock.advance(hours=5)
    assert respond(api, accepted, "accept").status_code == 201
    clock.advance(hours=5)
    assert respond(api, rejected, "reject").status_code == 201
    clock.advance(hours=20)
    assert respond(api, partial, "partial_credit", amount=500).status_code == 201
    decide(services, rejected, "merchant")
    clock.advance(days=14)
    with unit_of_work(services) as uow:
        handled = service.check_deadlines(uow)
    assert len(handled) == 2  # this webshop's and the other's unanswered case
    return accepted, rejected, partial, missed


def test_outcomes_response_times_and_missed_deadlines(api, worked):
    body = stats(api)
    assert (body["invoices"], body["disputes"], body["dispute_rate"]) == (6, 4, "66.67")
    assert body["outcomes"] == {"consumer": 2, "merchant": 1, "partial": 1}
    assert body["running"] == 0
    assert body["median_response_hours"] == 10.0  # of 5, 10 and 30; the case left unanswered has none
    assert body["missed_deadlines"] == 1


def test_the_merchant_sees_only_its_own_figures(api, other_api, worked):
    theirs = stats(other_api)
    assert (theirs["merchant_id"], theirs["invoices"], theirs["disputes"], theirs["dispute_rate"]) == (
        other_api.merchant_id, 1, 1, "100.00")
    assert (theirs["outcomes"], theirs["missed_deadlines"], theirs["median_response_hours"]) == (
        {"consumer": 1}, 1, None)


def test_staff_see_every_webshop(api, other_api, services, worked):
    rows = act(services, service.statistics, since=date(2026, 11, 1), until=date(2026, 12, 31))
    by_shop = {row.merchant_name: row for row in rows}
    assert set(by_shop) == {"Fietsenwinkel Utrecht", "Boekhandel Groningen"}
    ours, theirs = by_shop["Fietsenwinkel Utrecht"], by_shop["Boekhandel Groningen"]
    assert (ours.merchant_id, ours.disputes, ours.invoices, ours.dispute_rate) == (api.merchant_id, 4, 6, "66.67")
    assert (theirs.merchant_id, theirs.disputes, theirs.invoices, theirs.dispute_rate) == (
        other_api.merchant_id, 1, 1, "100.00")
    scoped = act(services, service.statistics, since=date(2026, 11, 1), until=date(2026, 12, 31),
                 scope=Scope(api.merchant_id, False))
    assert [row.merchant_id for row in scoped] == [api.merchant_id]


def test_the_period_counts_cases_and_invoices_of_those_days_only(api, services, clock):
    early = many_invoices(services, api.merchant_id, 2)
    open_case(services, early[0])
    clock.advance(days=10)  # 3 December
    late = factories.order(consumer=factories.consumer(email="later@example.nl"))
    bulk_invoices(services, api.merchant_id, [late])
    first_day = stats(api, "?since=2026-11-23&until=2026-11-23")
    assert (first_day["invoices"], first_day["disputes"], first_day["dispute_rate"]) == (2, 1, "50.00")
    later = stats(api, "?since=2026-11-24&until=2026-12-03")
    assert (later["invoices"], later["disputes"], later["dispute_rate"]) == (1, 0, "0.00")
    assert stats(api)["invoices"] == 3


def test_a_period_that_ends_before_it_starts_is_refused(api):
    r = api.get(STATS + "?since=2026-11-23&until=2026-11-01")
    assert r.status_code == 422 and "since" in r.json["errors"], r.json


def test_statistics_refuse_dates_no_calendar_needs(api):
    r = api.get("/dispute-statistics?since=0001-01-01")
    assert r.status_code == 422, r.json
