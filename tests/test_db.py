"""bnpl.db: an IN list of any length (among_chunks), many rows written at once (insert_rows,
update_rows), new objects written by Core and attached as loaded (write_new), the PostgreSQL
connection's settings."""
from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import event, insert, select

from bnpl.db import COPY_FROM, SQLITE_CHUNK, among_chunks, insert_rows, update_rows, write_new
from bnpl.events.models import Event
from bnpl.notifications.models import OutboxMessage
from bnpl.uow import unit_of_work


def test_a_list_longer_than_sqlites_placeholder_limit_finds_every_row(services):
    wanted = [f"sub_{n}" for n in range(2 * SQLITE_CHUNK + 100)]
    with unit_of_work(services) as uow:
        uow.session.execute(insert(Event.__table__), [
            dict(merchant_id="m", livemode=False, type="merchant.updated", subject_id=subject, data={},
                 created_at=uow.now()) for subject in wanted + ["not_asked"]])
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        with services.sessionmaker() as session:
            found = {subject for where in among_chunks(session, Event.subject_id, wanted + ["sub_none"])
                     for subject in session.scalars(select(Event.subject_id).where(where))}
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert found == set(wanted)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    postgres = services.engine.dialect.name == "postgresql"
    assert len(selects) == (1 if postgres else 3)  # 1,901 values: one array, or chunks of 900


def test_no_values_no_statement(services):
    with services.sessionmaker() as session:
        assert list(among_chunks(session, Event.subject_id, [])) == []


@pytest.mark.postgres
def test_a_connection_the_server_killed_is_replaced_not_lent(database_url):
    from sqlalchemy import text

    from bnpl.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:  # one pooled connection, back in the pool afterwards
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = make_engine(database_url)
    with killer.connect() as conn:  # returns once the backend is gone (at most 5 s)
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar() is True
    killer.dispose()
    with engine.connect() as conn:  # without a ping: "terminating connection due to administrator command"
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()


@pytest.mark.postgres
def test_a_connection_is_pinged_only_when_idle_for_a_while(database_url, monkeypatch):
    import bnpl.db
    from bnpl.db import IDLE_PING_SECONDS, make_engine

    pinged = []
    real_ping = bnpl.db.ping
    monkeypatch.setattr(bnpl.db, "ping", lambda dbapi_connection: (pinged.append(1), real_ping(dbapi_connection)))
    engine = make_engine(database_url)
    for _ in range(3):  # new, then lent again at once: nothing to doubt
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    assert pinged == []
    now = time.monotonic()
    monkeypatch.setattr(bnpl.db.time, "monotonic", lambda: now + IDLE_PING_SECONDS + 1)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert pinged == [1]
    engine.dispose()


def test_a_connection_without_a_socket_to_ask_or_closed_is_in_doubt():
    from types import SimpleNamespace

    from bnpl.db import _has_spoken

    def lost():
        raise OSError("the connection's socket is gone")

    assert _has_spoken(SimpleNamespace(closed=False, fileno=lost)) is True
    assert _has_spoken(SimpleNamespace(closed=True, fileno=lost)) is True


# --- writing many rows: COPY and one UPDATE on PostgreSQL, executemany elsewhere ---------------

def _messages(uow, count: int, **fields) -> list[dict]:
    return [dict(id=f"msg_{n:04d}", channel="email", kind="invoice_issued", merchant_id=None, livemode=False,
                 recipient=f"p{n}@example.nl", payload={"name": "Zoë", "n": n, "tags": ["a", None]},
                 next_attempt_at=uow.now(), created_at=uow.now()) | fields for n in range(count)]


