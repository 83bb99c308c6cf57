"""A first walk through the default consumer policy, end to end through the API."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bnpl.dunning.jobs import run_dunning
from bnpl.dunning.models import DunningStep
from bnpl.notifications.models import OutboxMessage
from tests.payments.flows import invoice, ship


def test_an_unpaid_invoice_walks_the_default_consumer_levels(api, services):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])

    def run(day):
        return run_dunning(services, as_of=day, stale_statements="warn")

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
        kinds = [m.kind for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")
                                                 .order_by(OutboxMessage.created_at))]
    assert kinds[-3:] == ["dunning_reminder", "dunning_letter", "dunning_costs"]


def test_the_hand_over_is_exported_once_with_what_the_agency_needs(api, services, tmp_path, monkeypatch):
    import csv

    from click.testing import CliRunner

    from bnpl.cli import main

    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    for day in range(0, 80):  # the scheduler's daily pass, every day for 80 days
        run_dunning(services, as_of=due + timedelta(days=day), stale_statements="warn")
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
