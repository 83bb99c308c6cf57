"""Batch work of the payments feature: thin, chunked, safe to run again."""
from __future__ import annotations

from collections import Counter

from bnpl.payments import service
from bnpl.uow import unit_of_work

CHUNK = 1000


def import_statement_file(services, data: bytes) -> service.ImportSummary:
    """Read the whole statement first (a bad file books nothing), then book it 1,000 entries
    per transaction: a large import holds no locks for long and does not hold back the event
    feed. Stopped halfway, importing the file again books just the rest."""
    with unit_of_work(services) as uow:
        statement = service.read_statement(uow, data=data)
    counts: Counter = Counter()
    for start in range(0, len(statement.transactions), CHUNK):
        with unit_of_work(services) as uow:
            counts += service.book_transactions(uow, statement=statement,
                                                transactions=statement.transactions[start:start + CHUNK])
    with unit_of_work(services) as uow:
        service.record_import(uow, statement=statement)
    return service.ImportSummary(statement.id, counts)
