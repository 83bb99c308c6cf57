"""Batch work of the payments feature: thin, chunked, safe to run again."""
from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from pathlib import Path

from bnpl.payments import service
from bnpl.payments.statements import Statement, StatementError, Transaction
from bnpl.uow import unit_of_work

log = logging.getLogger("bnpl.payments")

CHUNK = 1000


def import_statement_file(services, data: bytes) -> service.ImportSummary:
    """Read the whole file first (a file that cannot be read books nothing), then book each
    statement 1,000 entries per transaction: a large import holds no locks for long and does
    not hold back the event feed. Stopped halfway, importing the file again books just the
    rest. Never raises: what could not be read or booked is in the summary."""
    with _long_lived_objects_left_alone():
        try:
            with unit_of_work(services) as uow:
                statements = service.read_statements(uow, data=data)
        except StatementError as exc:
            return service.ImportSummary([], error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a parser's own failure: told, not a traceback
            log.exception("A statement file could not be read")
            return service.ImportSummary([], error=f"the file could not be read ({type(exc).__name__}: {exc})")
        gc.freeze()  # the statement's transactions too: they live till the end
        return service.ImportSummary([_book_statement(services, statement) for statement in statements])


@contextmanager
def _long_lived_objects_left_alone():
    """The garbage collector skips what lives through the whole import (the application, the
    statement read): with 100,000 entries, walking them again at every full collection took
    a tenth of the import's time. Objects already frozen by someone else stay so."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


def _book_statement(services, statement: Statement) -> service.StatementSummary:
    summary = service.StatementSummary(statement.id, statement.account_iban, statement.format)
    for start in range(0, len(statement.transactions), CHUNK):
        summary.add(_book_chunk(services, statement, statement.transactions[start:start + CHUNK]))
    with unit_of_work(services) as uow:
        service.record_import(uow, statement=statement)
    return summary


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
    moving each to processed/ or, when nothing of it could be read, to failed/, with the
    import's report next to it (<name>.report.txt). A file still being written should get
    its name when complete (copy as .part or .tmp, then rename): those are left alone."""
    inbox = services.settings.statement_inbox
    if not inbox:
        return {}
    inbox = Path(inbox)
    done = {"processed": 0, "failed": 0}
    for path in _waiting(inbox):
        summary = import_statement_file(services, path.read_bytes())
        outcome = "failed" if summary.nothing_read else "processed"
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
