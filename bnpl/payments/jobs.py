"""Batch work of the payments feature: thin, chunked, safe to run again."""
from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from itertools import chain, groupby
from operator import attrgetter
from pathlib import Path

from bnpl.payments import service
from bnpl.payments.statements import Statement, StatementError, StatementPart, Transaction
from bnpl.uow import unit_of_work

log = logging.getLogger("bnpl.payments")

CHUNK = 1000


def import_statement_file(services, data: bytes) -> service.ImportSummary:
    """Book every statement of the file, 1,000 entries per transaction, while the rest of the
    file is still being read: a large import holds no locks for long and does not hold back
    the event feed. A file that is not well-formed books nothing (a CAMT file is checked
    whole first: a file cut off is not), nor does one that is no statement at all (that shows
    at its first entry). Should the parser still give up partway, what was booked stays and
    the summary says so (`cut_short`). Stopped halfway, importing the file again books just
    the rest. Never raises: what could not be read or booked is in the summary."""
    with _long_lived_objects_left_alone():
        reading = _Reading(data)
        summaries = [_book_statement(services, parts) for _, parts in groupby(reading, key=attrgetter("number"))]
    if reading.error and not summaries:
        return service.ImportSummary([], error=reading.error)
    return service.ImportSummary(summaries, cut_short=reading.error)


class _Reading:
    """The file's statements, a part at a time as they are read; should reading fail on the
    way, the parts end there and `error` says why."""

    def __init__(self, data: bytes):
        self.data, self.error = data, None

    def __iter__(self) -> Iterator[StatementPart]:
        try:
            yield from service.statement_parts(self.data, batch=CHUNK)
        except StatementError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a parser's own failure: told, not a traceback
            log.exception("A statement file could not be read")
            self.error = f"the file could not be read ({type(exc).__name__}: {exc})"


