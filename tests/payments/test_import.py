"""Importing a bank statement (bnpl/payments/service.py import_statement, and `bnpl payments
import`): which invoice each credit pays, what is only proposed or left for a person, and what
the consumer then gets (the invoice's figures, its PDF, the e-mails that go or are held back).

Invoices come from shipping orders through the merchant API; statements are CAMT.053 files
built by tests/payments/camt_files.py."""
from __future__ import annotations

import io
import threading

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from bnpl import i18n
from bnpl.cli import main
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.payments import service
from bnpl.payments.camt import StatementError
from bnpl.payments.models import Payment
from bnpl.uow import unit_of_work
from tests import factories
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's
from tests.payments.flows import invoice, parser_gives_up_after_one_entry, ship
from tests.payments import camt_files as files

PAID_ON = files.BOOKED_ON


def import_(services, data: bytes) -> dict:
    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)
    return {k: v for k, v in summary.counts.items() if v}


def payments(services) -> list[Payment]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(Payment).order_by(Payment.created_at, Payment.id)))


def mails(services, **where) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.channel == EMAIL)
    for column, value in where.items():
        query = query.where(getattr(OutboxMessage, column) == value)
    with services.sessionmaker() as session:
        return list(session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def figures(inv: dict) -> tuple:
    return inv["status"], inv["paid"], inv["balance"], inv["refund_owed"]


# --- booking by reference or number -------------------------------------------------------

def test_the_structured_rf_reference_books_the_payment_and_the_invoice_is_paid(api, services):
    inv = ship(api, lines=factories.three_lines())
    entry = files.payment(inv["total"], rf=inv["payment_reference"])

    assert import_(services, files.statement(entry)) == {"booked": 1}

    after = invoice(api, inv["id"])
    assert figures(after) == ("paid", inv["total"], 0, 0)
    [applied] = after["payments"]
    assert (applied["amount"], applied["method"], applied["paid_on"]) == (inv["total"], "bank_transfer", "2026-11-23")
    [payment] = payments(services)
    assert (payment.status, payment.matched_by, payment.invoice_id) == ("booked", "reference", inv["id"])
    assert payment.external_id.startswith("fp:")  # the fingerprint (tests/payments/data/README.md)
    assert applied["payment_id"] == payment.id
    assert (payment.payer_name, payment.payer_iban) == (files.PAYER_NAME, files.PAYER_IBAN)


def test_the_invoice_number_in_the_free_text_books_the_payment(api, services):
    inv = ship(api)
    entry = files.payment(inv["total"], text=f"Factuur {inv['number']} bestelling fiets, dank u wel")

    assert import_(services, files.statement(entry)) == {"booked": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", inv["total"], 0, 0)
    assert payments(services)[0].matched_by == "invoice_number"


def test_an_rf_reference_typed_in_the_free_text_in_groups_of_four_books_the_payment(api, services):
    inv = ship(api)
    entry = files.payment(inv["total"], text=files.spaced(inv["payment_reference"]))  # "RF19 TEST 2026 0000 01"

    assert import_(services, files.statement(entry)) == {"booked": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", inv["total"], 0, 0)
    assert payments(services)[0].matched_by == "reference"


def test_an_rf_reference_with_spaces_inside_a_sentence_books_the_payment(api, services):
    inv = ship(api)
    entry = files.payment(inv["total"], text=f"Betaling {files.spaced(inv['payment_reference'])} bedankt")

    assert import_(services, files.statement(entry)) == {"booked": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", inv["total"], 0, 0)


def test_a_partial_payment_lowers_the_balance_and_the_invoice_stays_open(api, services):
    inv = ship(api, lines=factories.three_lines())

    assert import_(services, files.statement(files.payment(2000, rf=inv["payment_reference"]))) == {"booked": 1}

    assert figures(invoice(api, inv["id"])) == ("open", 2000, inv["total"] - 2000, 0)


def test_two_partial_payments_on_one_statement_add_up_to_paid(api, services):
    inv = ship(api, lines=factories.three_lines())
    first, rest = 2000, inv["total"] - 2000
    data = files.statement(files.payment(first, rf=inv["payment_reference"]),
                           files.payment(rest, text=f"restant {inv['number']}"))

    assert import_(services, data) == {"booked": 2}

    after = invoice(api, inv["id"])
    assert figures(after) == ("paid", inv["total"], 0, 0)
    assert sorted(p["amount"] for p in after["payments"]) == sorted([first, rest])


def test_paying_too_much_closes_the_invoice_and_leaves_a_refund_owed(api, services):
    inv = ship(api)

    assert import_(services, files.statement(files.payment(inv["total"] + 1000, rf=inv["payment_reference"]))) == {
        "refund owed": 1}

    assert figures(invoice(api, inv["id"])) == ("paid", inv["total"] + 1000, 0, 1000)


def test_a_payment_for_an_invoice_of_another_merchant_books_on_that_invoice(api, other_api, services):
    mine, theirs = ship(api), ship(other_api)

    assert import_(services, files.statement(files.payment(theirs["total"], rf=theirs["payment_reference"]))) == {
        "booked": 1}

    assert invoice(other_api, theirs["id"])["status"] == "paid"
    assert invoice(api, mine["id"])["status"] == "open"
    assert payments(services)[0].merchant_id == other_api.merchant_id


# --- proposals and what is left over ------------------------------------------------------

def test_same_amount_and_name_is_only_proposed_and_the_invoice_keeps_its_balance(api, services):
    inv = ship(api)
    entry = files.payment(inv["total"], text="bestelling fiets", name="SANNE DE VRIES")

    assert import_(services, files.statement(entry)) == {"proposed": 1}

    assert figures(invoice(api, inv["id"])) == ("open", 0, inv["total"], 0)
    assert invoice(api, inv["id"])["payments"] == []
    [payment] = payments(services)
    assert (payment.status, payment.matched_by, payment.invoice_id) == ("proposed", "amount_and_name", inv["id"])


def test_two_invoices_with_the_same_name_and_amount_leave_the_payment_unmatched(api, services):
    first, second = ship(api), ship(api)
    assert first["total"] == second["total"] and first["billed_to"]["name"] == second["billed_to"]["name"]
    entry = files.payment(first["total"], text="bestelling", name="Sanne de Vries")

    assert import_(services, files.statement(entry)) == {"unmatched": 1}

    assert [invoice(api, i["id"])["balance"] for i in (first, second)] == [first["total"], second["total"]]
    [payment] = payments(services)
    assert (payment.status, payment.invoice_id) == ("unmatched", None)


def test_a_payment_that_names_nothing_known_is_unmatched(api, services):
    inv = ship(api)
    entry = files.payment(1234, text="cadeau verjaardag", name="J. Jansen", iban="NL69INGB0123456789")

    assert import_(services, files.statement(entry)) == {"unmatched": 1}

    assert invoice(api, inv["id"])["balance"] == inv["total"]
    [payment] = payments(services)
    assert (payment.status, payment.invoice_id, payment.amount_cents, payment.remittance) == (
        "unmatched", None, 1234, "cadeau verjaardag")


def test_money_out_is_ignored(api, services):
    inv = ship(api)
    entry = files.debit(inv["total"], text=f"Terugbetaling {inv['number']}")

    assert import_(services, files.statement(entry)) == {"ignored": 1}

    assert figures(invoice(api, inv["id"])) == ("open", 0, inv["total"], 0)
    [payment] = payments(services)
    assert (payment.status, payment.amount_cents, payment.invoice_id) == ("ignored", -inv["total"], None)


def test_one_statement_sorts_each_entry_on_its_own(api, services):
    paid, proposed = ship(api), ship(api, consumer=factories.consumer(name="Jan Jansen", email="jan@example.nl"),
                                      lines=[factories.line(unit_price=4250)])
    data = files.statement(
        files.payment(paid["total"], rf=paid["payment_reference"]),
        files.payment(proposed["total"], name="Jan Jansen"),
        files.payment(999, text="onbekend", name="Iemand Anders"),
        files.debit(5000),
        files.payment(100, text="nog onderweg", status="PDNG"))

    assert import_(services, data) == {"booked": 1, "proposed": 1, "unmatched": 1, "ignored": 2}  # a debit, a pending


# --- importing again, and files that are refused -----------------------------------------

def test_importing_the_same_statement_again_books_nothing_new(api, services):
    inv = ship(api, lines=factories.three_lines())
    data = files.statement(files.payment(2000, rf=inv["payment_reference"]), files.payment(777, text="onbekend"))
    assert import_(services, data) == {"booked": 1, "unmatched": 1}
    before = invoice(api, inv["id"])

    assert import_(services, data) == {"already imported": 2}

    assert invoice(api, inv["id"]) == before
    assert figures(before) == ("open", 2000, inv["total"] - 2000, 0)
    assert len(payments(services)) == 2


def test_a_statement_in_another_currency_is_refused_and_nothing_is_stored(api, services):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"], currency="USD"),
                           currency="USD")

    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)

    assert dict(+summary.counts) == {"refused": 1} and summary.nothing_read
    assert "the account is in USD; this provider books EUR (not converted)" in str(summary)

    assert payments(services) == []
    assert figures(invoice(api, inv["id"])) == ("open", 0, inv["total"], 0)


def test_an_entry_in_another_currency_on_a_euro_account_is_refused_and_the_others_booked(api, services):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"]),
                           files.payment(2500, text="from abroad", currency="USD"))

    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)

    assert dict(+summary.counts) == {"booked": 1, "refused": 1}
    assert "refused: 2026-11-23 25.00 USD Sanne de Vries from abroad: the amount is in USD" in str(summary)
    assert [p.amount_cents for p in payments(services)] == [inv["total"]]


