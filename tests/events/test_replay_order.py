"""GET /events replays every event exactly once, even when transactions commit out of order.

On PostgreSQL two writers take sequence numbers in one order and may commit in the other.
A reader continuing from a cursor must never skip the event that committed late.
"""
from __future__ import annotations

import pytest

from bnpl.events import service as events
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork
from tests import factories
from tests.conftest import make_merchant


def open_work(services) -> UnitOfWork:
    return UnitOfWork(session=services.sessionmaker(), clock=services.clock, settings=services.settings)


def replay(services, scope, after=None) -> list[str]:
    work = open_work(services)
    try:
        items, _ = events.list_events(work, scope=scope, after=after, limit=200)
        return [event.subject_id for event in items]
    finally:
        work.session.close()


@pytest.mark.postgres
def test_an_event_that_commits_late_is_not_skipped_by_a_reader_who_read_on(services):
    merchant_id, _ = make_merchant(services, "Fietsenwinkel Utrecht")
    scope = Scope(merchant_id, False)
    slow, fast = open_work(services), open_work(services)
    events.record(slow, scope=scope, type="merchant.updated", subject_id="first", data={})   # takes its seq first
    events.record(fast, scope=scope, type="merchant.updated", subject_id="second", data={})  # a later seq
    fast.commit()

    seen_while_slow_runs = replay(services, scope)
    slow.commit()
    slow.session.close(), fast.session.close()

    assert "second" not in seen_while_slow_runs  # withheld until nothing older can still appear
    assert replay(services, scope) == ["first", "second"]


def test_replay_continues_after_a_cursor_without_repeats(api, services):
    for _ in range(3):
        api.post("/orders", json=factories.order())
    page = api.get("/events?limit=2").get_json()
    rest = api.get(f"/events?cursor={page['next_cursor']}").get_json()
    ids = [e["id"] for e in page["items"]] + [e["id"] for e in rest["items"]]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.postgres
def test_a_long_transaction_in_another_database_does_not_hold_the_feed_back(services):
    from sqlalchemy import create_engine, make_url, text

    merchant_id, _ = make_merchant(services, "Fietsenwinkel Utrecht")
    scope = Scope(merchant_id, False)
    elsewhere = create_engine(make_url(services.settings.database_url).set(database="postgres"))
    with elsewhere.connect() as other:
        other.execute(text("SELECT pg_current_xact_id()"))  # holds an id, open, on the same cluster
        work = open_work(services)
        events.record(work, scope=scope, type="merchant.updated", subject_id="now", data={})
        work.commit()
        work.session.close()
        assert replay(services, scope) == ["now"]
        other.rollback()
    elsewhere.dispose()
