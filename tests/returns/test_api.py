"""Returns through the merchant API: the consumer pays only for what they keep."""
from datetime import date, timedelta

import pytest

from bnpl.returns import jobs
from tests import factories


@pytest.fixture
def shipped(api):
    """An order of three lines, shipped whole: one invoice of 5399."""
    order = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    shipment = api.post(f"/orders/{order['id']}/shipments", json={}).json
    return order, shipment["invoice"]


def ret(api, order_id, lines, **body):
    return api.post(f"/orders/{order_id}/returns", json={"lines": lines, **body})


def invoice(api, invoice_id):
    return api.get(f"/invoices/{invoice_id}").json


def types(api):
    return [e["type"] for e in api.get("/events?limit=200").json["items"]]


def test_an_announced_return_pauses_the_invoice(api, shipped):
    order, inv = shipped
    r = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}], carrier="PostNL", tracking_code="3S123")
    assert r.status_code == 201, r.json
    assert r.json["status"] == "announced" and r.json["credit_notes"] == []
    assert r.json["lines"] == [{"reference": "SKU-2", "quantity": 1, "invoice_id": inv["id"]}]
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"], now["pause_reason"]) == ("paused", True, "return")
    assert now["balance"] == 5399  # nothing is credited before the goods arrive
    assert types(api)[-2:] == ["invoice.paused", "return.announced"]


def test_receipt_credits_the_lines_and_resumes_with_the_due_date_moved_by_the_paused_days(api, shipped, clock):
    order, inv = shipped
    announced = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 2}]).json
    clock.advance(days=6)
    r = api.post(f"/returns/{announced['id']}/receipt")
    assert r.status_code == 200, r.json
    note = r.json["credit_notes"][0]
    assert note["number"] == "TEST-CN-2026-000001"
    assert note["total"] == 900 and note["invoice_id"] == inv["id"]
    assert note["lines"] == [{"reference": "SKU-2", "description": "Article SKU-2", "quantity": 2,
                              "unit_price": 450, "vat_rate": 9, "total": 900}]
    assert note["vat_breakdown"] == [{"rate": 9, "net": 826, "vat": 74, "gross": 900}]
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"], now["credited"], now["balance"]) == ("open", False, 900, 4499)
    assert date.fromisoformat(now["due_date"]) == date.fromisoformat(inv["due_date"]) + timedelta(days=6)
    assert now["pauses"][0]["lifted_by"] == "return received"
    assert types(api)[-3:] == ["invoice.resumed", "credit_note.issued", "return.received"]
    assert api.get(f"/credit-notes/{note['id']}").json == note


def test_a_received_return_is_credited_at_once_without_a_pause(api, shipped):
    order, inv = shipped
    r = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}], status="received")
    assert r.status_code == 201, r.json
    assert r.json["status"] == "received" and r.json["credit_notes"][0]["total"] == 1999
    now = invoice(api, inv["id"])
    assert now["pauses"] == [] and now["due_date"] == inv["due_date"] and now["balance"] == 3400
    assert "invoice.paused" not in types(api)


def test_returning_everything_credits_the_invoice_to_zero_and_closes_it(api, shipped):
    order, inv = shipped
    lines = [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 2},
             {"reference": "SKU-3", "quantity": 1}]
    ret(api, order["id"], lines, status="received")
    now = invoice(api, inv["id"])
    assert (now["status"], now["credited"], now["balance"], now["refund_owed"]) == ("credited", 5399, 0, 0)
    returned = api.get(f"/orders/{order['id']}").json["lines"]
    assert [line["returned_quantity"] for line in returned] == [1, 2, 1]


def test_a_return_across_two_invoices_credits_each_for_what_it_billed(api):
    order = api.post("/orders", json=factories.order(lines=[factories.line("SKU-1", quantity=3, unit_price=1000)])).json
    first = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).json
    second = api.post(f"/orders/{order['id']}/shipments", json={}).json
    r = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 2}], status="received").json
    assert [(line["invoice_id"], line["quantity"]) for line in r["lines"]] == [
        (first["invoice"]["id"], 1), (second["invoice"]["id"], 1)]
    assert [n["total"] for n in r["credit_notes"]] == [1000, 1000]
    assert [n["number"] for n in r["credit_notes"]] == ["TEST-CN-2026-000001", "TEST-CN-2026-000002"]
    assert invoice(api, first["invoice"]["id"])["status"] == "credited"
    assert invoice(api, second["invoice"]["id"])["balance"] == 1000