def test_an_entry_the_bank_repeats_within_one_statement_books_once(api, services):
    inv = ship(api, lines=factories.three_lines())
    entry = files.payment(2000, rf=inv["payment_reference"])

    assert import_(services, files.statement(entry, entry)) == {"booked": 1, "already imported": 1}

    assert invoice(api, inv["id"])["paid"] == 2000


def test_a_file_that_is_no_statement_books_nothing(api, services):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"]))

    with pytest.raises(StatementError):
        import_(services, data[: len(data) // 2])

    assert payments(services) == []
    assert invoice(api, inv["id"])["balance"] == inv["total"]


def test_a_bad_entry_is_refused_with_why_and_the_good_ones_are_booked(api, services):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"]), files.payment("12.345"))

    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)

    assert dict(+summary.counts) == {"booked": 1, "refused": 1}
    assert "not an amount in cents: '12.345'" in str(summary)
    assert invoice(api, inv["id"])["status"] == "paid"


# --- direct debit returns -----------------------------------------------------------------

def test_a_returned_direct_debit_reopens_the_invoice_and_asks_the_consumer_to_pay_again(api, services):
    inv = ship(api)
    rf = inv["payment_reference"]
    assert import_(services, files.statement(files.collected(inv["total"], rf=rf))) == {"booked": 1}
    assert invoice(api, inv["id"])["status"] == "paid"

    assert import_(services, files.statement(files.returned(inv["total"], rf=rf, reason="MD06"))) == {"booked": 1}

    after = invoice(api, inv["id"])
    assert figures(after) == ("open", 0, inv["total"], 0)
    assert sorted(p["amount"] for p in after["payments"]) == [-inv["total"], inv["total"]]
    assert {p["method"] for p in after["payments"] if p["amount"] < 0} == {"direct_debit"}
    [returned] = mails(services, kind="payment_returned")
    assert (returned.status, returned.invoice_id, returned.recipient) == ("pending", inv["id"],
                                                                          "sanne.devries@example.nl")
    assert returned.payload["data"]["amount"] == -inv["total"]

    deliver_outbox(services)

    [returned] = mails(services, kind="payment_returned")
    assert returned.status == "delivered", (returned.outcome, returned.last_error)


def test_a_return_of_a_collection_that_was_never_booked_does_not_raise_what_is_owed(api, services):
    inv = ship(api)  # its collection was not booked here (left unmatched, or collected elsewhere)

    import_(services, files.statement(files.returned(inv["total"], rf=inv["payment_reference"])))

    after = invoice(api, inv["id"])
    assert (after["balance"], after["paid"]) == (inv["total"], 0)
    assert mails(services, kind="payment_returned") == []


def test_a_collection_and_its_return_on_one_statement_leave_the_invoice_open(api, services):
    inv = ship(api)
    rf = inv["payment_reference"]

    data = files.statement(files.collected(inv["total"], rf=rf), files.returned(inv["total"], rf=rf))

    assert import_(services, data) == {"booked": 2}
    assert figures(invoice(api, inv["id"])) == ("open", 0, inv["total"], 0)
    assert len(mails(services, kind="payment_returned")) == 1


def test_a_statement_books_the_same_figures_and_events_as_payments_booked_one_by_one(api, services):
    """The batch path (one lock, insert and update for running invoices) must end where
    apply_payment one by one ends: partly paid, paid, overpaid, two payments on one invoice."""
    from bnpl.events.models import Event

    invs = [ship(api, lines=[factories.line(unit_price=price)]) for price in (5000, 5000, 5000, 5000)]
    entries = [files.payment(2000, rf=invs[0]["payment_reference"]),
               files.payment(5000, rf=invs[1]["payment_reference"]),
               files.payment(7000, rf=invs[2]["payment_reference"]),
               files.payment(3000, rf=invs[3]["payment_reference"]),
               files.payment(2000, text=f"rest {invs[3]['number']}")]

    assert import_(services, files.statement(*entries)) == {"booked": 4, "refund owed": 1}

    assert [figures(invoice(api, inv["id"])) for inv in invs] == [
        ("open", 2000, 3000, 0), ("paid", 5000, 0, 0), ("paid", 7000, 0, 2000), ("paid", 5000, 0, 0)]
    with services.sessionmaker() as session:
        received = session.scalars(select(Event).where(Event.type == "payment.received").order_by(Event.seq)).all()
    assert [(e.data["invoice_id"], e.data["balance"], e.data["refund_owed"], e.data["status"]) for e in received] == [
        (invs[0]["id"], 3000, 0, "open"), (invs[1]["id"], 0, 0, "paid"), (invs[2]["id"], 0, 2000, "paid"),
        (invs[3]["id"], 2000, 0, "open"), (invs[3]["id"], 0, 0, "paid")]
    assert len(mails(services, kind="payment_received")) == 5


# --- what the consumer gets ---------------------------------------------------------------

def test_the_payment_is_confirmed_and_the_invoice_mail_not_yet_sent_is_held_back(api, services):
    inv = ship(api)
    [pending] = mails(services)
    assert (pending.kind, pending.status) == ("invoice_issued", "pending")
    import_(services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))
    [confirmation] = mails(services, kind="payment_received")
    assert (confirmation.status, confirmation.invoice_id) == ("pending", inv["id"])

    assert deliver_outbox(services) == {"dropped": 1, "delivered": 1}

    [issued] = mails(services, kind="invoice_issued")
    assert (issued.status, issued.outcome) == ("dropped", "invoice paid")
    [confirmation] = mails(services, kind="payment_received")
    assert confirmation.status == "delivered", (confirmation.outcome, confirmation.last_error)


