"""Tenant isolation: another merchant's objects answer 404 exactly as missing ones do, are
never listed, and cannot be changed; test mode and live mode are separate worlds."""
from __future__ import annotations

import pytest

from bnpl.merchants import service as merchants
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import ApiClient

SHIPPED_AT = "2026-11-23T10:00:00+00:00"  # the test clock's now, when the order is created
DELIVERED_AT = "2026-11-23T10:03:00+00:00"  # after SHIPPED_AT, within the allowed clock skew


def made_up(real_id: str) -> str:
    """An id of the same kind (prefix) and length that does not exist."""
    prefix, _, rest = real_id.partition("_")
    return f"{prefix}_{'z' * len(rest)}"


def problem_shape(response) -> tuple:
    body = response.get_json()
    return response.status_code, response.mimetype, body["type"], body["title"], body["status"]


@pytest.fixture
def shipped(api):
    """Merchant A's order, shipped in part, so there is a shipment, an invoice and an open line."""
    r = api.post("/orders", json=factories.order(lines=factories.three_lines()))
    assert r.status_code == 201, r.json
    order = r.json
    r = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}],
                                                           "shipped_at": SHIPPED_AT})
    assert r.status_code == 201, r.json
    shipment = r.json
    return {"order": order, "order_id": order["id"], "shipment_id": shipment["id"],
            "invoice_id": shipment["invoice"]["id"], "merchant_reference": order["merchant_reference"]}


def state_of(client: ApiClient, ids: dict) -> tuple:
    """What another merchant must not be able to change: A's order, invoice and events."""
    order = client.get(f"/orders/{ids['order_id']}")
    invoice = client.get(f"/invoices/{ids['invoice_id']}")
    events = client.get("/events?limit=200")
    assert order.status_code == invoice.status_code == events.status_code == 200
    return order.get_json(), invoice.get_json(), events.get_json()


def call(client: ApiClient, endpoint: str, object_id: str):
    """Every endpoint that takes an id, with a body that would be valid for the owner."""
    if endpoint == "read order":
        return client.get(f"/orders/{object_id}")
    if endpoint == "cancel order":
        return client.post(f"/orders/{object_id}/cancellations", json={})
    if endpoint == "cancel order lines":
        return client.post(f"/orders/{object_id}/cancellations",
                           json={"lines": [{"reference": "SKU-3", "quantity": 1}]})
    if endpoint == "ship order":
        return client.post(f"/orders/{object_id}/shipments", json={})
    if endpoint == "ship order lines":
        return client.post(f"/orders/{object_id}/shipments",
                           json={"lines": [{"reference": "SKU-2", "quantity": 1}]})
    if endpoint == "report delivery":
        return client.post(f"/shipments/{object_id}/delivery", json={"delivered_at": DELIVERED_AT})
    if endpoint == "read invoice":
        return client.get(f"/invoices/{object_id}")
    raise AssertionError(endpoint)


ENDPOINTS = [
    ("read order", "order_id"),
    ("cancel order", "order_id"),
    ("cancel order lines", "order_id"),
    ("ship order", "order_id"),
    ("ship order lines", "order_id"),
    ("report delivery", "shipment_id"),
    ("read invoice", "invoice_id"),
]
WRITES = [(endpoint, kind) for endpoint, kind in ENDPOINTS if not endpoint.startswith("read")]


def live_client(app, services, merchant_id: str) -> ApiClient:
    """A live-mode key for the same merchant."""
    with unit_of_work(services) as work:
        merchant = merchants.get_merchant(work, merchant_id=merchant_id)
        key = merchants.issue_api_key(work, merchant=merchant, livemode=True)
    assert key.startswith("bnpl_live_")
    return ApiClient(app.test_client(), key, merchant_id)


@pytest.fixture
def live(app, services, api):
    return live_client(app, services, api.merchant_id)


# --- another merchant ----------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, kind", ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_the_owner_can_make_each_call(api, shipped, endpoint, kind):
    """The control: the same requests succeed for the owner, so a 404 below is isolation."""
    r = call(api, endpoint, shipped[kind])
    assert r.status_code in (200, 201), r.get_data(as_text=True)


