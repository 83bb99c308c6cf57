"""bnpl.db.among_chunks: an IN list of any length, one array on PostgreSQL, chunks on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select

from bnpl.db import SQLITE_CHUNK, among_chunks
from bnpl.events.models import Event
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
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    killer.dispose()
    with engine.connect() as conn:  # without pre-ping: "terminating connection due to administrator command"
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
