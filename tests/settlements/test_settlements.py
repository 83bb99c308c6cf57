"""Settlements: per merchant and period, invoiced − credited − fee, fixed once made."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from bnpl.errors import Conflict
from bnpl.merchants import service as merchants
from bnpl.merchants.models import Merchant
from bnpl.settlements.models import Settlement
from bnpl.settlements import service
from bnpl.uow import unit_of_work
from tests.conftest import ApiClient
from tests.settlements.conftest import at, credit, set_fee, settle, settle_month, ship


def count_settlements(services) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Settlement))


@pytest.mark.parametrize("invoiced, fee_bp, fee", [
    (0, 150, 0),
    (100, 150, 2),         # 1.5 cents: half up
    (99, 150, 1),          # 1.485
    (1900, 150, 29),       # 28.5: half up, not to even
    (2100, 150, 32),       # 31.5
    (1033, 150, 15),       # 15.495
    (5399, 0, 0),
    (5399, 10_000, 5399),  # 100 %
    (1, 5_000, 1),         # 0.5 cent
    (1, 4_999, 0),
])
def test_the_fee_is_rounded_half_up_to_the_cent(invoiced, fee_bp, fee):
    assert service.provider_fee(invoiced_cents=invoiced, fee_bp=fee_bp) == fee


def test_a_month_of_invoices_and_credits_is_settled_with_the_fee_on_the_invoiced_amount(api, services, clock):
    set_fee(services, api.merchant_id, 150)
    clock.set(at(2026, 11, 2))
    first = ship(api, 1000, 900)          # 1900
    clock.set(at(2026, 11, 20))
    second = ship(api, 5000)
    credit(api, second["id"], 1250)
    clock.set(at(2026, 12, 1, 9))

    [settlement] = settle_month(services, 2026, 11)

    assert (settlement.merchant_id, settlement.livemode, settlement.currency) == (api.merchant_id, False, "EUR")
    assert (settlement.period_start, settlement.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert settlement.invoiced_cents == first["total"] + second["total"] == 6900
    assert settlement.credited_cents == 1250
    assert settlement.fee_cents == 104  # 6900 × 1.5 % = 103.5
    assert settlement.payable_cents == 6900 - 1250 - 104

    body = api.get(f"/settlements/{settlement.id}").json
    assert body == {"id": settlement.id, "object": "settlement", "livemode": False, "currency": "EUR",
                    "period_start": "2026-11-01", "period_end": "2026-11-30", "invoiced": 6900,
                    "credited": 1250, "fee": 104, "payable": 5546, "created_at": body["created_at"],
                    "paid_at": None, "payout_iban": None}


def test_totals_equal_the_sum_of_the_entries(api, services, clock):
    set_fee(services, api.merchant_id, 175)
    clock.set(at(2026, 11, 3))
    a = ship(api, 1999, 450)
    b = ship(api, 12345)
    clock.set(at(2026, 11, 29))
    note = credit(api, a["id"], 450)
    clock.set(at(2026, 12, 2))
    [settlement] = settle_month(services, 2026, 11)

    with unit_of_work(services) as uow:
        statement = service.settlement_entries(uow, scope=_scope(api), settlement_id=settlement.id)
    kinds = [(e.kind, e.number, e.date, e.amount_cents, e.invoice_number) for e in statement.entries]
    assert kinds == [("invoice", a["number"], date(2026, 11, 3), 2449, None),
                     ("invoice", b["number"], date(2026, 11, 3), 12345, None),
                     ("credit_note", note["number"], date(2026, 11, 29), -450, a["number"]),
                     ("fee", "", date(2026, 11, 30), -settlement.fee_cents, None)]
    assert statement.total_cents == settlement.payable_cents
    assert sum(e.amount_cents for e in statement.entries if e.kind == "invoice") == settlement.invoiced_cents
    assert -sum(e.amount_cents for e in statement.entries if e.kind == "credit_note") == settlement.credited_cents


def test_a_credit_note_in_a_later_month_comes_off_the_later_settlement(api, services, clock):
    clock.set(at(2026, 11, 10))
    november = ship(api, 8000)
    clock.set(at(2026, 12, 1, 9))
    [nov] = settle_month(services, 2026, 11)
    assert (nov.invoiced_cents, nov.credited_cents, nov.payable_cents) == (8000, 0, 8000)

    clock.set(at(2026, 12, 15))
    note = credit(api, november["id"], 3000)   # after November was paid out
    december = ship(api, 1000)
    clock.set(at(2027, 1, 2))
    [dec] = settle_month(services, 2026, 12)

    assert (dec.invoiced_cents, dec.credited_cents, dec.payable_cents) == (1000, 3000, -2000)
    again = api.get(f"/settlements/{nov.id}").json
    assert (again["credited"], again["payable"]) == (0, 8000)  # the paid settlement never changes
    rows = list(csv.DictReader(io.StringIO(api.get(f"/settlements/{dec.id}/entries.csv").text)))
    assert [(r["kind"], r["number"], r["invoice_number"]) for r in rows[:-1]] == [
        ("invoice", december["number"], ""), ("credit_note", note["number"], november["number"]),
        ("fee", "", "")]
    assert rows[-1]["amount_cents"] == "-2000" and rows[-1]["amount"] == "-20.00"


def test_periods_are_amsterdam_calendar_days(api, services, clock):
    clock.set(at(2026, 11, 30, 22, 30))  # 23:30 in Amsterdam: still November
    late = ship(api, 700)
    clock.set(at(2026, 11, 30, 23, 30))  # 00:30 on 1 December in Amsterdam
    early = ship(api, 300)
    clock.set(at(2027, 1, 5))
    [nov] = settle_month(services, 2026, 11)
    [dec] = settle_month(services, 2026, 12)
    assert (nov.invoiced_cents, dec.invoiced_cents) == (late["total"], early["total"]) == (700, 300)


def test_running_a_period_again_creates_nothing_and_returns_the_same_rows(api, other_api, services, clock):
    clock.set(at(2026, 11, 5))
    ship(api, 2500)
    ship(other_api, 4000)
    clock.set(at(2026, 12, 3))
    first = settle_month(services, 2026, 11)
    # An earlier change of the fee does not reach a settlement already made.
    set_fee(services, api.merchant_id, 300)
    second = settle_month(services, 2026, 11)

    assert len(first) == 2 and count_settlements(services) == 2
    assert [(s.id, s.fee_cents, s.payable_cents) for s in second] == [
        (s.id, s.fee_cents, s.payable_cents) for s in first]


def test_a_merchant_without_invoices_or_credits_in_the_period_gets_no_settlement(api, other_api, services, clock):
    clock.set(at(2026, 11, 5))
    ship(api, 2500)
    clock.set(at(2026, 12, 3))
    [only] = settle_month(services, 2026, 11)
    assert only.merchant_id == api.merchant_id
    assert other_api.get("/settlements").json == {"items": [], "next_cursor": None}
    clock.set(at(2027, 1, 3))
    assert settle_month(services, 2026, 12) == []


@pytest.mark.parametrize("end", [date(2026, 11, 23), date(2026, 11, 30)])
def test_a_period_that_has_not_ended_is_refused(api, services, clock, end):
    ship(api, 2500)  # today is 2026-11-23 in the fixed clock
    with pytest.raises(Conflict, match="has not ended"):
        settle(services, date(2026, 11, 1), end)
    assert count_settlements(services) == 0
    assert len(settle(services, date(2026, 11, 1), date(2026, 11, 22))) == 0  # nothing before today yet...
    clock.set(at(2026, 11, 24))
    assert len(settle(services, date(2026, 11, 23), date(2026, 11, 23))) == 1  # ...ended yesterday: settled


def test_overlapping_periods_are_refused_so_nothing_is_settled_twice(api, services, clock):
    clock.set(at(2026, 11, 5))
    ship(api, 2500)
    clock.set(at(2026, 12, 3))
    settle(services, date(2026, 11, 1), date(2026, 11, 15))
    with pytest.raises(Conflict, match="overlaps"):
        settle_month(services, 2026, 11)
    assert len(settle(services, date(2026, 11, 16), date(2026, 11, 30))) == 0
    assert count_settlements(services) == 1


def test_test_and_live_mode_are_settled_apart(api, app, services, clock):
    with unit_of_work(services) as uow:
        live_key = merchants.issue_api_key(uow, merchant=uow.session.get(Merchant, api.merchant_id), livemode=True)
    live = ApiClient(app.test_client(), live_key, api.merchant_id)
    clock.set(at(2026, 11, 5))
    ship(api, 1000)
    ship(live, 7000)
    clock.set(at(2026, 12, 3))

    settled = settle_month(services, 2026, 11)

    assert sorted((s.livemode, s.invoiced_cents) for s in settled) == [(False, 1000), (True, 7000)]
    [test_item] = api.get("/settlements").json["items"]
    [live_item] = live.get("/settlements").json["items"]
    assert (test_item["livemode"], test_item["invoiced"]) == (False, 1000)
    assert (live_item["livemode"], live_item["invoiced"]) == (True, 7000)
    assert api.get(f"/settlements/{live_item['id']}").status_code == 404
    assert live.get(f"/settlements/{test_item['id']}/entries.csv").status_code == 404


def test_another_merchants_settlement_is_not_found(api, other_api, services, clock):
    clock.set(at(2026, 11, 5))
    ship(api, 2500)
    clock.set(at(2026, 12, 3))
    [settlement] = settle_month(services, 2026, 11)

    for path in (f"/settlements/{settlement.id}", f"/settlements/{settlement.id}/entries.csv"):
        theirs, missing = other_api.get(path), other_api.get(path.replace(settlement.id, "stl_nothing"))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.content_type == "application/problem+json"
        assert theirs.json["title"] == missing.json["title"]
    assert other_api.get("/settlements").json["items"] == []


def test_the_list_is_newest_first_with_a_cursor(api, services, clock):
    for month in (8, 9, 10):
        clock.set(at(2026, month, 10))
        ship(api, 100 * month)
        clock.set(at(2026, month + 1, 2))
        settle_month(services, 2026, month)

    page = api.get("/settlements?limit=2").json
    assert [s["period_start"] for s in page["items"]] == ["2026-10-01", "2026-09-01"]
    rest = api.get(f"/settlements?limit=2&cursor={page['next_cursor']}").json
    assert [s["period_start"] for s in rest["items"]] == ["2026-08-01"] and rest["next_cursor"] is None
    assert api.get("/settlements?cursor=nonsense").status_code == 422


def test_the_csv_parses_and_its_total_row_equals_payable(api, services, clock):
    set_fee(services, api.merchant_id, 150)
    clock.set(at(2026, 11, 3))
    inv = ship(api, 1999, 5)
    clock.set(at(2026, 11, 4))
    note = credit(api, inv["id"], 7)
    clock.set(at(2026, 12, 2))
    [settlement] = settle_month(services, 2026, 11)

    r = api.get(f"/settlements/{settlement.id}/entries.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f'filename="settlement-{settlement.id}.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows == [
        ["kind", "number", "date", "amount_cents", "amount", "currency", "invoice_number"],
        ["invoice", inv["number"], "2026-11-03", "2004", "20.04", "EUR", ""],
        ["credit_note", note["number"], "2026-11-04", "-7", "-0.07", "EUR", inv["number"]],
        ["fee", "", "2026-11-30", "-30", "-0.30", "EUR", ""],   # 2004 × 1.5 % = 30.06
        ["total", settlement.id, "2026-11-30", "1967", "19.67", "EUR", ""],
    ]
    assert int(rows[-1][3]) == settlement.payable_cents == sum(int(row[3]) for row in rows[1:-1])


def test_several_currencies_for_one_merchant_in_a_period_are_refused(api, services, clock, monkeypatch):
    from dataclasses import replace
    monkeypatch.setattr(services, "settings", replace(services.settings, currencies=("EUR", "SEK")))
    clock.set(at(2026, 11, 3))
    ship(api, 1000)
    from tests import factories
    order = api.post("/orders", json=factories.order(currency="SEK")).json
    assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201
    clock.set(at(2026, 12, 2))
    with pytest.raises(Conflict, match="one currency"):
        settle_month(services, 2026, 11)
    assert count_settlements(services) == 0


def _scope(api):
    from bnpl.tenancy import Scope
    return Scope(api.merchant_id, False)