@contextmanager
def _long_lived_objects_left_alone():
    """The garbage collector skips what lives through the whole import (the application and
    its mappings): a full collection walks every object not frozen, and an import of 100,000
    entries sets off many (when the whole statement was held, they took a tenth of its time).
    Objects already frozen by someone else stay so."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


def _book_statement(services, parts: Iterator[StatementPart]) -> service.StatementSummary:
    """The parts of one statement in order, each in its own transaction. On PostgreSQL a part
    is written and committed on a second connection while the next one is read and decided:
    the next one's transaction writes only after that commit, and what it read is read again
    when the part before wrote something it depends on (service.Booking.depends_on), so the
    outcome is that of booking them one after the other. The statement is noted as read
    (dunning looks for that) only when it was read to its end."""
    first = next(parts)
    statement = first.statement
    summary = service.StatementSummary(statement.id, statement.account_iban, statement.format)
    read, ended = service.StatementRead(statement.id), False
    with _writer(services) as writer:
        writing: _Chunk | None = None
        for part in chain([first], parts):
            statement, transactions, ended = part.statement, part.statement.transactions, part.last
            read.add(transactions)
            if not transactions:
                continue
            fresh_reads = writing is None or writing.done()  # what it wrote is committed: read as is
            chunk = _Chunk.prepare(services, statement, transactions)
            if writing is not None:
                summary.add(writing.result())
                if chunk is not None and (writing.failed or not fresh_reads and chunk.depends_on(writing)):
                    chunk.discard()
                    chunk = _Chunk.prepare(services, statement, transactions)
            writing = writer(chunk) if chunk is not None else _Chunk.sequential(services, statement, transactions)
        if writing is not None:
            summary.add(writing.result())
    if ended:
        with unit_of_work(services) as uow:
            service.record_read(uow, read=read)
    return summary


class _Chunk:
    """One chunk's transaction: prepared (read and decided, nothing written) on this thread,
    then written and committed, perhaps on the writer's thread; result() waits for that and
    falls back to booking the entries one by one if it failed."""

    def __init__(self, services, statement: Statement, transactions: list[Transaction]):
        self.services, self.statement, self.transactions = services, statement, transactions
        self.booking: service.Booking | None = None
        self.future: Future | None = None
        self.failed = False
        self._transaction = ExitStack()

    @classmethod
    def prepare(cls, services, statement: Statement, transactions: list[Transaction]) -> "_Chunk | None":
        """None when deciding already fails (the chunk is then booked one by one)."""
        chunk = cls(services, statement, transactions)
        try:
            uow = chunk._transaction.enter_context(unit_of_work(services))
            chunk.booking = service.Booking(uow, statement=statement, transactions=transactions)
        except Exception:  # noqa: BLE001 - booked one by one, below, which reports it
            chunk.discard()
            return None
        return chunk

    @classmethod
    def sequential(cls, services, statement: Statement, transactions: list[Transaction]) -> "_Chunk":
        chunk = cls(services, statement, transactions)
        chunk.future = Future()
        try:
            chunk.future.set_result(_book_chunk(services, statement, transactions))
        except Exception:  # noqa: BLE001 - a single entry that cannot be booked: refused, with why
            chunk.future.set_result(_book_one_by_one(services, statement, transactions))
        return chunk

    def commit(self) -> service.StatementSummary:
        with self._transaction:
            self.booking.write()
        return self.booking.summary

    def discard(self) -> None:
        """Roll back unwritten: what it read is stale."""
        self._transaction.__exit__(_Stale, _Stale(), None)

    def done(self) -> bool:
        return self.future is not None and self.future.done()

    def depends_on(self, earlier: "_Chunk") -> bool:
        return earlier.booking is None or self.booking.depends_on(earlier.booking)

    def result(self) -> service.StatementSummary:
        try:
            return self.future.result()
        except Exception:  # noqa: BLE001 - any failure: one by one, as _book_chunk does
            self.failed = True
            log.exception("Booking statement %s in one go failed; booking its entries one by one", self.statement.id)
            return _book_one_by_one(self.services, self.statement, self.transactions)


def _overlapping(services) -> bool:
    return services.engine.dialect.name == "postgresql"


class _Stale(Exception):
    """A prepared chunk is dropped: the chunk before it changed what it read."""


@contextmanager
def _writer(services):
    """Runs a prepared chunk's commit: on PostgreSQL on a thread of its own (its connection
    waits for the server while this thread decides the next chunk), elsewhere at once
    (SQLite lets one transaction write at a time: nothing to overlap)."""
    if not _overlapping(services):
        def at_once(chunk: _Chunk) -> _Chunk:
            chunk.future = Future()
            try:
                chunk.future.set_result(chunk.commit())
            except Exception as exc:  # noqa: BLE001 - handled by result()
                chunk.future.set_exception(exc)
            return chunk
        yield at_once
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="statement-writer") as pool:
        def on_thread(chunk: _Chunk) -> _Chunk:
            chunk.future = pool.submit(chunk.commit)
            return chunk
        yield on_thread


def _book_chunk(services, statement: Statement, transactions: list[Transaction]) -> service.StatementSummary:
    """A chunk in one transaction; should it fail, its entries one by one, so that one entry
    the code cannot book stops none of the others (it is refused, with the error)."""
    try:
        with unit_of_work(services) as uow:
            return service.book_transactions(uow, statement=statement, transactions=transactions)
    except Exception:  # noqa: BLE001 - any failure: retry per entry, below
        if len(transactions) == 1:
            raise
        log.exception("Booking statement %s in one go failed; booking its entries one by one", statement.id)
    return _book_one_by_one(services, statement, transactions)


def _book_one_by_one(services, statement: Statement, transactions: list[Transaction]) -> service.StatementSummary:
    summary = service.StatementSummary(statement.id, statement.account_iban, statement.format)
    for transaction in transactions:
        try:
            summary.add(_book_chunk(services, statement, [transaction]))
        except Exception as exc:  # noqa: BLE001 - reported per entry, never as a traceback
            log.exception("Entry %s of statement %s could not be booked", transaction.describe(), statement.id)
            summary.counts["refused"] += 1
            summary.notes.append(f"refused: {transaction.describe()}: could not be booked ({type(exc).__name__}: {exc})"[:500])
    return summary


# --- the statement inbox --------------------------------------------------------------------

def import_inbox(services) -> dict[str, int]:
    """Import every file dropped in the statement inbox (BNPL_STATEMENT_INBOX), oldest first,
    moving each to processed/ or, when nothing of it could be read or reading stopped
    partway, to failed/, with the import's report next to it (<name>.report.txt). A file
    still being written should get its name when complete (copy as .part or .tmp, then
    rename): those are left alone."""
    inbox = services.settings.statement_inbox
    if not inbox:
        return {}
    inbox = Path(inbox)
    done = {"processed": 0, "failed": 0}
    for path in _waiting(inbox):
        summary = import_statement_file(services, path.read_bytes())
        outcome = "failed" if summary.failed else "processed"
        _move_with_report(path, inbox / outcome, str(summary))
        done[outcome] += 1
    return done


def _waiting(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    files = [p for p in inbox.iterdir()
             if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in (".part", ".tmp")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def _move_with_report(path: Path, folder: Path, report: str) -> None:
    """Into the folder under a name not taken yet (the same file name may come every day)."""
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{n}{path.suffix}"
    target.with_name(target.name + ".report.txt").write_text(report + "\n", encoding="utf-8")
    path.replace(target)
