"""Promises kept, per channel and week: an answer by the promised moment keeps it, a late one
or a question still waiting past it misses it; and the median time to the first answer, in
office hours."""
from datetime import date, timedelta

from bnpl.support import service
from tests.disputes.cases import act, consumer_of
from tests.payments.flows import ship

STAFF = dict(staff_id="stf_anna", staff_name="Anna")


def ask(services, consumer_id, subject):
    return act(services, service.ask, consumer_id=consumer_id, subject=subject, message="A question.").id


def test_kept_missed_and_the_median_first_answer_of_a_week(services, clock, api):
    consumer = consumer_of(services, ship(api)["id"])
    in_time, late, waiting = (ask(services, consumer, s) for s in ("in time", "late", "waiting"))
    clock.advance(hours=2)  # Monday 13:00 in Amsterdam: 2 office hours after asking
    act(services, service.answer, thread_id=in_time, message="Answered soon.", **STAFF)
    clock.advance(days=2)  # Wednesday: past the promise of one working day
    act(services, service.answer, thread_id=late, message="Answered late.", **STAFF)
    [week] = act(services, service.promise_statistics, since=date(2026, 11, 16), until=date(2026, 11, 29))
    assert (week.channel, week.week) == ("portal", date(2026, 11, 23))
    assert (week.asked, week.kept, week.missed) == (3, 1, 2)  # the waiting one is past its promise too
    assert week.kept_share == 1 / 3
    # 2 office hours, and 18 for the late one (Monday from 11:00: 6, Tuesday 8, Wednesday to 13:00: 4)
    assert week.median_first_answer == timedelta(hours=(2 + 18) / 2)


def test_a_question_still_within_its_promise_is_neither_kept_nor_missed(services, api):
    consumer = consumer_of(services, ship(api)["id"])
    ask(services, consumer, "just asked")
    [week] = act(services, service.promise_statistics, since=date(2026, 11, 23), until=date(2026, 11, 23))
    assert (week.asked, week.kept, week.missed, week.kept_share, week.median_first_answer) == (1, 0, 0, None, None)