@pytest.mark.parametrize("endpoint, kind", ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_another_merchants_object_answers_404(api, other_api, shipped, endpoint, kind):
    r = call(other_api, endpoint, shipped[kind])
    assert r.status_code == 404, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"


@pytest.mark.parametrize("endpoint, kind", ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_another_merchants_object_looks_exactly_like_a_missing_one(api, other_api, shipped, endpoint, kind):
    foreign = call(other_api, endpoint, shipped[kind])
    missing = call(other_api, endpoint, made_up(shipped[kind]))
    assert problem_shape(foreign) == problem_shape(missing)
    assert foreign.get_json().keys() == missing.get_json().keys()
    assert foreign.get_json()["detail"] == missing.get_json()["detail"].replace(
        made_up(shipped[kind]), shipped[kind])


@pytest.mark.parametrize("endpoint, kind", ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_another_merchant_changes_nothing(api, other_api, shipped, endpoint, kind):
    before = state_of(api, shipped)
    call(other_api, endpoint, shipped[kind])
    assert state_of(api, shipped) == before


@pytest.mark.parametrize("endpoint, kind", WRITES, ids=[e for e, _ in WRITES])
def test_another_merchants_failed_write_records_no_event_for_itself(api, other_api, shipped, endpoint, kind):
    before = other_api.get("/events").get_json()
    call(other_api, endpoint, shipped[kind])
    assert other_api.get("/events").get_json() == before


def test_another_merchants_idempotency_key_does_not_reach_the_object(api, other_api, shipped):
    before = state_of(api, shipped)
    r = other_api.post(f"/orders/{shipped['order_id']}/shipments", json={}, headers={"Idempotency-Key": "ship-1"})
    assert r.status_code == 404
    assert state_of(api, shipped) == before


def test_another_merchants_lists_show_none_of_my_objects(api, other_api, shipped):
    assert other_api.get("/orders").get_json() == {"items": [], "next_cursor": None}
    assert other_api.get("/invoices").get_json() == {"items": [], "next_cursor": None}
    assert other_api.get("/events").get_json() == {"items": [], "next_cursor": None}


def test_another_merchants_lists_skip_my_objects_next_to_its_own(api, other_api, shipped):
    mine = other_api.post("/orders", json=factories.order())
    assert mine.status_code == 201
    assert other_api.post(f"/orders/{mine.json['id']}/shipments", json={}).status_code == 201

    orders = other_api.get("/orders").get_json()["items"]
    invoices = other_api.get("/invoices").get_json()["items"]
    events = other_api.get("/events").get_json()["items"]
    assert [o["id"] for o in orders] == [mine.json["id"]]
    assert [i["order_id"] for i in invoices] == [mine.json["id"]]
    assert events and all(e["data"].get("order_id", mine.json["id"]) == mine.json["id"] for e in events)
    assert not {shipped["order_id"], shipped["shipment_id"], shipped["invoice_id"]} & {
        e["data"].get("id") for e in events}


def test_filters_do_not_reach_another_merchants_objects(api, other_api, shipped):
    assert other_api.get(f"/orders?merchant_reference={shipped['merchant_reference']}").json["items"] == []
    assert other_api.get(f"/invoices?order_id={shipped['order_id']}").json["items"] == []


def test_a_merchant_reference_is_unique_per_merchant_only(api, other_api, shipped):
    r = other_api.post("/orders", json=factories.order(merchant_reference=shipped["merchant_reference"]))
    assert r.status_code == 201, r.json
    assert r.json["id"] != shipped["order_id"]


def test_my_own_objects_stay_readable(api, other_api, shipped):
    assert api.get(f"/orders/{shipped['order_id']}").status_code == 200
    assert api.get(f"/invoices/{shipped['invoice_id']}").status_code == 200
    assert [o["id"] for o in api.get("/orders").json["items"]] == [shipped["order_id"]]


# --- merchant settings -----------------------------------------------------------------------

def test_patching_merchant_changes_only_the_callers_settings(api, other_api):
    mine_before = api.get("/merchant").get_json()
    r = other_api.patch("/merchant", json={"return_pause_days": 10, "order_limit": 100_000})
    assert r.status_code == 202, r.json
    assert r.json["id"] == other_api.merchant_id
    assert r.json["return_pause_days"] == 10 and r.json["pending_changes"][0]["to"] == 100_000
    assert api.get("/merchant").get_json() == mine_before


def test_patching_merchant_cannot_name_another_merchant(api, other_api):
    mine_before = api.get("/merchant").get_json()
    r = other_api.patch("/merchant", json={"id": api.merchant_id, "invoice_term_days": 30})
    assert r.status_code == 422
    assert "id" in r.json["errors"]
    assert api.get("/merchant").get_json() == mine_before


def test_another_merchants_settings_change_is_not_my_event(api, other_api):
    assert other_api.patch("/merchant", json={"transit_days": 5}).status_code == 202
    assert api.get("/events").json["items"] == []


# --- idempotency keys --------------------------------------------------------------------------

def test_the_same_idempotency_key_for_two_merchants_with_different_bodies(api, other_api):
    headers = {"Idempotency-Key": "order-1"}
    a = api.post("/orders", json=factories.order(), headers=headers)
    b = other_api.post("/orders", json=factories.order(lines=factories.three_lines()), headers=headers)
    assert a.status_code == 201 and b.status_code == 201, (a.json, b.json)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json["id"] != b.json["id"]


def test_the_same_idempotency_key_and_body_for_two_merchants_makes_two_orders(api, other_api):
    headers, body = {"Idempotency-Key": "order-1"}, factories.order()
    a = api.post("/orders", json=body, headers=headers)
    b = other_api.post("/orders", json=body, headers=headers)
    assert a.status_code == 201 and b.status_code == 201, (a.json, b.json)
    assert "Idempotent-Replayed" not in b.headers
    assert a.json["id"] != b.json["id"]
    assert [o["id"] for o in other_api.get("/orders").json["items"]] == [b.json["id"]]


def test_the_same_idempotency_key_in_test_and_live_mode_is_independent(api, live):
    headers = {"Idempotency-Key": "order-1"}
    t = api.post("/orders", json=factories.order(), headers=headers)
    lv = live.post("/orders", json=factories.order(), headers=headers)
    assert t.status_code == 201 and lv.status_code == 201, (t.json, lv.json)
    assert "Idempotent-Replayed" not in lv.headers
    assert t.json["livemode"] is False and lv.json["livemode"] is True


# --- test mode and live mode -------------------------------------------------------------------

def test_a_live_key_sees_no_test_mode_objects(api, live, shipped):
    assert live.get("/orders").get_json() == {"items": [], "next_cursor": None}
    assert live.get("/invoices").get_json() == {"items": [], "next_cursor": None}
    assert live.get("/events").get_json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("endpoint, kind", ENDPOINTS, ids=[e for e, _ in ENDPOINTS])
def test_a_live_key_gets_404_for_test_mode_ids(api, live, shipped, endpoint, kind):
    before = state_of(api, shipped)
    r = call(live, endpoint, shipped[kind])
    assert problem_shape(r) == problem_shape(call(live, endpoint, made_up(shipped[kind])))
    assert r.status_code == 404
    assert state_of(api, shipped) == before


def test_a_test_key_sees_no_live_mode_objects(api, live):
    r = live.post("/orders", json=factories.order())
    assert r.status_code == 201 and r.json["livemode"] is True, r.json
    assert live.post(f"/orders/{r.json['id']}/shipments", json={}).status_code == 201
    assert api.get("/orders").json["items"] == []
    assert api.get("/invoices").json["items"] == []
    assert api.get("/events").json["items"] == []
    assert api.get(f"/orders/{r.json['id']}").status_code == 404


def test_test_mode_orders_are_created_in_test_mode(api):
    r = api.post("/orders", json=factories.order())
    assert r.status_code == 201 and r.json["livemode"] is False


def test_a_merchant_reference_is_unique_per_mode(api, live, shipped):
    r = live.post("/orders", json=factories.order(merchant_reference=shipped["merchant_reference"]))
    assert r.status_code == 201, r.json
    assert r.json["id"] != shipped["order_id"]