def test_returning_more_than_shipped_minus_returned_is_a_409_that_shows_what_can_be_returned(api, shipped):
    order, inv = shipped
    ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])
    before = types(api)
    r = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 2}])
    assert r.status_code == 409
    assert {"reference": "SKU-2", "quantity": 1} in r.json["returnable_lines"]
    assert "only 1" in r.json["detail"]
    assert types(api) == before


def test_unshipped_goods_cannot_be_returned(api):
    order = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]})
    r = ret(api, order["id"], [{"reference": "SKU-3", "quantity": 1}])
    assert r.status_code == 409 and r.json["returnable_lines"] == [{"reference": "SKU-1", "quantity": 1}]


@pytest.mark.parametrize("lines, path", [
    ([{"reference": "NOPE", "quantity": 1}], "lines.0.reference"),
    ([{"reference": "SKU-1", "quantity": 0}], "lines.0.quantity"),
    ([{"reference": "SKU-1", "quantity": 1.5}], "lines.0.quantity"),
    ([], "lines"),
])
def test_bad_return_lines_are_422_and_change_nothing(api, shipped, lines, path):
    order, _ = shipped
    before = types(api)
    r = ret(api, order["id"], lines)
    assert r.status_code == 422 and path in r.json["errors"], r.json
    assert types(api) == before


def test_a_receipt_for_a_return_already_received_is_a_409(api, shipped):
    order, _ = shipped
    received = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}], status="received").json
    r = api.post(f"/returns/{received['id']}/receipt")
    assert r.status_code == 409 and "already received" in r.json["detail"]


def test_overlapping_returns_move_the_due_date_by_the_paused_stretch_once(api, shipped, clock):
    order, inv = shipped
    a = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).json
    clock.advance(days=2)
    b = ret(api, order["id"], [{"reference": "SKU-3", "quantity": 1}]).json
    clock.advance(days=3)
    api.post(f"/returns/{a['id']}/receipt")
    assert invoice(api, inv["id"])["status"] == "paused"  # b still travels
    clock.advance(days=4)
    api.post(f"/returns/{b['id']}/receipt")
    now = invoice(api, inv["id"])
    assert date.fromisoformat(now["due_date"]) == date.fromisoformat(inv["due_date"]) + timedelta(days=9)


def test_an_announced_return_that_never_arrives_resumes_the_invoice_after_the_pause(api, shipped, clock, services):
    order, inv = shipped
    announced = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).json
    clock.advance(days=27)
    assert jobs.flag_overdue_returns(services) == 0
    clock.advance(days=1)
    assert jobs.flag_overdue_returns(services) == 1
    assert jobs.flag_overdue_returns(services) == 0  # flagged once
    now = invoice(api, inv["id"])
    assert now["status"] == "open" and now["pauses"][0]["lifted_by"] == "return overdue"
    assert date.fromisoformat(now["due_date"]) == date.fromisoformat(inv["due_date"]) + timedelta(days=28)
    assert types(api)[-2:] == ["invoice.resumed", "return.overdue"]
    late = api.post(f"/returns/{announced['id']}/receipt")  # the parcel turns up after all
    assert late.status_code == 200 and invoice(api, inv["id"])["credited"] == 1999


def test_the_return_pause_is_a_merchant_setting(api, shipped, clock, services):
    api.patch("/merchant", json={"return_pause_days": 10})
    order, _ = shipped
    announced = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).json
    assert announced["receive_by"].startswith("2026-12-03")
    clock.advance(days=10)
    assert jobs.flag_overdue_returns(services) == 1


def test_a_paused_invoice_past_its_due_date_does_not_decline_the_consumer(api, shipped, clock):
    order, _ = shipped
    ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])
    clock.advance(days=20)
    assert api.post("/orders", json=factories.order()).json["status"] == "accepted"


