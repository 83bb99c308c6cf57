"""The dunning run through the product: invoices made through the merchant API, payments from
bank statements, returns that pause, and `run_dunning` (bnpl/dunning/jobs.py) as the scheduler
and `bnpl dunning run` call it.

What must never happen: a reminder for an invoice that is paid, credited, paused or whose order
was cancelled, either when the run decides or when the outbox sends (the send-time gate).

The clock stands at Monday 23 November 2026 (tests/conftest.py); an order shipped then is due
on Wednesday 9 December 2026, so the reminder is due on Saturday 12 December (due + 3)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bnpl.cli import main
from bnpl.dunning.jobs import run_dunning
from bnpl.dunning.models import DunningStep
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices.models import InvoiceFee
from bnpl.notifications import gate, snapshot
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.orders.models import Order
from bnpl.payments import service as payments
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories, identified
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's
from tests.payments import camt_files as files
from tests.payments.flows import invoice, ship

DUE = date(2026, 12, 9)
REMINDER_DAY = DUE + timedelta(days=3)  # Sat 12 December 2026
ALL_LINES = [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 2},
             {"reference": "SKU-3", "quantity": 1}]


def run(services, day: date, stale: str | None = "warn"):
    return run_dunning(services, as_of=day, stale_statements=stale)


def steps(services, invoice_id: str | None = None) -> list[DunningStep]:
    query = select(DunningStep).order_by(DunningStep.invoice_id, DunningStep.level)
    if invoice_id:
        query = query.where(DunningStep.invoice_id == invoice_id)
    with services.sessionmaker() as session:
        return list(session.scalars(query))


def dunning_mails(services, invoice_id: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.channel == EMAIL, OutboxMessage.kind.like("dunning_%"))
    if invoice_id:
        query = query.where(OutboxMessage.invoice_id == invoice_id)
    with services.sessionmaker() as session:
        found = list(session.scalars(query))
    return sorted(found, key=lambda m: (m.invoice_id, m.payload["data"]["level"]))  # created at the same instant


def fees(services, invoice_id: str) -> list[tuple]:
    with services.sessionmaker() as session:
        return [(f.kind, f.amount_cents, f.period_start, f.period_end, f.dunning_level) for f in session.scalars(
            select(InvoiceFee).where(InvoiceFee.invoice_id == invoice_id).order_by(InvoiceFee.dunning_level,
                                                                                   InvoiceFee.kind))]


def pay(services, api, invoice_id: str, amount: int, payment_id: str = "pay_test_1") -> None:
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id,
                                     payment_id=payment_id, method="bank_transfer", amount=amount,
                                     paid_on=date(2026, 11, 23))


def import_statement(services, *entries) -> None:
    with unit_of_work(services) as uow:
        payments.import_statement(uow, data=files.statement(*entries))


def ret(api, order_id: str, lines: list[dict], **body) -> dict:
    r = api.post(f"/orders/{order_id}/returns", json={"lines": lines, **body})
    assert r.status_code == 201, r.json
    return r.json


def ship_order(api, **order) -> tuple[dict, dict]:
    created = identified.through_api(api, api.post("/orders", json=factories.order(**order)).json)
    shipment = api.post(f"/orders/{created['id']}/shipments", json={}).json
    return created, shipment["invoice"]


def local(day: date, hour: int, minute: int = 0, second: int = 0, *, utc_offset: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second,
                    tzinfo=timezone(timedelta(hours=utc_offset)))


def test_the_dates_these_tests_rely_on(api):
    inv = ship(api)
    assert inv["due_date"] == DUE.isoformat() and REMINDER_DAY.weekday() == 5


# --- never a message: at decision time ------------------------------------------------------------

def test_an_invoice_paid_by_bank_statement_gets_nothing(api, services):
    inv = ship(api)
    import_statement(services, files.payment(inv["total"], rf=inv["payment_reference"]))
    assert invoice(api, inv["id"])["status"] == "paid"

    for day in (REMINDER_DAY, DUE + timedelta(days=14), DUE + timedelta(days=60)):
        summary = run(services, day)
        assert (summary.examined, summary.taken) == (0, {})
    assert steps(services) == [] and dunning_mails(services) == []


def test_an_invoice_paid_in_full_after_the_reminder_gets_no_letter(api, services):
    inv = ship(api)
    assert run(services, REMINDER_DAY).taken == {"reminder": 1}
    pay(services, api, inv["id"], inv["total"])

    assert run(services, DUE + timedelta(days=14)).taken == {}
    assert run(services, DUE + timedelta(days=60)).taken == {}
    assert [s.name for s in steps(services)] == ["reminder"]
    assert [m.kind for m in dunning_mails(services)] == ["dunning_reminder"]


def test_a_fully_credited_invoice_gets_nothing(api, services):
    order, inv = ship_order(api, lines=factories.three_lines())
    ret(api, order["id"], ALL_LINES, status="received")
    assert invoice(api, inv["id"])["status"] == "credited"

    assert run(services, REMINDER_DAY).taken == {}
    assert run(services, DUE + timedelta(days=60)).taken == {}
    assert steps(services) == [] and dunning_mails(services) == []


def test_a_paused_invoice_gets_nothing_and_after_the_pause_its_reminder_comes_later(api, services, clock):
    order, inv = ship_order(api, lines=factories.three_lines())
    announced = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])  # pauses the invoice
    assert invoice(api, inv["id"])["status"] == "paused"

    assert run(services, REMINDER_DAY).taken == {}
    assert run(services, DUE + timedelta(days=30)).taken == {}
    assert steps(services) == [] and dunning_mails(services) == []

    clock.advance(days=6)  # the goods arrive six days later: credited, and the due date moves 6 days
    assert api.post(f"/returns/{announced['id']}/receipt").status_code == 200
    after = invoice(api, inv["id"])
    assert (after["status"], after["due_date"], after["balance"]) == ("open", "2026-12-15", 5399 - 450)

    assert run(services, date(2026, 12, 17)).taken == {}
    assert run(services, date(2026, 12, 18)).taken == {"reminder": 1}
    [reminder] = steps(services)
    assert (reminder.sent_on, reminder.due_date, reminder.balance_cents) == (date(2026, 12, 18), date(2026, 12, 15),
                                                                             4949)


def test_a_pause_after_the_reminder_moves_the_letter_by_the_paused_days(api, services, clock):
    order, inv = ship_order(api, lines=factories.three_lines())
    assert run(services, REMINDER_DAY).taken == {"reminder": 1}

    clock.set(local(date(2026, 12, 14), 10, utc_offset=1))  # Mon 14 Dec: a return is announced
    announced = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])
    assert run(services, DUE + timedelta(days=14)).taken == {}  # paused on the letter's day
    clock.set(local(date(2026, 12, 19), 10, utc_offset=1))  # Sat 19 Dec: it arrives, 5 days paused
    assert api.post(f"/returns/{announced['id']}/receipt").status_code == 200
    assert invoice(api, inv["id"])["due_date"] == "2026-12-14"

    assert run(services, date(2026, 12, 27)).taken == {}  # due + 13 + 5
    assert run(services, date(2026, 12, 28)).taken == {"fourteen_day_letter": 1}  # due + 14 + 5
    letter = steps(services)[-1]
    # Sent Mon 28 Dec: received Tue 29, 14 days end Tue 12 Jan 2027.
    assert (letter.sent_on, letter.deadline, letter.due_date, letter.balance_cents, letter.costs_cents) == (
        date(2026, 12, 28), date(2027, 1, 12), date(2026, 12, 14), 4949, 4000)


def test_a_pause_after_the_costs_moves_the_handover_and_earns_no_interest(api, services, clock):
    order, inv = ship_order(api, lines=[factories.line("SKU-1", quantity=2, unit_price=20_000)])
    assert run(services, REMINDER_DAY).taken == {"reminder": 1}
    assert run(services, DUE + timedelta(days=14)).taken == {"fourteen_day_letter": 1}  # deadline Thu 7 Jan 2027
    deliver_outbox(services)  # the letter reaches the consumer
    assert run(services, date(2027, 1, 8)).taken == {"collection_costs": 1}
    # WIK 15 % of 400.00 = 60.00; 10 Dec - 8 Jan, 30 days at 4 %: 1,600 x 30 / 365 = 1.32.
    assert fees(services, inv["id"]) == [
        ("collection_costs", 6_000, None, None, 3), ("interest", 132, date(2026, 12, 10), date(2027, 1, 8), 3)]

    clock.set(local(date(2027, 1, 10), 12, utc_offset=1))  # Sun 10 Jan: one of the two is sent back
    announced = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])
    clock.set(local(date(2027, 1, 13), 12, utc_offset=1))  # Wed 13 Jan: it arrives, 3 days paused
    assert api.post(f"/returns/{announced['id']}/receipt").status_code == 200
    assert invoice(api, inv["id"])["balance"] == 20_000 + 6_132

    assert run(services, date(2027, 1, 24)).taken == {}  # sent + 13 + 3
    assert run(services, date(2027, 1, 25)).taken == {"handover": 1}  # sent + 14 + 3
    # 14 days on the 200.00 left, not the 17 from 9 Jan (800 x 17 / 365 = 0.37): 800 x 14 / 365 = 0.31.
    assert fees(services, inv["id"])[-1] == ("interest", 31, date(2027, 1, 12), date(2027, 1, 25), 4)
    assert steps(services)[-1].balance_cents == 20_000 + 6_132 + 31


def test_a_cancelled_orders_invoice_gets_no_message(api, services):
    order, inv = ship_order(api)
    # Shipped goods cannot be cancelled: the product makes no cancelled order with an invoice.
    refused = api.post(f"/orders/{order['id']}/cancellations", json={})
    assert refused.status_code == 409, refused.json
    # Should one exist all the same (data fixed by hand, a future route), the gate holds its
    # reminder back.
    with services.engine.begin() as conn:
        conn.execute(update(Order).where(Order.id == order["id"]).values(status="cancelled"))

    run(services, REMINDER_DAY)
    deliver_outbox(services)

    assert [(m.kind, m.status, m.outcome) for m in dunning_mails(services, inv["id"])] in (
        [], [("dunning_reminder", "dropped", "order cancelled")])


def test_a_partly_cancelled_order_is_reminded_of_what_was_shipped(api, services):
    created = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    shipped = api.post(f"/orders/{created['id']}/shipments",
                       json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).json["invoice"]
    assert api.post(f"/orders/{created['id']}/cancellations", json={}).status_code == 200

    assert run(services, REMINDER_DAY).taken == {"reminder": 1}
    [reminder] = steps(services, shipped["id"])
    assert reminder.balance_cents == 1999


# --- never a message: at send time ----------------------------------------------------------------

def _paid(services, api, order, inv):
    pay(services, api, inv["id"], inv["total"])
    return "invoice paid"


def _credited(services, api, order, inv):
    ret(api, order["id"], ALL_LINES, status="received")
    return "invoice credited"


def _paused(services, api, order, inv):
    ret(api, order["id"], [{"reference": "SKU-3", "quantity": 1}])
    return "invoice paused"


@pytest.mark.parametrize("after_the_run", [
    pytest.param(_paid, id="paid before delivery"),
    pytest.param(_credited, id="credited in full before delivery"),
    pytest.param(_paused, id="paused by a return before delivery"),
])
def test_a_queued_reminder_is_dropped_when_the_invoice_changed_before_delivery(api, services, after_the_run):
    order, inv = ship_order(api, lines=factories.three_lines())
    _, other = ship_order(api)
    assert run(services, REMINDER_DAY).taken == {"reminder": 2}
    [queued] = dunning_mails(services, inv["id"])
    assert (queued.kind, queued.status, queued.payload["data"]["balance"]) == ("dunning_reminder", "pending", 5399)

    reason = after_the_run(services, api, order, inv)
    deliver_outbox(services)

    [dropped] = dunning_mails(services, inv["id"])
    assert (dropped.status, dropped.outcome, dropped.attempts) == ("dropped", reason, 0)
    # The control: the other invoice's reminder passes the gate.
    [kept] = dunning_mails(services, other["id"])
    with unit_of_work(services) as uow:
        message = uow.session.get(OutboxMessage, kept.id)
        assert gate.reason_to_drop(message, snapshot.facts(uow, message)) is None
    assert kept.status != "dropped"


# --- a partial payment ----------------------------------------------------------------------------

def test_after_a_partial_payment_the_reminder_asks_for_the_rest_and_costs_are_on_the_rest(api, services):
    inv = ship(api, lines=[factories.line(unit_price=40_000)])
    pay(services, api, inv["id"], 10_000)

    assert run(services, REMINDER_DAY).taken == {"reminder": 1}
    [reminder] = steps(services)
    [mail] = dunning_mails(services)
    assert (reminder.balance_cents, mail.payload["data"]["balance"], mail.kind) == (30_000, 30_000, "dunning_reminder")

    assert run(services, DUE + timedelta(days=14)).taken == {"fourteen_day_letter": 1}
    deliver_outbox(services)  # the letter reaches the consumer
    letter = steps(services)[-1]
    # Wed 23 Dec: received Thu 24, ends Thu 7 Jan 2027; WIK 15 % of 300.00 = 45.00 stated.
    assert (letter.deadline, letter.balance_cents, letter.costs_cents) == (date(2027, 1, 7), 30_000, 4_500)

    assert run(services, date(2027, 1, 8)).taken == {"collection_costs": 1}
    # Interest on 300.00 at 4 %, 10 Dec 2026 - 8 Jan 2027, 30 days: 1,200 x 30 / 365 = 0.99.
    assert fees(services, inv["id"]) == [
        ("collection_costs", 4_500, None, None, 3), ("interest", 99, date(2026, 12, 10), date(2027, 1, 8), 3)]
    after = invoice(api, inv["id"])
    assert (after["status"], after["balance"]) == ("open", 30_000 + 4_500 + 99)
    assert steps(services)[-1].balance_cents == 34_599


# --- reconcile before reminding -------------------------------------------------------------------

def test_without_any_statement_a_refusing_run_sends_nothing_and_says_why(api, services):
    ship(api)

    summary = run(services, REMINDER_DAY, stale="refuse")

    assert summary.refused == "No bank statement was ever imported: a reminder could cross a payment."
    assert (summary.examined, summary.taken) == (0, {})
    assert str(summary) == ("Dunning 2026-12-12: refused. "
                            "No bank statement was ever imported: a reminder could cross a payment.")
    assert steps(services) == [] and dunning_mails(services) == []


def test_refusing_is_the_default(api, services):
    ship(api)
    assert services.settings.stale_statements == "refuse"
    assert run(services, REMINDER_DAY, stale=None).refused
    assert steps(services) == []


def test_an_old_statement_refuses_and_warn_sends_with_a_warning(api, services):
    ship(api)
    import_statement(services)  # read on Mon 23 Nov 2026
    problem = ("The newest bank statement covers 2026-11-23, 14 working days before 2026-12-12 (at most 2): "
               "a reminder could cross a payment.")

    refused = run(services, REMINDER_DAY, stale="refuse")
    assert refused.refused == problem and steps(services) == []

    warned = run(services, REMINDER_DAY, stale="warn")
    assert (warned.refused, warned.warning, warned.taken) == (None, problem, {"reminder": 1})
    assert str(warned) == f"Dunning 2026-12-12: 1 overdue invoices examined; 1 reminder. Warning: {problem}"


def test_a_statement_imported_recently_lets_the_run_go(api, services, clock):
    inv = ship(api)
    clock.set(local(date(2026, 12, 11), 6, 30, utc_offset=1))  # Fri 11 Dec, 06:30: yesterday's statement
    import_statement(services)

    summary = run(services, REMINDER_DAY, stale="refuse")

    assert (summary.refused, summary.warning, summary.examined, summary.taken) == (None, None, 1, {"reminder": 1})
    assert str(summary) == "Dunning 2026-12-12: 1 overdue invoices examined; 1 reminder."
    assert [(s.invoice_id, s.name) for s in steps(services)] == [(inv["id"], "reminder")]


def test_an_old_statement_read_late_does_not_count_as_recent(api, services, clock):
    ship(api)
    clock.set(local(date(2026, 12, 12), 6, 30, utc_offset=1))
    # The statement of Mon 23 Nov (one unmatched credit booked that day), read only on 12 Dec.
    import_statement(services, files.payment(1234, text="onbekend", booked_on=date(2026, 11, 23)))

    assert run(services, REMINDER_DAY, stale="refuse").refused


@pytest.fixture
def cli(services, monkeypatch):
    """The `bnpl` command on the test's services: its clock says what today is."""
    monkeypatch.setattr("bnpl.cli._services", lambda: services)

    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return invoke


