"""Payment plans (forbearance, CCD2): the balance in monthly instalments, the invoice paused
meanwhile; paid in full the plan is completed, an instalment missed beyond its grace ends it
and dunning goes on where it was."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bnpl.dunning import service
from bnpl.dunning.jobs import check_payment_plans, run_dunning
from bnpl.dunning.models import DunningStep, PaymentPlan
from bnpl.errors import Conflict
from bnpl.events.models import Event
from bnpl.invoices import ledger as invoice_ledger
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.payments.flows import invoice, ship
from tests.dunning.passes import daily

TODAY = date(2026, 11, 23)  # tests.conftest.NOW


def start(api, invoice_id: str, **body):
    return api.post(f"/invoices/{invoice_id}/payment-plans", json=body)


def plans(api, invoice_id: str, **query) -> dict:
    r = api.get(f"/invoices/{invoice_id}/payment-plans", query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def pay(services, api, invoice_id: str, amount: int, payment_id: str) -> None:
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id,
                                     payment_id=payment_id, method="bank_transfer", amount=amount, paid_on=uow.today())


def move_to(clock, day: date) -> None:
    """The clock to 10:00 UTC on that day (services read the time from it)."""
    clock.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.utc))


def dunning(services, day: date) -> dict:
    return dict(daily(services, day).taken)


def event_types(services) -> list[str]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(Event.type).order_by(Event.seq)))


def test_a_plan_splits_the_balance_monthly_to_the_cent_and_pauses_the_invoice(api, services):
    inv = ship(api)
    r = start(api, inv["id"], instalments=3)
    assert r.status_code == 201, r.json
    plan = r.json
    assert (plan["object"], plan["status"], plan["invoice_id"], plan["total"]) == ("payment_plan", "active",
                                                                                     inv["id"], 1999)
    # The invoice was due on 9 December: a plan never makes a part due before that.
    assert inv["due_date"] == "2026-12-09"
    assert plan["instalments"] == [{"number": 1, "due_date": "2026-12-09", "amount": 667},
                                   {"number": 2, "due_date": "2027-01-09", "amount": 666},
                                   {"number": 3, "due_date": "2027-02-09", "amount": 666}]
    now = invoice(api, inv["id"])
    assert (now["status"], now["pause_reason"]) == ("paused", "payment_plan")
    assert now["pauses"][0]["reference_id"] == plan["id"]
    assert date.fromisoformat(now["pauses"][0]["ends_at"][:10]) == date(2027, 2, 23)  # last due + 14 days grace
    assert event_types(services)[-2:] == ["invoice.paused", "payment_plan.started"]
    assert plans(api, inv["id"])["items"] == [plan]


def test_no_instalment_is_due_before_the_invoice_was(api):
    inv = ship(api)
    r = start(api, inv["id"], instalments=2, first_due="2026-12-08")
    assert r.status_code == 422 and "before the invoice is (2026-12-09)" in r.json["errors"]["first_due"][0]


def test_the_first_due_date_may_be_chosen_and_the_31st_becomes_a_months_last_day(api):
    inv = ship(api)
    plan = start(api, inv["id"], instalments=4, first_due="2026-12-31").json
    assert [i["due_date"] for i in plan["instalments"]] == ["2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31"]
    assert [i["amount"] for i in plan["instalments"]] == [502, 499, 499, 499]


def test_while_a_plan_is_kept_dunning_sends_nothing(api, services, clock):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    start(api, inv["id"], instalments=2)
    for day in range(0, 60):
        assert dunning(services, due + timedelta(days=day)) == {}
    assert invoice(api, inv["id"])["dunning_level"] == 0


def test_paying_in_full_completes_the_plan(api, services, clock):
    inv = ship(api)
    plan = start(api, inv["id"], instalments=2).json
    pay(services, api, inv["id"], 1000, "pay_1")
    assert check_payment_plans(services) == {"completed": 0, "ended": 0}
    pay(services, api, inv["id"], 999, "pay_2")
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"]) == ("paid", False)
    assert check_payment_plans(services) == {"completed": 1, "ended": 0}
    [done] = plans(api, inv["id"])["items"]
    assert (done["id"], done["status"], done["ended_at"]) == (plan["id"], "completed", "2026-11-23T10:00:00+00:00")
    assert event_types(services)[-1] == "payment_plan.completed"
    assert check_payment_plans(services) == {"completed": 0, "ended": 0}  # once


def test_a_missed_instalment_ends_the_plan_after_its_grace_and_dunning_resumes_at_the_next_level(api, services, clock):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    move_to(clock, due + timedelta(days=3))
    assert dunning(services, due + timedelta(days=3)) == {"reminder": 1}
    plan = start(api, inv["id"], instalments=2).json
    first_due = date.fromisoformat(plan["instalments"][0]["due_date"])
    assert first_due == due + timedelta(days=17)
    assert dunning(services, due + timedelta(days=17)) == {}  # the letter would be due: paused

    grace_over = first_due + timedelta(days=service.GRACE_DAYS)
    move_to(clock, grace_over)
    assert check_payment_plans(services) == {"completed": 0, "ended": 0}  # the last day of grace
    move_to(clock, grace_over + timedelta(days=1))
    assert check_payment_plans(services) == {"completed": 0, "ended": 1}

    [ended] = plans(api, inv["id"])["items"]
    assert ended["status"] == "ended"
    now = invoice(api, inv["id"])
    paused_days = (grace_over + timedelta(days=1) - (due + timedelta(days=3))).days
    assert (now["status"], now["paused"], now["dunning_level"]) == ("open", False, 1)
    assert date.fromisoformat(now["due_date"]) == due + timedelta(days=paused_days)
    assert event_types(services)[-2:] == ["invoice.resumed", "payment_plan.ended"]
    # The letter was 14 days after the due date; those days run on from where the pause took them.
    letter_on = due + timedelta(days=paused_days + 14)
    assert dunning(services, letter_on - timedelta(days=1)) == {}
    assert dunning(services, letter_on) == {"fourteen_day_letter": 1}
    with services.sessionmaker() as session:
        assert session.scalars(select(DunningStep.level).order_by(DunningStep.level)).all() == [1, 2]


def test_instalments_paid_on_time_keep_the_plan_until_one_is_missed(api, services, clock):
    inv = ship(api)
    plan = start(api, inv["id"], instalments=2).json
    first, second = (date.fromisoformat(i["due_date"]) for i in plan["instalments"])
    pay(services, api, inv["id"], plan["instalments"][0]["amount"], "pay_first")
    move_to(clock, first + timedelta(days=30))
    assert check_payment_plans(services) == {"completed": 0, "ended": 0}
    assert invoice(api, inv["id"])["pause_reason"] == "payment_plan"
    move_to(clock, second + timedelta(days=service.GRACE_DAYS + 1))
    assert check_payment_plans(services) == {"completed": 0, "ended": 1}


def test_a_credit_counts_towards_the_instalments(api, services, clock):
    inv = ship(api)
    plan = start(api, inv["id"], instalments=2).json
    api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1000, "reason": "Damaged box"})
    first = date.fromisoformat(plan["instalments"][0]["due_date"])
    move_to(clock, first + timedelta(days=service.GRACE_DAYS + 1))
    assert check_payment_plans(services) == {"completed": 0, "ended": 0}


def test_a_new_plan_may_start_after_one_ended(api, services, clock):
    inv = ship(api)
    old = start(api, inv["id"], instalments=2).json
    move_to(clock, date.fromisoformat(old["instalments"][0]["due_date"]) + timedelta(days=15))
    check_payment_plans(services)
    new = start(api, inv["id"], instalments=3)
    assert new.status_code == 201, new.json
    listed = plans(api, inv["id"], limit=1)
    assert [p["id"] for p in listed["items"]] == [new.json["id"]] and listed["next_cursor"]
    rest = plans(api, inv["id"], limit=1, cursor=listed["next_cursor"])
    assert [p["id"] for p in rest["items"]] == [old["id"]] and rest["next_cursor"] is None


@pytest.mark.parametrize("body, field", [
    ({"instalments": 1}, "instalments"),
    ({"instalments": 13}, "instalments"),
    ({"instalments": 3.0}, "instalments"),
    ({"instalments": "3"}, "instalments"),
    ({}, "instalments"),
    ({"instalments": 3, "first_due": "2026-11-22"}, "first_due"),  # yesterday
    ({"instalments": 3, "first_due": "2027-03-01"}, "first_due"),  # more than 90 days ahead
    ({"instalments": 3, "first_due": "soon"}, "first_due"),
])
def test_bad_terms_are_422_with_the_field(api, services, body, field):
    inv = ship(api)
    r = start(api, inv["id"], **body)
    assert r.status_code == 422 and field in r.json["errors"], r.json
    assert r.headers["Content-Type"] == "application/problem+json"
    assert plans(api, inv["id"])["items"] == [] and invoice(api, inv["id"])["status"] == "open"


def test_a_closed_invoice_gets_no_plan(api):
    inv = ship(api)
    api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1999, "reason": "Never arrived"})
    r = start(api, inv["id"], instalments=2)
    assert r.status_code == 409 and "credited" in r.json["detail"]


def test_a_second_active_plan_is_a_409_naming_the_first(api):
    inv = ship(api)
    first = start(api, inv["id"], instalments=2).json
    r = start(api, inv["id"], instalments=3)
    assert r.status_code == 409 and r.json["plan_id"] == first["id"]
    assert len(plans(api, inv["id"])["items"]) == 1


def test_an_invoice_paused_for_something_else_gets_no_plan(api):
    inv = ship(api)
    api.post(f"/orders/{inv['order_id']}/returns", json={"lines": [{"reference": "SKU-1", "quantity": 1}]})
    r = start(api, inv["id"], instalments=2)
    assert r.status_code == 409 and r.json["pause_reason"] == "return"


def test_another_merchants_invoice_is_a_404_like_a_missing_one(api, other_api):
    inv = ship(api)
    for path in (f"/invoices/{inv['id']}/payment-plans", "/invoices/inv_missing/payment-plans"):
        assert other_api.post(path, json={"instalments": 2}).status_code == 404
        assert other_api.get(path).status_code == 404
    assert plans(api, inv["id"])["items"] == []


def test_the_same_idempotency_key_replays_the_first_plan(api, services):
    inv = ship(api)
    headers = {"Idempotency-Key": "plan-1"}
    first = api.post(f"/invoices/{inv['id']}/payment-plans", json={"instalments": 2}, headers=headers)
    again = api.post(f"/invoices/{inv['id']}/payment-plans", json={"instalments": 2}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert event_types(services).count("payment_plan.started") == 1


@pytest.mark.postgres
def test_plans_started_at_the_same_moment_make_one_plan(api, services):
    """Five requests for a plan on one invoice at once: the invoice's row lock lets one start
    it; the others then see it and are refused."""
    inv = ship(api)
    start_together, outcomes = threading.Barrier(5), []

    def propose(count: int) -> None:
        try:
            start_together.wait(timeout=10)
            with unit_of_work(services) as uow:
                service.start_payment_plan(uow, scope=Scope(api.merchant_id, False), invoice_id=inv["id"],
                                           instalments=count)
            outcomes.append("started")
        except Conflict:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=propose, args=(count,)) for count in range(2, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused"] * 4 + ["started"]
    with services.sessionmaker() as session:
        assert len(session.scalars(select(PaymentPlan)).all()) == 1
    assert len(invoice(api, inv["id"])["pauses"]) == 1
