"""SQLAlchemy 2 engine and sessions, the declarative Base, shared column types, migrations."""
from __future__ import annotations

import base64
import secrets
import time
from datetime import datetime, timezone
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from select import POLLIN, poll
from typing import Iterator

from sqlalchemy import (JSON, DateTime, Engine, MetaData, any_, bindparam, create_engine, event, func, insert, inspect,
                        make_url, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timestamps are UTC, aware in Python on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use the clock")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


Json = JSON().with_variant(JSONB(), "postgresql")


def new_id(prefix: str) -> str:
    """A public identifier like ``ord_k3v…``: random, so ids reveal nothing about volume."""
    return f"{prefix}_{base64.b32encode(secrets.token_bytes(15)).decode().lower()}"


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A connection the server killed is noticed and replaced when it is lent (see
    # _ping_when_in_doubt), instead of failing the request that gets it; recycling keeps old
    # connections rare too. Errors leave out the statement's values (see _sqlite_engine).
    # No JIT compilation: it pays off for long analytical scans, which this application does
    # not run. For its lookups of a thousand rows (a bank statement's invoices) the planner's
    # estimate passed the JIT threshold and compiling took 0.2 s of a statement's 0.22 s.
    options = " ".join(filter(None, [make_url(url).query.get("options"), "-c jit=off"]))
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=1800,
                           hide_parameters=not echo, connect_args={"options": options})
    _ping_when_in_doubt(engine)
    return engine


# A connection back in the pool for longer than this is pinged before it is lent again.
IDLE_PING_SECONDS = 10.0
_RETURNED = "bnpl.returned_at"


def _ping_when_in_doubt(engine: Engine) -> None:
    """SQLAlchemy's pre-ping costs a round trip (SELECT 1) on every checkout: on every request.
    This pings only a connection that may have died: one idle for IDLE_PING_SECONDS (a firewall
    or NAT that drops quiet connections says nothing), or one whose socket has something to
    read. An idle connection has nothing to read unless the server spoke: a restart, a failover
    or pg_terminate_backend sends its last words (FATAL) and closes the socket, and that is
    seen without a round trip. What is left, a network that died silently within seconds of the
    connection's last use, fails that request as it would any request under way."""

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_connection, record, proxy):
        if time.monotonic() - record.info.get(_RETURNED, 0.0) < IDLE_PING_SECONDS and not _has_spoken(dbapi_connection):
            return
        try:
            ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: the pool replaces it (3 tries)
            raise DisconnectionError(f"the pooled connection failed its ping: {error}") from error


def _has_spoken(dbapi_connection) -> bool:
    """Whether an idle connection's socket has something to read (or is closed)."""
    if dbapi_connection.closed:
        return True
    poller = poll()
    try:
        poller.register(dbapi_connection.fileno(), POLLIN)
    except Exception:  # noqa: BLE001 - no socket to ask (the driver lost it): let the ping decide
        return True
    return bool(poller.poll(0))


def ping(dbapi_connection) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()


def _sqlite_engine(url: str, echo: bool) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # An error's message leaves out the statement's values (e-mail addresses, sign-in tokens):
    # it is logged. BNPL_SQL_ECHO, a developer's switch, shows them.
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, pool_pre_ping=True,
                           hide_parameters=not echo)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, open transactions, so that we can open them
        # IMMEDIATE: a writer takes the lock up front instead of failing on upgrade.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def among(session: Session, column, values: list):
    """`column IN values` for a list that fits one statement (see among_chunks for any list).
    On PostgreSQL one array parameter (= ANY): a statement of a thousand placeholders is parsed
    again by the driver on every call, one array is not."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


# SQLite counts every placeholder of a statement; builds before 3.32 allow 999 of them. A
# chunk stays below that with room for the statement's other parameters.
SQLITE_CHUNK = 900


def among_chunks(session: Session, column, values) -> Iterator:
    """`column IN values` for a list of any length, as one condition per statement to run:
    on PostgreSQL a single array parameter for all of them, on SQLite one `IN (…)` per
    SQLITE_CHUNK values, so that no statement passes SQLite's limit on placeholders. Nothing
    for no values. Run the query once per condition and combine the rows:

        for where in among_chunks(session, Payment.invoice_id, ids):
            found.update(session.scalars(select(Payment.id).where(where)))
    """
    values = list(values)
    if not values:
        return
    size = len(values) if session.get_bind().dialect.name == "postgresql" else SQLITE_CHUNK
    for start in range(0, len(values), size):
        yield among(session, column, values[start:start + size])


# Fewer rows than this go in one INSERT: COPY's own round trips cost more than it saves.
COPY_FROM = 50


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """INSERT many rows (each with the same keys) in the session's transaction. On PostgreSQL
    by COPY: no statement with a placeholder per value is built, sent and parsed, which for a
    bank statement's thousands of rows cost more than writing them. Elsewhere, and for a few
    rows, an executemany.
    Python-side column defaults are filled in as an INSERT would; database defaults apply."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql" or len(rows) < COPY_FROM:
        session.execute(insert(table), rows)
        return
    given = list(rows[0])
    defaults = [column.default for column in table.columns if column.name not in rows[0] and column.default is not None]
    if any(not (default.is_scalar or default.is_callable) for default in defaults):
        raise ValueError(f"insert_rows does not compute the SQL defaults of {table.name}")
    names = given + [default.column.name for default in defaults]
    converted = [(position, how) for position, name in enumerate(names)
                 if (how := _copy_conversion(table.c[name].type)) is not None]
    values_of = itemgetter(*given) if len(given) > 1 else lambda row: (row[given[0]],)
    quote = session.get_bind().dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN"
    with session.connection().connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = list(values_of(row))
            values += [default.arg(None) if default.is_callable else default.arg for default in defaults]
            for position, how in converted:
                if values[position] is not None:
                    values[position] = how(values[position])
            copy.write_row(values)