def test_the_command_refuses_with_exit_1_and_says_why(api, services, clock, cli):
    ship(api)
    clock.set(local(date(2026, 12, 12), 6, 30, utc_offset=1))

    result = cli("dunning", "run", "--as-of", "2026-12-12")

    assert result.exit_code == 1
    assert result.output == ("Dunning 2026-12-12: refused. "
                             "No bank statement was ever imported: a reminder could cross a payment.\n")
    assert steps(services) == []


def test_the_command_refuses_a_day_after_today(api, services, cli):
    result = cli("dunning", "run", "--as-of", "2026-11-24")  # the clock says 23 Nov

    assert result.exit_code == 2 and "a run cannot be for a day after today (2026-11-23)" in result.output
    assert steps(services) == []


def test_the_command_runs_and_prints_the_summary(api, services, clock, cli):
    inv = ship(api)
    clock.set(local(date(2026, 12, 12), 6, 30, utc_offset=1))
    import_statement(services)

    result = cli("dunning", "run", "--as-of", "2026-12-12")

    assert result.exit_code == 0, result.output
    assert result.output == "Dunning 2026-12-12: 1 overdue invoices examined; 1 reminder.\n"
    assert [(s.invoice_id, s.name, s.sent_on) for s in steps(services)] == [(inv["id"], "reminder", REMINDER_DAY)]

    again = cli("dunning", "run", "--as-of", "2026-12-12", "--stale-statements", "warn")
    assert again.exit_code == 0 and again.output == "Dunning 2026-12-12: 1 overdue invoices examined; no step due.\n"


