"""The statement inbox (BNPL_STATEMENT_INBOX, bnpl/payments/jobs.py import_inbox): files the
bank or an operator drops there are imported by the scheduler, then moved to processed/ or,
when nothing of them could be read, to failed/, each with the import's report beside it."""
from __future__ import annotations

import dataclasses

import pytest

from bnpl.payments import jobs
from tests.payments import camt_files as files
from tests.payments.flows import invoice, parser_gives_up_after_one_entry, ship


@pytest.fixture
def inbox(services, tmp_path, monkeypatch):
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setattr(services, "settings", dataclasses.replace(services.settings, statement_inbox=folder))
    return folder


def test_a_statement_dropped_in_the_inbox_is_booked_and_moved_to_processed_with_its_report(api, services, inbox):
    inv = ship(api)
    (inbox / "day.xml").write_bytes(files.statement(files.payment(inv["total"], rf=inv["payment_reference"]),
                                                    statement_id="DAY-1"))

    assert jobs.import_inbox(services) == {"processed": 1, "failed": 0}

    assert invoice(api, inv["id"])["status"] == "paid"
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    assert (inbox / "processed" / "day.xml").exists()
    assert "Statement DAY-1 (camt.053" in (inbox / "processed" / "day.xml.report.txt").read_text()


def test_a_file_that_cannot_be_read_goes_to_failed_with_why(services, inbox):
    (inbox / "letter.pdf").write_bytes(b"%PDF-1.7 not a statement")

    assert jobs.import_inbox(services) == {"processed": 0, "failed": 1}

    assert "Not a bank statement" in (inbox / "failed" / "letter.pdf.report.txt").read_text()


def test_the_same_file_name_on_another_day_keeps_both_and_books_nothing_twice(api, services, inbox):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"]))
    for _ in range(2):
        (inbox / "export.xml").write_bytes(data)
        jobs.import_inbox(services)

    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "export.2.xml", "export.2.xml.report.txt", "export.xml", "export.xml.report.txt"]
    assert "1 already imported" in (inbox / "processed" / "export.2.xml.report.txt").read_text()
    assert invoice(api, inv["id"])["paid"] == inv["total"]


def test_a_file_still_being_copied_is_left_for_the_next_pass(services, inbox):
    (inbox / "day.xml.part").write_bytes(b"<Document")

    assert jobs.import_inbox(services) == {"processed": 0, "failed": 0}
    assert (inbox / "day.xml.part").exists()


def test_without_an_inbox_configured_the_pass_does_nothing(services):
    assert jobs.import_inbox(services) == {}


def test_the_inbox_is_set_by_bnpl_statement_inbox(tmp_path):
    from bnpl.config import Settings

    assert Settings.from_env({"BNPL_STATEMENT_INBOX": str(tmp_path)}).statement_inbox == tmp_path
    assert Settings.from_env({}).statement_inbox is None


def test_a_file_the_parser_gives_up_on_partway_goes_to_failed_and_keeps_what_was_booked(api, services, inbox,
                                                                                          monkeypatch):
    parser_gives_up_after_one_entry(monkeypatch)
    first, second = ship(api), ship(api)
    (inbox / "day.xml").write_bytes(files.statement(files.payment(first["total"], rf=first["payment_reference"]),
                                                    files.payment(second["total"], rf=second["payment_reference"])))

    assert jobs.import_inbox(services) == {"processed": 0, "failed": 1}

    assert "Reading stopped partway" in (inbox / "failed" / "day.xml.report.txt").read_text()
    assert (invoice(api, first["id"])["status"], invoice(api, second["id"])["status"]) == ("paid", "open")