def _copy_conversion(type_):
    """What a column's type does to a value on its way into PostgreSQL, for COPY to do by hand."""
    if isinstance(type_, UTCDateTime):
        return _utc
    if isinstance(type_, JSON):
        from psycopg.types.json import Jsonb

        return Jsonb
    return None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is timezone.utc:  # the clock's, mostly
        return value
    return _UTC_DATETIME.process_bind_param(value, postgresql.dialect)


_UTC_DATETIME = UTCDateTime()


def update_rows(session: Session, table, key: str, rows: list[dict], returning: tuple[str, ...] = ()) -> list:
    """UPDATE many rows by a key column, each row {key: …, column: new value, …} (the same
    columns in each); the `returning` columns of the rows changed, as they are now. On
    PostgreSQL one statement joining the new values as arrays (UPDATE … FROM unnest(…) …
    RETURNING); elsewhere an executemany, then a SELECT of what it changed."""
    if not rows:
        return []
    names = [name for name in rows[0] if name != key]
    if session.get_bind().dialect.name != "postgresql":
        statement = (update(table).where(table.c[key] == bindparam(f"b_{key}"))
                     .values({name: bindparam(f"b_{name}") for name in names}))
        session.execute(statement, [{f"b_{name}": value for name, value in row.items()} for row in rows])
        if not returning:
            return []
        return [changed for where in among_chunks(session, table.c[key], [row[key] for row in rows])
                for changed in session.execute(select(*(table.c[name] for name in returning)).where(where))]
    columns = [key] + names
    arrays = [bindparam(f"a_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type))
              for name in columns]
    new = func.unnest(*arrays).table_valued(*columns).render_derived().alias("new_values")
    statement = update(table).where(table.c[key] == new.c[key]).values({name: new.c[name] for name in names})
    if not returning:
        session.execute(statement)
        return []
    return session.execute(statement.returning(*(table.c[name] for name in returning))).all()


def upsert(session: Session, table):
    """An INSERT that knows ON CONFLICT, for the session's backend."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(session: Session, table, values: dict, index_elements: list[str]):
    """INSERT … ON CONFLICT DO NOTHING on both backends; returns the result."""
    return session.execute(upsert(session, table).values(**values).on_conflict_do_nothing(index_elements=index_elements))


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


_UNSET = object()


def write_new(session: Session, objects: list) -> None:
    """Write new ORM objects with one Core INSERT per table, in the order their classes first
    appear (parents before children), and attach them to the session as if they had been
    loaded: no unit-of-work flush, the costliest part of a request that only adds a few rows
    (issue 19). The caller sets every foreign key itself (no relationship fills one in); a
    column left unset takes its Python default, or NULL, or when it has only a server default
    that, read when first used; an autoincrement key comes back from the database. Objects
    pending in the session are flushed first (the new rows may refer to them)."""
    if session.new:
        session.flush()
    connection = session.connection()
    by_class: dict[type, list] = {}
    for obj in objects:
        by_class.setdefault(type(obj), []).append(obj)
    for cls, same in by_class.items():
        mapper = inspect(cls)
        table = mapper.local_table
        generated = table.autoincrement_column
        columns = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs
                   if prop.columns[0] is not generated]
        rows = [{} for _ in same]
        for key, column in columns:
            default = column.default
            if default is None and column.server_default is not None and key not in same[0].__dict__:
                continue  # the database's default, loaded when first read
            for obj, row in zip(same, rows):
                value = obj.__dict__.get(key, _UNSET)
                if value is _UNSET:
                    value = None if default is None else (default.arg(None) if default.is_callable else default.arg)
                    setattr(obj, key, value)
                row[column.key] = value
        if generated is None:
            connection.execute(_inserts(table), rows)
        else:
            keys = connection.execute(_inserts(table, generated), rows)
            key = mapper.get_property_by_column(generated).key
            for obj, value in zip(same, keys.scalars()):
                setattr(obj, key, value)
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        if obj not in session:  # not yet added along a relationship of one before it
            session.add(obj)


@lru_cache(maxsize=None)
def _inserts(table, returning=None):
    """The INSERT of a table (with the generated key back, in the order given), built once."""
    statement = insert(table)
    return statement if returning is None else statement.returning(returning, sort_by_parameter_order=True)


def as_loaded(session: Session, cls, values: dict):
    """An object of the session made from a row read without the ORM (values by attribute
    name, its primary key among them), as if the ORM had loaded it: for a row a statement
    already read along with something else, so no second SELECT and no ORM loading for a
    request that never uses the object. Attributes not given load when first read. The object
    the session already holds for that key, if any, instead."""
    mapper = inspect(cls)
    held = session.identity_map.get(mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(column).key] for column in mapper.primary_key]))
    if held is not None:
        return held
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
