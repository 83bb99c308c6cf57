"""Statements of the hot path, compiled once and run straight on the driver (issue 19).

SQLAlchemy's execution layer costs about 0.1 ms of CPU per statement on top of the driver's own
work: checking the compiled cache, building an execution context, wrapping the cursor in a
result. On a request of fifteen statements that is more than the statements themselves. A
`Prepared` statement keeps what matters of SQLAlchemy (the statement written in Core, its
compiler for each database, every column type's conversion, so values are stored and read
exactly as through the ORM, and the engine's before/after_cursor_execute events, so statement
counts and echo stay true) and leaves out the rest:

    _BY_EMAIL = Prepared(select(Consumer.id).where(Consumer.email == bindparam("email")))
    consumer_id = _BY_EMAIL.scalar(session, email=email)

It runs in the session's transaction on the session's connection, after flushing what the
session holds pending (a statement sees what the ORM wrote before it, as with autoflush).
Rows come back as tuples. Not supported: expanding `IN` lists (use `db.among`, an array on
PostgreSQL) and RETURNING from `run_many`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement


class _Compiled:
    """One statement for one dialect: the SQL text and how to convert values in and out."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]):
        # An INSERT or UPDATE without its own values sets the columns given, as in Core.
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a Prepared statement cannot expand a list at run time; use db.among")
        # Core computes a column's Python default (a function: an id, a timestamp) in its
        # execution context, which a Prepared statement skips: it would write NULL unasked.
        computed = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if computed:
            raise ValueError(f"give {', '.join(computed)}: a Prepared statement does not compute Python defaults")
        self.sql = compiled.string
        self.positional = compiled.positiontup  # qmark drivers (SQLite): names in order
        binds = compiled.binds
        self.defaults = {name: bind.value for name, bind in binds.items() if bind.value is not None}
        self.converters = {name: proc for name, bind in binds.items()
                           if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        self.readers = _readers(statement, dialect)

    def parameters(self, given: dict) -> dict | tuple:
        values = {**self.defaults, **given} if self.defaults else given
        if self.converters:
            values = dict(values)
            for name, convert in self.converters.items():
                if name in values:
                    values[name] = convert(values[name])
        if self.positional is not None:
            return tuple(values.get(name) for name in self.positional)
        return values

    def rows(self, raw: list) -> list[tuple]:
        if not self.readers:
            return raw
        readers = self.readers
        return [tuple(value if read is None or value is None else read(value)
                      for read, value in zip(readers, row)) for row in raw]


def _readers(statement: ClauseElement, dialect: Dialect) -> list[Callable | None] | None:
    """Per column of the result, the type's conversion of a value read (None: as the driver
    gives it); None when no column needs one."""
    columns = getattr(statement, "exported_columns", None) if _returns_rows(statement) else None
    if not columns:
        return None
    readers = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
    return readers if any(readers) else None


def _returns_rows(statement: ClauseElement) -> bool:
    return statement.is_select or bool(getattr(statement, "_returning", ()))


class Prepared:
    """A Core statement run on the session's DB-API connection (see the module's docstring)."""

    def __init__(self, statement: ClauseElement):
        if isinstance(statement, Insert) and not _returns_rows(statement):
            # Without inline() PostgreSQL's INSERT into a table with a generated key would
            # send that key back (Core's implicit RETURNING) for nobody to read.
            statement = statement.inline()
        self.statement = statement
        self._compiled: dict[tuple, _Compiled] = {}

    def _for(self, dialect: Dialect, params: dict) -> _Compiled:
        key = (dialect, *params)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, dialect, tuple(params))
        return compiled

    def rows(self, session: Session, **params: Any) -> list[tuple]:
        connection = _connection(session)
        compiled = self._for(connection.dialect, params)
        return compiled.rows(_execute(connection, compiled, compiled.parameters(params), many=False))

    def first(self, session: Session, **params: Any) -> tuple | None:
        rows = self.rows(session, **params)
        return rows[0] if rows else None

    def scalar(self, session: Session, **params: Any) -> Any:
        row = self.first(session, **params)
        return None if row is None else row[0]

    def run(self, session: Session, **params: Any) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        connection = _connection(session)
        compiled = self._for(connection.dialect, params)
        return _execute(connection, compiled, compiled.parameters(params), many=False, fetch=False)

    def run_many(self, session: Session, params: Iterable[dict]) -> None:
        """Run a statement once per set of parameters (the driver's executemany: one round
        trip on PostgreSQL, where psycopg pipelines them)."""
        params = list(params)
        if not params:
            return
        connection = _connection(session)
        compiled = self._for(connection.dialect, params[0])
        if len(params) == 1:  # the driver's executemany costs more than one execute
            _execute(connection, compiled, compiled.parameters(params[0]), many=False, fetch=False)
        else:
            _execute(connection, compiled, [compiled.parameters(p) for p in params], many=True, fetch=False)


def _connection(session: Session) -> Connection:
    session.flush()  # cheap when nothing is pending; else what we read or write must see it
    return session.connection()


def _execute(connection: Connection, compiled: _Compiled, parameters, *, many: bool, fetch: bool = True):
    sql = compiled.sql
    dispatch = connection.dispatch
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if dispatch.before_cursor_execute:
            for listen in dispatch.before_cursor_execute:
                listen(connection, cursor, sql, parameters, None, many)
        if connection.engine.echo:
            connection.engine.logger.info("%s [prepared] %r", sql, parameters)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        if dispatch.after_cursor_execute:
            for listen in dispatch.after_cursor_execute:
                listen(connection, cursor, sql, parameters, None, many)
        if fetch:
            return cursor.fetchall()
        return cursor.rowcount
    except connection.dialect.loaded_dbapi.Error as error:
        # SQLAlchemy's own handling: the same exception classes (IntegrityError, …) as any
        # other statement, and a connection the server dropped is invalidated.
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
    finally:
        cursor.close()


def values_rows(table: Table, columns: tuple[str, ...], n: int) -> Insert:
    """An INSERT of n rows in one VALUES list, the value of `column` in row i bound as
    f"{column}{i}" (give numbered(rows)): one plain statement where run_many's executemany costs
    the driver more CPU, and one that a PostgreSQL statement can carry as a WITH query."""
    return insert(table).values([{name: bindparam(f"{name}{i}", type_=table.c[name].type) for name in columns}
                                 for i in range(n)])


def numbered(rows: list[dict]) -> dict:
    """The parameters of a values_rows statement for these rows."""
    return {f"{name}{i}": value for i, row in enumerate(rows) for name, value in row.items()}


class Chained:
    """Writing statements that need not see each other's rows, run as one on PostgreSQL (the
    others as data-modifying WITH queries of the last: one round trip and one statement's
    overhead for all) and one by one, in the order given, on SQLite, which has none. Every
    statement is given all the parameters; name them apart. Inside one PostgreSQL statement
    they run on the same snapshot, and constraints are checked at its end: a child row may
    refer to a parent written in the same chain. Give the statements their values (bindparams
    named apart from the columns: a parameter named like a column is a value for it)."""

    def __init__(self, *statements: UpdateBase):
        *first, last = statements
        self.together = Prepared(last.add_cte(*(step.cte(f"step{i}") for i, step in enumerate(first))))
        self.each = [(Prepared(step), tuple(step.compile().binds)) for step in statements]

    def run(self, session: Session, **params: Any) -> None:
        if session.get_bind().dialect.name == "postgresql":
            self.together.run(session, **params)
        else:
            for step, names in self.each:
                # a value the statement carries itself (a literal) is not the caller's to give
                step.run(session, **{name: params[name] for name in names if name in params})
