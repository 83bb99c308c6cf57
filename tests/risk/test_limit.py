"""The personal limit: a new person starts at the configured amount; each invoice paid on
time raises it a step up to the ceiling; a late payment holds it; a hand-over or a fraud
decision closes it. Kept from the events (payments, dunning, disputes)."""
from datetime import date, timedelta

import pytest

from bnpl.errors import IllegalTransition
from bnpl.risk import service as risk, states
from bnpl.risk.models import Person, RiskDecision
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.risk.support import order, person, ship

EXPECTED = {
    ("growing", "paid_on_time"): "growing", ("growing", "paid_late"): "held", ("held", "paid_on_time"): "held",
    ("held", "paid_late"): "held", ("held", "hold_over"): "growing", ("growing", "handed_over"): "closed",
    ("held", "handed_over"): "closed", ("closed", "handed_over"): "closed", ("growing", "fraud"): "closed",
    ("held", "fraud"): "closed", ("closed", "fraud"): "closed", ("closed", "paid_on_time"): "closed",
    ("closed", "paid_late"): "closed", ("closed", "reopened"): "growing",
}
ACTIONS = ("paid_on_time", "paid_late", "hold_over", "handed_over", "fraud", "reopened")


@pytest.mark.parametrize("state, action", [(s, a) for s in states.LIMIT_STATES for a in ACTIONS])
def test_the_limit_table_row_by_row(state, action):
    if (state, action) in EXPECTED:
        assert states.LIMIT.next(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            states.LIMIT.next(state, action)


def _consumer(services, api, fields) -> str:
    placed = order(api, 1_000, **fields)
    with unit_of_work(services) as uow:
        return uow.session.get(RiskDecision, placed["decision"]["id"]).consumer_id


def _limit(services, consumer_id: str) -> tuple[int, str]:
    with unit_of_work(services) as uow:
        found = risk.person_of(uow, consumer_id=consumer_id, livemode=False)
        return found.limit_cents, found.limit_status


@pytest.mark.parametrize("payments, limit, status", [
    ([], 30_000, "growing"),
    ([True], 40_000, "growing"),
    ([True] * 3, 60_000, "growing"),
    ([True] * 30, 250_000, "growing"),               # up to the ceiling, not beyond
    ([True, False], 40_000, "held"),                 # a late payment holds it
    ([True, False, True, True], 40_000, "held"),     # paying on time while held does not raise it
])
def test_growth_and_hold(api, services, payments, limit, status):
    consumer_id = _consumer(services, api, person(1))
    with unit_of_work(services) as uow:
        for on_time in payments:
            risk.invoice_paid(uow, consumer_id=consumer_id, livemode=False, on_time=on_time, paid_on=uow.today())
    assert _limit(services, consumer_id) == (limit, status)


def test_a_hold_runs_out_and_the_limit_grows_again(api, services, clock):
    consumer_id = _consumer(services, api, person(1))
    with unit_of_work(services) as uow:
        risk.invoice_paid(uow, consumer_id=consumer_id, livemode=False, on_time=False, paid_on=uow.today())
    clock.advance(days=181)
    order(api, 1_000, **person(1))  # the next decision sees the hold is over
    with unit_of_work(services) as uow:
        risk.invoice_paid(uow, consumer_id=consumer_id, livemode=False, on_time=True, paid_on=uow.today())
    assert _limit(services, consumer_id) == (40_000, "growing")


@pytest.mark.parametrize("because", ["handed_over", "fraud"])
def test_a_hand_over_or_fraud_closes_it(api, services, because):
    consumer_id = _consumer(services, api, person(1))
    with unit_of_work(services) as uow:
        risk.close_limit(uow, consumer_id=consumer_id, livemode=False, because=because)
    assert _limit(services, consumer_id) == (0, "closed")
    declined = order(api, 1_000, **person(1))
    assert declined["status"] == "declined"
    assert {"handed_over": "handed_over", "fraud": "fraud_on_record"}[because] in [r["code"] for r in declined["decision"]["reasons"]]


@pytest.mark.parametrize("days_after_due, status", [(0, "growing"), (1, "held")])
def test_a_real_payment_on_the_due_date_is_on_time_a_day_later_is_late(api, services, days_after_due, status):
    from bnpl.invoices import ledger as invoice_ledger
    from bnpl.invoices import queries as invoice_queries

    placed = order(api, 5_000, **person(1))
    invoice = ship(api, placed["id"])
    due = date.fromisoformat(invoice["due_date"])
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"], payment_id="pay_1",
                                     method="bank_transfer", amount=invoice["total"], paid_on=due + timedelta(days=days_after_due))
        consumer_id = invoice_queries.consumer_and_due_date(uow, invoice_id=invoice["id"])[0]
    assert _limit(services, consumer_id) == ({"growing": 40_000, "held": 30_000}[status], status)


