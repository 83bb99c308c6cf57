"""GET /api/v1/conversation-statistics: a webshop reads the promises kept and the median first
answer of the questions passed to it, per channel and week, and of no other webshop's."""
from datetime import date

from bnpl.support import service
from tests import factories
from tests.disputes.cases import act
from tests.payments.flows import ship
from tests.support.threads import STAFF, ask_about


def passed_question(services, api, subject, **consumer):
    invoice = ship(api, **({"consumer": factories.consumer(**consumer)} if consumer else {}))
    thread = ask_about(services, invoice, subject=subject, message="Where is it?")
    act(services, service.pass_to_merchant, thread_id=thread.id, **STAFF)
    return thread.id


def test_a_webshop_reads_the_promises_on_its_own_conversations(services, clock, api, other_api):
    ours = passed_question(services, api, "Wrong size")
    theirs = passed_question(services, other_api, "Book missing", email="pieter@example.nl", name="Pieter Bakker")
    not_passed = ask_about(services, ship(api), subject="General", message="Not the webshop's.", general=True).id
    clock.advance(minutes=90)  # Monday: in office hours, well within the promise
    assert api.post(f"/conversations/{ours}/messages", json={"message": "On its way."}).status_code == 201
    clock.advance(days=3)  # Thursday: past the promise of one working day
    act(services, service.answer, thread_id=theirs, message="Late, sorry.", **STAFF)
    act(services, service.answer, thread_id=not_passed, message="Late too.", **STAFF)

    r = api.get("/conversation-statistics")
    assert r.status_code == 200, r.json
    assert r.json["until"] == "2026-11-26" and r.json["since"] == "2026-10-02"  # eight weeks up to today
    assert r.json["weeks"] == [{"week": "2026-11-23", "channel": "portal", "asked": 1, "kept": 1, "missed": 0,
                                "kept_rate": "100.00", "median_first_answer_minutes": 90}]
    [week] = other_api.get("/conversation-statistics").json["weeks"]
    assert (week["asked"], week["kept"], week["missed"], week["kept_rate"]) == (1, 0, 1, "0.00")


def test_a_webshop_with_no_conversations_reads_no_weeks(other_api):
    r = other_api.get("/conversation-statistics?since=2026-11-01&until=2026-11-30")
    assert r.status_code == 200 and r.json == {"since": "2026-11-01", "until": "2026-11-30", "weeks": []}


def test_a_week_with_no_promise_due_yet_has_no_rate(services, api):
    passed_question(services, api, "Just asked")
    [week] = api.get("/conversation-statistics").json["weeks"]
    assert (week["asked"], week["kept_rate"], week["median_first_answer_minutes"]) == (1, None, None)


def test_a_period_of_more_than_a_year_or_backwards_is_refused(api):
    for query in ("since=2025-01-01&until=2026-11-23", "since=2026-11-23&until=2026-11-01", "since=yesterday"):
        r = api.get(f"/conversation-statistics?{query}")
        assert r.status_code == 422 and r.content_type == "application/problem+json", query


def test_the_statistics_are_in_the_openapi_document(app):
    document = app.test_client().get("/openapi.json").json
    operation = document["paths"]["/api/v1/conversation-statistics"]["get"]
    assert operation["responses"]["200"] and {p["name"] for p in operation["parameters"]} >= {"since", "until"}


def test_staff_read_every_webshops_weeks(services, api, other_api):
    passed_question(services, api, "Wrong size")
    passed_question(services, other_api, "Book missing", email="pieter@example.nl", name="Pieter Bakker")
    [week] = act(services, service.promise_statistics, since=date(2026, 11, 23), until=date(2026, 11, 29))
    assert week.asked == 2


def test_a_day_outside_the_years_we_could_have_figures_for_is_refused_not_a_crash(api):
    """A year typed wrong must not reach date arithmetic, which overflows at the calendar's ends."""
    for query in ("until=0001-01-01", "since=0001-01-01&until=0001-01-05", "since=9999-12-30&until=9999-12-31"):
        r = api.get(f"/conversation-statistics?{query}")
        assert r.status_code == 422 and r.content_type == "application/problem+json", (query, r.status_code)
