"""bnpl.sql: a Prepared statement reads and writes values exactly as the ORM does, on both
databases, sees what the session holds pending, counts as a statement, and fails as any other
statement fails."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from bnpl.events.models import Event
from bnpl.sql import Chained, Prepared, numbered, values_rows
from bnpl.uow import unit_of_work

_INSERT = Prepared(insert(Event.__table__).returning(Event.__table__.c.seq))
_BY_SUBJECT = Prepared(select(Event.seq, Event.created_at, Event.data, Event.livemode)
                       .where(Event.subject_id == bindparam("subject_id")).order_by(Event.seq))
_RETYPE = Prepared(update(Event.__table__).where(Event.__table__.c.subject_id == bindparam("subject"))
                   .values(type=bindparam("type")))
_LIMITED = Prepared(select(Event.seq).order_by(Event.seq).limit(1))

WHEN = datetime(2026, 12, 7, 21, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))


def _event(subject: str, **values) -> dict:
    return dict(merchant_id="mer_1", livemode=False, type="order.accepted", subject_id=subject,
                created_at=WHEN, data={"amount": 5399, "lines": [1, 2]}, request_id=None) | values


def test_values_written_by_a_prepared_statement_read_back_through_the_orm_unchanged(services):
    with unit_of_work(services) as uow:
        seq = _INSERT.scalar(uow.session, **_event("ord_1"))
    with services.sessionmaker() as session:
        stored = session.scalars(select(Event).where(Event.seq == seq)).one()
    assert stored.created_at == WHEN and stored.created_at.tzinfo is not None
    assert stored.data == {"amount": 5399, "lines": [1, 2]}
    assert stored.livemode is False


def test_values_written_by_the_orm_read_back_through_a_prepared_statement_unchanged(services):
    with unit_of_work(services) as uow:
        uow.session.execute(insert(Event.__table__), [_event("ord_2", livemode=True)])
    with services.sessionmaker() as session:
        [(seq, created_at, data, livemode)] = _BY_SUBJECT.rows(session, subject_id="ord_2")
    assert isinstance(seq, int)
    assert created_at == WHEN and created_at.utcoffset() == timedelta(0)
    assert data == {"amount": 5399, "lines": [1, 2]} and livemode is True


def test_a_prepared_statement_sees_what_the_session_holds_pending(services):
    with services.sessionmaker() as session, session.begin():
        session.add(Event(**_event("ord_3")))
        assert len(_BY_SUBJECT.rows(session, subject_id="ord_3")) == 1
        assert _RETYPE.run(session, subject="ord_3", type="order.cancelled") == 1
        assert session.scalars(select(Event.type).where(Event.subject_id == "ord_3")).one() == "order.cancelled"


def test_run_many_writes_every_row_and_values_given_in_the_statement_apply(services):
    with unit_of_work(services) as uow:
        _INSERT_PLAIN.run_many(uow.session, [_event(f"ord_m{n}") for n in range(3)])
        first = _LIMITED.rows(uow.session)
    with services.sessionmaker() as session:
        assert len(session.scalars(select(Event.seq).where(Event.subject_id.like("ord_m%"))).all()) == 3
    assert len(first) == 1  # the LIMIT's own value, given in the statement, not by the caller


_INSERT_PLAIN = Prepared(insert(Event.__table__))


def test_a_prepared_statement_counts_as_a_statement(services):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        with services.sessionmaker() as session:
            _BY_SUBJECT.rows(session, subject_id="nobody")
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert [s for s in seen if "FROM events" in s]


def test_a_broken_rule_raises_sqlalchemys_integrity_error_and_the_transaction_rolls_back(services):
    with pytest.raises(IntegrityError):
        with unit_of_work(services) as uow:
            _INSERT.scalar(uow.session, **_event("ord_4", merchant_id=None))
    with services.sessionmaker() as session:
        assert _BY_SUBJECT.rows(session, subject_id="ord_4") == []


def test_an_in_list_that_expands_at_run_time_is_refused_when_first_run(services):
    expanding = Prepared(select(Event.seq).where(Event.subject_id.in_(bindparam("ids", expanding=True))))
    with services.sessionmaker() as session, pytest.raises(ValueError, match="db.among"):
        expanding.rows(session, ids=["a", "b"])


def test_rows_written_by_one_values_list_read_back_as_given_in_their_order(services):
    rows = [_event(f"ord_v{n}", livemode=n == 1, data={"n": n}) for n in range(3)]
    with unit_of_work(services) as uow:
        Prepared(values_rows(Event.__table__, tuple(rows[0]), 3)).run(uow.session, **numbered(rows))
    with services.sessionmaker() as session:
        stored = session.execute(select(Event.subject_id, Event.livemode, Event.data, Event.created_at)
                                 .where(Event.subject_id.like("ord_v%")).order_by(Event.seq)).all()
    assert [tuple(row) for row in stored] == [(f"ord_v{n}", n == 1, {"n": n}, WHEN) for n in range(3)]


def test_a_chain_is_one_statement_on_postgresql_and_one_per_step_elsewhere_and_does_every_step(services):
    events = Event.__table__
    chain = Chained(update(events).where(events.c.subject_id == bindparam("old_subject")).values(type=bindparam("new_type")),
                    values_rows(events, tuple(_event("ord_c1")), 2))
    with unit_of_work(services) as uow:
        _INSERT_PLAIN.run(uow.session, **_event("ord_c0"))
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        with unit_of_work(services) as uow:
            chain.run(uow.session, old_subject="ord_c0", new_type="order.cancelled",
                      **numbered([_event("ord_c1"), _event("ord_c2", livemode=True)]))
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    with services.sessionmaker() as session:
        stored = session.execute(select(Event.subject_id, Event.type, Event.livemode)
                                 .where(Event.subject_id.like("ord_c%")).order_by(Event.seq)).all()
    assert [tuple(row) for row in stored] == [("ord_c0", "order.cancelled", False), ("ord_c1", "order.accepted", False),
                                              ("ord_c2", "order.accepted", True)]
    writes = [statement for statement in seen if statement.lstrip().startswith(("UPDATE", "INSERT", "WITH"))]
    assert len(writes) == (1 if services.engine.dialect.name == "postgresql" else 2)


def test_an_insert_that_leaves_out_a_column_with_a_python_default_is_refused_not_written_as_null(services):
    # events.request_id defaults to the request's id, computed in Python by Core's execution
    values = _event("ord_5")
    del values["request_id"]
    with unit_of_work(services) as uow, pytest.raises(ValueError, match="give request_id"):
        _INSERT_PLAIN.run(uow.session, **values)


def test_run_many_with_one_row_writes_it(services):
    with unit_of_work(services) as uow:
        _INSERT_PLAIN.run_many(uow.session, [_event("ord_6")])
    with services.sessionmaker() as session:
        assert len(_BY_SUBJECT.rows(session, subject_id="ord_6")) == 1


def test_an_insert_without_returning_asks_nothing_back_on_postgresql():
    from sqlalchemy.dialects import postgresql

    from bnpl.orders.models import OrderLine

    statement = Prepared(insert(OrderLine.__table__)).statement
    assert "RETURNING" not in str(statement.compile(dialect=postgresql.dialect(), column_keys=["order_id"]))


def test_a_chain_whose_statement_carries_a_value_of_its_own_runs_on_both_databases(services):
    from bnpl.sql import Chained

    table = Event.__table__
    chain = Chained(insert(table).values(**{k: bindparam(f"a_{k}") for k in _event("x")}),
                    update(table).where(table.c.subject_id == bindparam("b_subject")).values(type="order.cancelled"))
    with unit_of_work(services) as uow:
        _INSERT_PLAIN.run(uow.session, **_event("ord_7"))
        chain.run(uow.session, **{f"a_{k}": v for k, v in _event("ord_8").items()}, b_subject="ord_7")
    with services.sessionmaker() as session:
        assert session.scalars(select(Event.type).where(Event.subject_id == "ord_7")).one() == "order.cancelled"
        assert len(_BY_SUBJECT.rows(session, subject_id="ord_8")) == 1