def test_the_invoice_pdf_after_payment_shows_the_payment_and_that_nothing_is_left_to_pay(api, services):
    inv = ship(api)
    import_(services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))

    r = api.get(f"/invoices/{inv['id']}/pdf")

    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(r.data)).pages[0].extract_text().replace("\xa0", " ")
    paid_line = f"Betaald op {i18n.format_date(PAID_ON, 'nl')}"  # "Betaald op 23 november 2026"
    assert paid_line in text
    assert i18n.format_money(-inv["total"], "EUR", "nl").replace("\xa0", " ") in text
    assert "Er staat niets meer open" in text
    assert "Te betalen" not in text


# --- the command ----------------------------------------------------------------------------

@pytest.fixture
def run(services, settings):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}

    def invoke(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return invoke


def test_the_command_books_a_statement_and_prints_the_summary(api, services, run, tmp_path):
    inv = ship(api)
    path = tmp_path / "camt053.xml"
    path.write_bytes(files.statement(files.payment(inv["total"], rf=inv["payment_reference"]),
                                     files.payment(500, text="onbekend", name="Iemand"),
                                     statement_id="STMT-20261123"))

    result = run("payments", "import", str(path))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Statement STMT-20261123 (camt.053, NL91ABNA0417164300): 1 booked, 0 proposed, 0 refund owed, "
        "1 unmatched, 0 ignored, 0 refused, 0 already imported")
    assert invoice(api, inv["id"])["status"] == "paid"
    again = run("payments", "import", str(path))
    assert again.exit_code == 0 and "0 booked" in again.output and "2 already imported" in again.output