def test_an_amount_credit_is_split_over_the_vat_rates_of_the_invoice(api, shipped):
    _, inv = shipped  # 4499 at 21 %, 900 at 9 %
    r = api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1000, "reason": "Scratched frame, kept"})
    assert r.status_code == 201, r.json
    assert r.json["kind"] == "amount" and r.json["total"] == 1000
    assert [(line["vat_rate"], line["total"]) for line in r.json["lines"]] == [(21, 833), (9, 167)]
    assert all(line["description"] == "Scratched frame, kept" for line in r.json["lines"])
    assert invoice(api, inv["id"])["balance"] == 4399


def test_credits_can_never_exceed_what_was_invoiced(api, shipped):
    order, inv = shipped
    ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}], status="received")
    r = api.post(f"/invoices/{inv['id']}/credits", json={"amount": 3401, "reason": "goodwill"})
    assert r.status_code == 409 and r.json["creditable"] == 3400
    assert api.post(f"/invoices/{inv['id']}/credits", json={"amount": 3400, "reason": "goodwill"}).status_code == 201
    assert invoice(api, inv["id"])["status"] == "credited"


@pytest.mark.parametrize("body, path", [
    ({"amount": 10.5, "reason": "x"}, "amount"),
    ({"amount": 0, "reason": "x"}, "amount"),
    ({"amount": -100, "reason": "x"}, "amount"),
    ({"amount": 100}, "reason"),
])
def test_bad_amount_credits_are_422(api, shipped, body, path):
    _, inv = shipped
    r = api.post(f"/invoices/{inv['id']}/credits", json=body)
    assert r.status_code == 422 and path in r.json["errors"]
    assert invoice(api, inv["id"])["credited"] == 0


def test_another_merchant_sees_none_of_it(api, other_api, shipped):
    order, inv = shipped
    announced = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).json
    note = api.post(f"/invoices/{inv['id']}/credits", json={"amount": 100, "reason": "x"}).json
    assert ret(other_api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).status_code == 404
    assert other_api.post(f"/returns/{announced['id']}/receipt").status_code == 404
    assert other_api.get(f"/returns/{announced['id']}").status_code == 404
    assert other_api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1, "reason": "x"}).status_code == 404
    assert other_api.get(f"/credit-notes/{note['id']}").status_code == 404
    assert api.get(f"/returns/{announced['id']}").json["status"] == "announced"


def test_a_return_after_an_amount_credit_credits_no_more_than_is_left(api, shipped):
    order, inv = shipped  # 5399
    api.post(f"/invoices/{inv['id']}/credits", json={"amount": 5000, "reason": "Price match"})
    r = ret(api, order["id"], [{"reference": "SKU-3", "quantity": 1}], status="received")  # 2500 of goods
    assert r.status_code == 201, r.json
    note = r.json["credit_notes"][0]
    assert note["total"] == 399
    assert note["lines"][0]["total"] == 2500
    assert [line["total"] for line in note["lines"][1:]] == [-2101]
    now = invoice(api, inv["id"])
    assert (now["status"], now["credited"], now["balance"]) == ("credited", 5399, 0)


@pytest.mark.postgres
def test_two_simultaneous_returns_of_the_last_unit_count_it_once(api, shipped):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    order, inv = shipped
    start = threading.Barrier(4)

    def send(_):
        start.wait()
        return ret(api, order["id"], [{"reference": "SKU-3", "quantity": 1}], status="received")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert invoice(api, inv["id"])["credited"] == 2500


def test_only_an_open_invoice_may_be_chased(api, shipped, services):
    from bnpl.invoices import service as invoices
    from bnpl.tenancy import Scope
    from bnpl.uow import unit_of_work

    def chaseable(invoice_id):
        with unit_of_work(services) as uow:
            return invoices.get_invoice(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id).may_be_chased

    order, inv = shipped
    assert chaseable(inv["id"])
    announced = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}]).json
    assert not chaseable(inv["id"])  # paused by the return
    api.post(f"/returns/{announced['id']}/receipt")
    assert chaseable(inv["id"])
    api.post(f"/invoices/{inv['id']}/credits", json={"amount": 3400, "reason": "kept at a discount"})
    assert not chaseable(inv["id"])  # credited in full
