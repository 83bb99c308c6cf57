"""Real statement files, as banks and bank-format libraries wrote them (tests/payments/data,
sources and licences in its README): every entry in the file is read, each is accounted for
in the summary, and importing the file twice books nothing new.

The entries in a file are counted here without the importer: CAMT by XPath (an entry is one
transaction, or one per TxDtls when each of several carries its own amount), MT940 by its
:61: lines."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from bnpl.payments import service
from bnpl.payments.models import Payment
from bnpl.uow import unit_of_work

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".xml", ".sta"))
NOT_COUNTED = ("already imported",)


def entries_in(name: str) -> int:
    data = (DATA / name).read_bytes()
    if name.endswith(".sta"):
        return len(re.findall(rb"^:61:", data, re.MULTILINE))
    root = etree.fromstring(data)
    total = 0
    for entry in root.xpath("//*[local-name()='Ntry']"):
        details = entry.xpath("./*[local-name()='NtryDtls']/*[local-name()='TxDtls']")
        own = [d for d in details if d.xpath("./*[local-name()='AmtDtls']/*[local-name()='TxAmt'] | ./*[local-name()='Amt']")]
        total += len(details) if len(details) > 1 and len(own) == len(details) else 1
    return total


def import_(services, name: str) -> service.ImportSummary:
    with unit_of_work(services) as uow:
        return service.import_statement(uow, data=(DATA / name).read_bytes())


def payment_count(services) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Payment))


def test_there_are_at_least_eight_samples_of_four_banks_in_two_formats():
    readme = (DATA / "README.md").read_text()
    assert len(SAMPLES) >= 8
    assert all(name in readme for name in SAMPLES)
    assert {name.split("-")[0] for name in SAMPLES} >= {"camt053", "camt054", "mt940"}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_entry_of_a_real_file_is_read(services, name):
    with unit_of_work(services) as uow:
        statements = service.read_statements(uow, data=(DATA / name).read_bytes())

    assert sum(len(s.transactions) for s in statements) == entries_in(name)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_entry_of_a_real_file_is_accounted_for_and_a_second_import_books_nothing_new(services, name):
    first = import_(services, name)
    stored = payment_count(services)

    second = import_(services, name)

    assert sum(first.counts.values()) == entries_in(name), str(first)
    assert payment_count(services) == stored
    new = {k: v for k, v in second.counts.items() if v and k not in ("already imported", "refused", "ignored")}
    assert new == {}, str(second)
    assert second.counts["already imported"] == stored


@pytest.mark.parametrize("name", SAMPLES)
def test_a_real_file_booked_while_it_is_read_a_part_at_a_time_books_as_it_does_in_one_go(
        services, monkeypatch, name):
    """What `bnpl payments import` runs (jobs.import_statement_file), with parts of a single
    entry, against the same file booked in one transaction, each into an empty database."""
    from bnpl.payments import jobs
    from bnpl.payments.models import StatementImport
    from tests.conftest import _empty_all_tables

    def statements_noted():
        with services.sessionmaker() as session:
            return sorted(session.execute(select(StatementImport.statement_id, StatementImport.entries)).all())

    in_one_go = import_(services, name)
    noted_in_one_go = statements_noted()
    _empty_all_tables(services.engine)
    monkeypatch.setattr(jobs, "CHUNK", 1)

    in_parts = jobs.import_statement_file(services, (DATA / name).read_bytes())

    assert [(s.statement_id, +s.counts) for s in in_parts.statements] == \
        [(s.statement_id, +s.counts) for s in in_one_go.statements]
    assert statements_noted() == noted_in_one_go
