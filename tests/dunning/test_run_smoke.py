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