def test_a_part_payment_changes_nothing(api, services):
    from bnpl.invoices import ledger as invoice_ledger
    from bnpl.invoices import queries as invoice_queries

    invoice = ship(api, order(api, 5_000, **person(1))["id"])
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"], payment_id="pay_1",
                                     method="bank_transfer", amount=100, paid_on=uow.today())
        consumer_id = invoice_queries.consumer_and_due_date(uow, invoice_id=invoice["id"])[0]
    assert _limit(services, consumer_id) == (30_000, "growing")


def test_merged_people_keep_the_good_payers_limit_and_every_bad_mark(api, services):
    payer = _consumer(services, api, person(1))
    with unit_of_work(services) as uow:
        for _ in range(3):
            risk.invoice_paid(uow, consumer_id=payer, livemode=False, on_time=True, paid_on=uow.today())
    _consumer(services, api, person(2))
    _consumer(services, api, person(3, email="person2@example.nl", phone="0600000001"))  # both of them: one person
    with services.sessionmaker() as session:
        alive = session.query(Person).filter(Person.merged_into.is_(None)).all()
    assert [(p.limit_cents, p.paid_on_time) for p in alive] == [(60_000, 3)]


@pytest.mark.parametrize("reason, outcome, closed", [
    ("unauthorised", "merchant", True),     # "I did not order this" was false: first-party fraud
    ("unauthorised", "consumer", False),    # someone else ordered in their name: they are the victim
    ("not_received", "merchant", False),    # a lost claim is no fraud
])
def test_a_dispute_decided_as_fraud_closes_the_limit(api, services, reason, outcome, closed):
    from tests.disputes.cases import open_case
    from tests.disputes.support import decide

    invoice = ship(api, order(api, 5_000, **person(1))["id"])
    decide(services, open_case(services, invoice["id"], reason=reason), outcome)
    with unit_of_work(services) as uow:
        found = risk.person_of(uow, consumer_id=_consumer_of(uow, invoice["id"]), livemode=False)
        assert (found.limit_status == "closed", found.frauds) == (closed, int(closed))


def _consumer_of(uow, invoice_id: str) -> str:
    from bnpl.invoices import queries as invoice_queries

    return invoice_queries.consumer_and_due_date(uow, invoice_id=invoice_id)[0]


def test_a_consumer_who_paid_before_risk_knew_them_starts_with_what_they_earned(api, services):
    """An installation that had orders before risk: its consumers' paid invoices count."""
    from sqlalchemy import delete

    from bnpl.invoices import ledger as invoice_ledger
    from bnpl.invoices import queries as invoice_queries
    from bnpl.risk.models import Link, Sighting

    for n in range(2):
        invoice = ship(api, order(api, 5_000, **person(1))["id"])
        with unit_of_work(services) as uow:
            invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"],
                                         payment_id=f"pay_{n}", method="bank_transfer", amount=invoice["total"],
                                         paid_on=uow.today())
            consumer_id = invoice_queries.consumer_and_due_date(uow, invoice_id=invoice["id"])[0]
    with unit_of_work(services) as uow:  # risk forgets them: as if it had not existed then
        for table in (Link, Sighting, RiskDecision, Person):
            uow.session.execute(delete(table))
    order(api, 1_000, **person(1))
    assert _limit(services, consumer_id) == (50_000, "growing")