# --- business customers ---------------------------------------------------------------------------

def test_a_business_customer_gets_eur_40_and_commercial_interest_without_a_letter(api, services):
    factories.give_legal_details(api)  # a business invoice needs them
    inv = ship(api, consumer=factories.consumer(type="business", company_name="Spaak B.V.",
                                                vat_number="NL004495445B01"))
    assert inv["billed_to"]["type"] == "business"

    assert run(services, REMINDER_DAY).taken == {"reminder": 1}
    assert run(services, DUE + timedelta(days=13)).taken == {}
    assert run(services, DUE + timedelta(days=14)).taken == {"collection_costs": 1}
    # 19.99 at 10.15 %, 10-23 Dec, 14 days: 202.8985 x 14 / 365 = 7.78 -> 0.08.
    assert fees(services, inv["id"]) == [
        ("collection_costs", 4_000, None, None, 2), ("interest", 8, date(2026, 12, 10), date(2026, 12, 23), 2)]
    assert invoice(api, inv["id"])["balance"] == 1999 + 4_008
    assert run(services, DUE + timedelta(days=27)).taken == {}
    assert run(services, DUE + timedelta(days=28)).taken == {"handover": 1}
    # 24 Dec - 6 Jan, 14 days on the 19.99 principal again: 0.08.
    assert fees(services, inv["id"])[-1] == ("interest", 8, date(2026, 12, 24), date(2027, 1, 6), 3)
    assert run(services, DUE + timedelta(days=200)).taken == {}

    assert [(s.level, s.name, s.deadline, s.costs_cents) for s in steps(services)] == [
        (1, "reminder", None, 0), (2, "collection_costs", None, 4_000), (3, "handover", None, 0)]
    assert [m.kind for m in dunning_mails(services)] == ["dunning_reminder", "dunning_costs", "dunning_handover"]


