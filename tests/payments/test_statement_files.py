"""Importing what banks really send (issue 16): statement files with many statements and no
bank references, exported again or for an overlapping period; money that is owed back (paid
twice, paid for a credited invoice); a returned debit; what the operator reads, and the
command that never shows a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bnpl.cli import main
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.payments import camt, jobs, service
from bnpl.payments.models import Payment
from bnpl.uow import unit_of_work
from tests import factories
from tests.outbox import deliver_outbox
from tests.payments import camt_files as files
from tests.payments.flows import invoice, ship


def import_(services, data: bytes) -> dict:
    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)
    return {k: v for k, v in summary.counts.items() if v}


def figures(inv: dict) -> tuple:
    return inv["status"], inv["paid"], inv["balance"], inv["refund_owed"]


def no_refs(amount, **kw):
    """A payment as many banks report it: neither NtryRef nor AcctSvcrRef."""
    return files.payment(amount, reference=None, entry_reference=None, **kw)


def consumer_mails(services, kind: str) -> list[OutboxMessage]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == EMAIL,
                                                                OutboxMessage.kind == kind)))


# --- nothing booked twice, without bank references ----------------------------------------

def test_the_same_day_exported_again_under_another_statement_id_books_nothing_new(api, services):
    inv = ship(api)
    entries = [no_refs(inv["total"], rf=inv["payment_reference"]), no_refs(777, text="onbekend")]
    assert import_(services, files.statement(*entries, statement_id="EXPORT-1")) == {"booked": 1, "unmatched": 1}

    assert import_(services, files.statement(*entries, statement_id="EXPORT-2")) == {"already imported": 2}

    assert figures(invoice(api, inv["id"])) == ("paid", inv["total"], 0, 0)


def test_an_overlapping_period_books_only_the_days_not_read_before(api, services):
    first, second = ship(api), ship(api)
    monday = no_refs(first["total"], rf=first["payment_reference"], booked_on=date(2026, 11, 23))
    tuesday = no_refs(second["total"], rf=second["payment_reference"], booked_on=date(2026, 11, 24))
    import_(services, files.statement(monday, statement_id="MON"))

    assert import_(services, files.combined(files.statement(monday, statement_id="MON-AGAIN"),
                                            files.statement(tuesday, statement_id="TUE"))) == {
        "already imported": 1, "booked": 1}


def test_two_identical_payments_on_one_statement_are_both_booked(api, services):
    inv = ship(api, lines=[factories.line(unit_price=5000)])
    half = [no_refs(2500, rf=inv["payment_reference"]), no_refs(2500, rf=inv["payment_reference"])]

    assert import_(services, files.statement(*half)) == {"booked": 2}

    assert figures(invoice(api, inv["id"])) == ("paid", 5000, 0, 0)


def test_every_statement_of_a_file_is_booked_and_summed_up_on_its_own(api, services):
    a, b = ship(api), ship(api)
    data = files.combined(files.statement(files.payment(a["total"], rf=a["payment_reference"]), statement_id="DAY-1"),
                          files.statement(files.payment(b["total"], rf=b["payment_reference"]),
                                          files.debit(5000), statement_id="DAY-2"))

    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)

    assert [(s.statement_id, dict(+s.counts)) for s in summary.statements] == [
        ("DAY-1", {"booked": 1}), ("DAY-2", {"booked": 1, "ignored": 1})]
    assert "ignored: 2026-11-23 -50.00 EUR Fietsenwinkel Utrecht Uitbetaling november 2026: money out" in str(summary)
    assert (invoice(api, a["id"])["status"], invoice(api, b["id"])["status"]) == ("paid", "paid")


# --- money owed back ---------------------------------------------------------------------

def test_a_second_transfer_for_a_paid_invoice_becomes_a_refund_owed_exported_and_told(api, services):
    inv = ship(api)
    import_(services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))

    again = files.payment(inv["total"], rf=inv["payment_reference"], booked_on=date(2026, 11, 25))

    assert import_(services, files.statement(again)) == {"refund owed": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", 2 * inv["total"], 0, inv["total"])
    [told] = [m for m in consumer_mails(services, "payment_received") if m.payload["data"]["refund_owed"]]
    assert told.payload["data"]["refund_owed"] == inv["total"]
    deliver_outbox(services)
    sent = [p.read_bytes().decode() for p in (services.settings.instance_path / "outbox").rglob("*.eml")]
    assert any("meer betaald dan u verschuldigd was" in mail or "more than you owed" in mail
               for mail in sent), "the consumer is told a refund is coming"
    with unit_of_work(services) as uow:
        refunds = service.export_refunds(uow, execution_date=date(2026, 12, 1), livemode=False)
    assert (refunds.count, refunds.total_cents) == (1, inv["total"])


def test_a_payment_for_a_fully_credited_invoice_is_owed_back_whole(api, services):
    inv = ship(api, lines=[factories.line("A", quantity=1, unit_price=3000)])
    returned = api.post(f"/orders/{inv['order_id']}/returns",
                        json={"status": "received", "lines": [{"reference": "A", "quantity": 1}]})
    assert returned.status_code == 201, returned.json

    assert import_(services, files.statement(files.payment(3000, rf=inv["payment_reference"]))) == {
        "refund owed": 1}

    assert figures(invoice(api, inv["id"]))[1:] == (3000, 0, 3000)
    deliver_outbox(services)
    [told] = consumer_mails(services, "payment_received")
    assert told.status == "delivered", told.outcome
    with unit_of_work(services) as uow:
        assert service.export_refunds(uow, execution_date=date(2026, 12, 1), livemode=False).total_cents == 3000


def test_a_returned_direct_debit_with_its_reason_reopens_the_invoice(api, services):
    inv = ship(api)
    import_(services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))

    assert import_(services, files.statement(files.returned(inv["total"], rf=inv["payment_reference"],
                                                            reason="AM04"))) == {"booked": 1}

    assert figures(invoice(api, inv["id"])) == ("open", 0, inv["total"], 0)
    with services.sessionmaker() as session:
        back = session.scalars(select(Payment).where(Payment.amount_cents < 0)).one()
    assert (back.method, back.note) == ("direct_debit", "sent back by the payer's bank, reason AM04")


# --- the command ----------------------------------------------------------------------------

@pytest.fixture
def run(services, settings):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}

    def invoke(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return invoke


def test_the_command_books_a_second_transfer_for_a_paid_invoice_as_a_refund_owed(api, services, settings, tmp_path):
    """`bnpl payments import` once crashed here (NoReferencedTableError invoices.consumer_id →
    consumers) and booked nothing of the statement. Run as the operator runs it: its own process."""
    inv = ship(api)
    import_(services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))
    path = tmp_path / "second.xml"
    path.write_bytes(files.statement(files.payment(inv["total"], rf=inv["payment_reference"],
                                                   booked_on=date(2026, 11, 26))))

    done = subprocess.run([sys.executable, "-c", "from bnpl.cli import main; main()", "payments", "import", str(path)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "x",
                               "BNPL_INSTANCE_PATH": str(settings.instance_path)})

    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-800:]
    assert "1 refund owed" in done.stdout
    assert figures(invoice(api, inv["id"]))[3] == inv["total"]


def test_the_command_exits_nonzero_only_when_nothing_could_be_read(api, services, run, tmp_path):
    all_foreign = tmp_path / "usd.xml"
    all_foreign.write_bytes(files.statement(files.payment(1999, text="x", currency="USD"), currency="USD"))
    partly = tmp_path / "partly.xml"
    partly.write_bytes(files.statement(files.payment(1999, text="x"), files.payment("1.234", text="y")))
    nonsense = tmp_path / "notes.txt"
    nonsense.write_bytes(b"dear bank, hello")

    assert run("payments", "import", str(partly)).exit_code == 0
    refused = run("payments", "import", str(all_foreign))
    assert refused.exit_code != 0 and "USD" in refused.output
    unread = run("payments", "import", str(nonsense))
    assert unread.exit_code != 0 and "Not a bank statement" in unread.output


@pytest.mark.parametrize("fails_in", ["deciding", "writing"])
def test_an_entry_the_code_fails_on_is_refused_with_the_error_and_the_others_are_booked(
        api, services, monkeypatch, fails_in):
    good, bad = ship(api), ship(api)

    class Failing(service.Booking):
        def __init__(self, uow, *, statement, transactions):
            if fails_in == "deciding" and any(t.structured_reference == bad["payment_reference"] for t in transactions):
                raise RuntimeError("the database went away")
            super().__init__(uow, statement=statement, transactions=transactions)

        def write(self):
            if fails_in == "writing" and bad["payment_reference"] in {p["remittance"] for p in self.batch.payments}:
                raise RuntimeError("the database went away")
            super().write()
    monkeypatch.setattr(service, "Booking", Failing)

    summary = jobs.import_statement_file(services, files.statement(
        files.payment(good["total"], rf=good["payment_reference"]),
        files.payment(bad["total"], rf=bad["payment_reference"])))

    assert dict(+summary.counts) == {"booked": 1, "refused": 1}
    assert "could not be booked (RuntimeError: the database went away)" in str(summary)
    assert (invoice(api, good["id"])["status"], invoice(api, bad["id"])["status"]) == ("paid", "open")


# --- references wherever the payer's bank put them ------------------------------------------

@pytest.mark.parametrize("cut", [10, 15, 22])
def test_an_invoice_number_broken_over_two_remittance_lines_books_the_payment(api, services, cut):
    inv = ship(api)
    number = inv["number"]
    text = "x" * (140 - cut) + "Factuur " + number + " dank u"  # the bank breaks lines at 140
    assert number not in " ".join([text[:140], text[140:]])

    assert import_(services, files.statement(files.payment(inv["total"], text=text))) == {"booked": 1}


def test_an_rf_reference_broken_over_two_remittance_lines_books_the_payment(api, services):
    inv = ship(api)
    text = "y" * 130 + " " + inv["payment_reference"] + " bedankt"

    assert import_(services, files.statement(files.payment(inv["total"], text=text))) == {"booked": 1}


def test_a_parser_failure_is_told_in_a_sentence_not_a_traceback(services, run, tmp_path, monkeypatch):
    def broken(data, batch=None):
        raise RuntimeError("parser blew up")
    monkeypatch.setattr(camt, "read", broken)
    path = tmp_path / "day.xml"
    path.write_bytes(files.statement(files.payment(1000, text="x")))

    result = run("payments", "import", str(path))

    assert result.exit_code == 1
    assert "the file could not be read (RuntimeError: parser blew up)" in result.output
    assert "Traceback" not in result.output


def test_a_database_that_went_away_is_told_in_a_sentence(services, run, tmp_path, monkeypatch):
    def gone(services, data):
        raise ConnectionError("server closed the connection")
    monkeypatch.setattr(jobs, "import_statement_file", gone)
    path = tmp_path / "day.xml"
    path.write_bytes(files.statement(files.payment(1000, text="x")))

    result = run("payments", "import", str(path))

    assert result.exit_code == 1 and "the import stopped (ConnectionError" in result.output


# --- a statement's cost does not grow per entry -----------------------------------------------

def _people_paying(api, n: int) -> list[dict]:
    return [ship(api, consumer=factories.consumer(name=f"Klant {i}", email=f"klant{i}@example.nl"))
            for i in range(n)]


def test_booking_more_payments_of_more_people_takes_no_more_reads(api, services):
    """What a statement looks up (invoices, persons, known accounts) is read per batch, not per
    entry; new rows (payments, events, links) are written per batch too, which SQLite's driver
    sends row by row, so only the reads are counted here."""
    from tests.notifications.test_statement_counts import counted

    def statements_for(invoices) -> int:
        data = files.statement(*[files.payment(i["total"], rf=i["payment_reference"], iban=f"NL{n:02d}INGB000123456{n}")
                                 for n, i in enumerate(invoices)])
        with counted(services.engine) as statements:
            import_(services, data)
        return sum(1 for statement in statements if statement.lstrip().upper().startswith("SELECT"))

    few, many = statements_for(_people_paying(api, 2)), statements_for(_people_paying(api, 6))

    assert many == few


def test_each_invoice_paid_by_a_statement_counts_for_its_persons_limit(api, services):
    from bnpl.invoices import queries as invoice_queries
    from bnpl.risk import service as risk

    same_person = [ship(api), ship(api)]
    import_(services, files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in same_person]))

    with unit_of_work(services) as uow:
        consumer_id, _ = invoice_queries.consumer_and_due_date(uow, invoice_id=same_person[0]["id"])
        person = risk.person_of(uow, consumer_id=consumer_id, livemode=False)
        assert person.paid_on_time == 2


def test_two_identical_payments_in_two_files_merge_and_the_days_full_statement_books_the_second(api, services):
    """The fingerprint's one blind spot (tests/payments/data/README.md) and what the operator
    does: the same person pays the same amount with the same text twice on one day, each
    reported in its own intraday notification; the day's statement holds both."""
    inv = ship(api, lines=[factories.line(unit_price=5000)])
    twin = no_refs(2500, rf=inv["payment_reference"])
    morning, afternoon = (files.as_camt054(files.statement(twin, statement_id=i)) for i in ("NTF-1", "NTF-2"))
    assert import_(services, morning) == {"booked": 1}
    assert import_(services, afternoon) == {"already imported": 1}  # wrongly merged

    assert import_(services, files.statement(twin, twin, statement_id="DAY")) == {"already imported": 1, "booked": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", 5000, 0, 0)