def test_the_command_refuses_a_bad_file_with_the_reason_and_books_nothing(api, services, run, tmp_path):
    inv = ship(api)
    data = files.statement(files.payment(inv["total"], rf=inv["payment_reference"]))
    path = tmp_path / "camt053.xml"
    path.write_bytes(data[: len(data) // 2])

    result = run("payments", "import", str(path))

    assert result.exit_code != 0
    assert "Not well-formed XML" in result.output and str(path) in result.output
    assert payments(services) == []
    assert invoice(api, inv["id"])["status"] == "open"


def test_a_file_with_an_undeclared_namespace_prefix_midway_books_nothing(api, services, run, tmp_path, monkeypatch):
    """Expat checks namespaces too: lxml would refuse the prefix only where it reaches it."""
    from bnpl.payments import jobs

    monkeypatch.setattr(jobs, "CHUNK", 1)
    invoices = [ship(api) for _ in range(3)]
    data = files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in invoices])
    path = tmp_path / "camt053.xml"
    path.write_bytes(data.replace(b"</Ntry>", b"</Ntry><x:Oops/>", 1))

    result = run("payments", "import", str(path))

    assert result.exit_code != 0 and "Not well-formed XML" in result.output
    assert payments(services) == []


def test_the_command_fails_when_reading_stopped_partway_and_keeps_what_it_booked(api, services, run, tmp_path,
                                                                                  monkeypatch):
    parser_gives_up_after_one_entry(monkeypatch)
    first, second = ship(api), ship(api)
    path = tmp_path / "camt053.xml"
    path.write_bytes(files.statement(files.payment(first["total"], rf=first["payment_reference"]),
                                     files.payment(second["total"], rf=second["payment_reference"])))

    result = run("payments", "import", str(path))

    assert result.exit_code != 0 and "Reading stopped partway" in result.output and "1 booked" in result.output
    assert (invoice(api, first["id"])["status"], invoice(api, second["id"])["status"]) == ("paid", "open")