@pytest.mark.parametrize("count", [3, COPY_FROM + 200])
def test_insert_rows_writes_what_an_insert_would_with_the_columns_defaults(services, count):
    with unit_of_work(services) as uow:
        insert_rows(uow.session, OutboxMessage.__table__, _messages(uow, count))
    with unit_of_work(services) as uow:
        stored = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.recipient for m in stored] == [f"p{n}@example.nl" for n in range(count)]
        assert stored[-1].payload == {"name": "Zoë", "n": count - 1, "tags": ["a", None]}
        assert {(m.status, m.attempts, m.language) for m in stored} == {("pending", 0, None)}  # Python defaults
        assert stored[0].created_at == uow.now()


def test_insert_rows_refuses_a_naive_timestamp_as_an_insert_does(services):
    with unit_of_work(services) as uow:
        rows = _messages(uow, COPY_FROM + 1, created_at=datetime(2026, 11, 23, 10, 0))
        with pytest.raises(Exception, match="naive datetimes are not stored"):
            insert_rows(uow.session, OutboxMessage.__table__, rows)
        uow.session.rollback()


@pytest.mark.parametrize("count", [2, 1500])
def test_update_rows_sets_each_row_its_own_values_and_leaves_the_others(services, count):
    with unit_of_work(services) as uow:
        insert_rows(uow.session, OutboxMessage.__table__, _messages(uow, count + 1))
        update_rows(uow.session, OutboxMessage.__table__, "id", [
            dict(id=f"msg_{n:04d}", status="dead", attempts=n) for n in range(count)])
    with unit_of_work(services) as uow:
        stored = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.status, m.attempts) for m in stored] == [("dead", n) for n in range(count)] + [("pending", 0)]


def test_update_rows_returns_the_rows_it_changed_as_they_are_now(services):
    with unit_of_work(services) as uow:
        insert_rows(uow.session, OutboxMessage.__table__, _messages(uow, 3))
        changed = update_rows(uow.session, OutboxMessage.__table__, "id", [
            dict(id="msg_0002", status="dead", attempts=7), dict(id="msg_0000", status="dead", attempts=1),
            dict(id="msg_none", status="dead", attempts=1)], returning=("id", "status", "attempts", "recipient"))
    assert sorted(changed) == [("msg_0000", "dead", 1, "p0@example.nl"), ("msg_0002", "dead", 7, "p2@example.nl")]
    assert {row.id: row.attempts for row in changed} == {"msg_0000": 1, "msg_0002": 7}


@pytest.mark.postgres
def test_postgresql_connections_compile_no_query_just_in_time(database_url):
    """JIT compiling cost 0.2 s on each thousand-row lookup of a statement import."""
    from sqlalchemy import text

    from bnpl.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
    engine.dispose()


def test_new_objects_written_without_a_flush_are_loaded_objects_of_the_session(services):
    statements = []

    def count(conn, cursor, statement, *args):
        if statement != "BEGIN IMMEDIATE":
            statements.append(statement)

    with unit_of_work(services) as uow:
        first = Event(merchant_id="m", livemode=False, type="merchant.updated", subject_id="a", data={},
                      created_at=uow.now())
        second = Event(merchant_id="m", livemode=False, type="order.accepted", subject_id="b", data={"n": 1},
                       created_at=uow.now())
        event.listen(services.engine, "before_cursor_execute", count)
        try:
            write_new(uow.session, [first, second])
        finally:
            event.remove(services.engine, "before_cursor_execute", count)
        assert first.seq < second.seq  # the database's keys, in the order given
        assert first.request_id is None  # the column's Python default
        assert first in uow.session and not uow.session.new and not uow.session.dirty
        assert uow.session.get(Event, second.seq) is second
        second.data = {"n": 2}  # changed later like any loaded object
    assert all(s.lstrip().upper().startswith("INSERT INTO EVENTS") for s in statements)
    assert len(statements) == (1 if services.engine.dialect.name == "postgresql" else 2)  # SQLite: row by row
    with unit_of_work(services) as uow:
        stored = [(e.type, e.data) for e in uow.session.scalars(select(Event).order_by(Event.seq))]
    assert stored == [("merchant.updated", {}), ("order.accepted", {"n": 2})]