# --- the run day is the calendar day in Amsterdam -------------------------------------------------

@pytest.mark.parametrize("shipped_at, due, before_midnight, after_midnight", [
    pytest.param(local(date(2026, 3, 10), 11, utc_offset=1), date(2026, 3, 26),
                 local(date(2026, 3, 28), 23, 59, 59, utc_offset=1), local(date(2026, 3, 29), 0, utc_offset=1),
                 id="reminder due on Sun 29 Mar 2026, the day summer time starts"),
    pytest.param(local(date(2026, 10, 6), 11, utc_offset=2), date(2026, 10, 22),
                 local(date(2026, 10, 24), 23, 59, 59, utc_offset=2), local(date(2026, 10, 25), 0, utc_offset=2),
                 id="reminder due on Sun 25 Oct 2026, the day summer time ends"),
    pytest.param(local(date(2026, 11, 23), 11, utc_offset=1), DUE,
                 local(date(2026, 12, 11), 23, 59, 59, utc_offset=1), local(date(2026, 12, 12), 0, utc_offset=1),
                 id="reminder due on Sat 12 Dec 2026, in winter time"),
])
def test_a_run_without_a_date_runs_for_todays_date_in_amsterdam(api, services, clock, shipped_at, due,
                                                                  before_midnight, after_midnight):
    clock.set(shipped_at)
    inv = ship(api)
    assert inv["due_date"] == due.isoformat()
    reminder_day = due + timedelta(days=3)

    clock.set(before_midnight)  # one second before midnight in Amsterdam
    summary = run_dunning(services, stale_statements="warn")
    assert (summary.as_of, summary.taken) == (reminder_day - timedelta(days=1), {})

    clock.set(after_midnight)  # midnight in Amsterdam: still the day before in UTC
    assert after_midnight.astimezone(timezone.utc).date() == reminder_day - timedelta(days=1)
    summary = run_dunning(services, stale_statements="warn")
    assert (summary.as_of, summary.taken) == (reminder_day, {"reminder": 1})
    assert [s.sent_on for s in steps(services)] == [reminder_day]