def test_an_entry_that_can_be_booked_neither_in_its_part_nor_alone_is_refused_not_raised(api, services, monkeypatch):
    """A part of one entry whose deciding fails: it is booked on its own, and refused with why
    when that fails too; the import never raises."""
    from bnpl.payments import jobs

    class Broken(service.Booking):
        def __init__(self, *args, **kwargs):
            raise RuntimeError("cannot decide")

    monkeypatch.setattr(jobs, "CHUNK", 1)
    monkeypatch.setattr(service, "Booking", Broken)
    monkeypatch.setattr(service, "book_transactions", lambda uow, **kw: Broken())
    inv = ship(api)

    summary = jobs.import_statement_file(
        services, files.statement(files.payment(inv["total"], rf=inv["payment_reference"])))

    assert summary.counts == {"refused": 1} and "cannot decide" in str(summary)


# --- two imports at once (PostgreSQL) -------------------------------------------------------

@pytest.mark.postgres
def test_two_statements_imported_at_once_that_together_pay_an_invoice_leave_it_paid(api, services, monkeypatch):
    """Two imports (say the nightly job and an operator) each book half of one invoice. Both
    look the invoice up before either has booked; the row lock in apply_payment must then
    make the second one see the first one's payment."""
    from bnpl.invoices import queries as invoice_queries

    inv = ship(api, lines=[factories.line(unit_price=5000)])
    halves = [files.statement(files.payment(2500, rf=inv["payment_reference"])),
              files.statement(files.payment(2500, text=f"Factuur {inv['number']} deel 2"))]
    both_looked, payable_invoices, errors = threading.Barrier(2), invoice_queries.payable_invoices, []

    def find_then_wait(uow, **kw):
        found = payable_invoices(uow, **kw)
        both_looked.wait(timeout=10)  # neither has booked yet
        return found

    monkeypatch.setattr(invoice_queries, "payable_invoices", find_then_wait)

    def run_import(data):
        try:
            assert import_(services, data) == {"booked": 1}
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run_import, args=(data,)) for data in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert figures(invoice(api, inv["id"])) == ("paid", 5000, 0, 0)



def test_a_person_confirms_a_proposed_match_and_it_is_booked(api, services):
    invoice = ship(api)
    with unit_of_work(services) as uow:
        service.import_statement(uow, data=files.statement(files.payment(invoice["total"], text="bestelling")))
    with unit_of_work(services) as uow:
        [proposal] = service.list_payments(uow, status="proposed")
        service.confirm_proposal(uow, payment_id=proposal.id)
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "paid"
    with unit_of_work(services) as uow, pytest.raises(Exception):
        service.confirm_proposal(uow, payment_id=proposal.id)  # booked once


def test_a_rejected_proposal_waits_unmatched(api, services):
    invoice = ship(api)
    with unit_of_work(services) as uow:
        service.import_statement(uow, data=files.statement(files.payment(invoice["total"], text="bestelling")))
    with unit_of_work(services) as uow:
        [proposal] = service.list_payments(uow, status="proposed")
        service.reject_proposal(uow, payment_id=proposal.id)
    with unit_of_work(services) as uow:
        assert [p.id for p in service.list_payments(uow, status="unmatched")] == [proposal.id]
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "open"


def test_a_large_statement_is_booked_in_chunks_and_a_second_import_books_nothing(api, services, monkeypatch):
    from bnpl.payments import jobs

    monkeypatch.setattr(jobs, "CHUNK", 2)  # five entries: three transactions
    invoices = [ship(api) for _ in range(5)]
    data = files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in invoices])

    assert jobs.import_statement_file(services, data).counts == {"booked": 5}
    assert jobs.import_statement_file(services, data).counts == {"already imported": 5}
    assert {api.get(f"/invoices/{i['id']}").json["status"] for i in invoices} == {"paid"}


def test_a_large_statement_is_booked_while_the_rest_of_it_is_still_being_read(api, services, monkeypatch):
    """Its first part is written before the parser reaches its last entry (on PostgreSQL the
    parser reads on while a part is written)."""
    from bnpl.payments import camt, jobs

    monkeypatch.setattr(jobs, "CHUNK", 1)
    happened, read = [], camt.read

    def noted_read(data, batch=None):
        for part in read(data, batch):
            happened.append("read")
            yield part

    class NotedBooking(service.Booking):
        def write(self):
            super().write()
            happened.append("written")

    monkeypatch.setattr(camt, "read", noted_read)
    monkeypatch.setattr(service, "Booking", NotedBooking)
    invoices = [ship(api) for _ in range(3)]
    data = files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in invoices])

    assert jobs.import_statement_file(services, data).counts == {"booked": 3}
    assert happened.index("written") < len(happened) - 1 - happened[::-1].index("read")


def test_a_file_cut_off_books_nothing_though_its_first_entries_could_be_read(api, services, monkeypatch):
    from bnpl.payments import jobs

    monkeypatch.setattr(jobs, "CHUNK", 1)
    invoices = [ship(api) for _ in range(3)]
    data = files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in invoices])
    cut = data[: data.rindex(b"</Ntry>")]  # the first two entries whole

    summary = jobs.import_statement_file(services, cut)

    assert summary.nothing_read and summary.error.startswith("Not well-formed XML")
    assert payments(services) == []


def test_a_file_the_parser_gives_up_on_halfway_keeps_what_was_booked_and_says_the_rest_was_not_read(
        api, services, monkeypatch):
    """Not noted as read either: dunning's "reconcile first" waits for a statement read whole."""
    from bnpl.payments import jobs
    from bnpl.payments.models import StatementImport

    parser_gives_up_after_one_entry(monkeypatch)
    first, second = ship(api), ship(api)
    summary = jobs.import_statement_file(services, files.statement(
        files.payment(first["total"], rf=first["payment_reference"]),
        files.payment(second["total"], rf=second["payment_reference"]), statement_id="HALF-1"))

    assert summary.counts == {"booked": 1} and not summary.nothing_read and summary.failed
    assert "Reading stopped partway, the rest of the file is not booked: Not well-formed XML: the parser gave up" \
        in str(summary)
    with services.sessionmaker() as session:
        assert session.scalars(select(StatementImport).where(StatementImport.statement_id == "HALF-1")).all() == []


def test_every_statement_of_a_file_read_in_parts_is_noted_as_read_with_all_its_entries(api, services, monkeypatch):
    from bnpl.payments import jobs
    from bnpl.payments.models import StatementImport

    monkeypatch.setattr(jobs, "CHUNK", 2)
    invoices = [ship(api) for _ in range(4)]
    day_one = files.statement(*[files.payment(i["total"], rf=i["payment_reference"]) for i in invoices[:3]],
                              statement_id="DAY-1")
    day_two = files.statement(files.payment(invoices[3]["total"], rf=invoices[3]["payment_reference"]),
                              statement_id="DAY-2")

    summary = jobs.import_statement_file(services, files.combined(day_one, day_two))

    assert [(s.statement_id, s.counts["booked"]) for s in summary.statements] == [("DAY-1", 3), ("DAY-2", 1)]
    with services.sessionmaker() as session:
        noted = session.execute(select(StatementImport.statement_id, StatementImport.entries)
                                .order_by(StatementImport.statement_id)).all()
    assert [tuple(row) for row in noted] == [("DAY-1", 3), ("DAY-2", 1)]


def test_while_booking_the_collector_leaves_the_statement_read_alone_and_afterwards_all_is_as_before(
        api, services, monkeypatch):
    """What lives through the whole import (the application, its mappings) is not walked again
    at every full garbage collection: with 100,000 entries that took a tenth of the import's
    time."""
    import gc

    from bnpl.payments import jobs

    frozen_while_booking = []

    class Booking(service.Booking):
        def __init__(self, uow, *, statement, transactions):
            frozen_while_booking.append(any(gc.is_tracked(t) for t in transactions) and gc.get_freeze_count())
            super().__init__(uow, statement=statement, transactions=transactions)

    monkeypatch.setattr(service, "Booking", Booking)
    paid = ship(api)
    assert jobs.import_statement_file(services, files.statement(
        files.payment(paid["total"], rf=paid["payment_reference"]))).counts == {"booked": 1}
    assert frozen_while_booking and all(count > 0 for count in frozen_while_booking)
    assert gc.get_freeze_count() == 0
