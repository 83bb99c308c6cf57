"""Idempotency-Key: the same request twice is answered once; a reused key is a conflict."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import factories


def orders_count(api):
    return len(api.get("/orders?limit=200").json["items"])


def test_a_repeat_returns_the_first_response_marked_as_replayed(api):
    body = factories.order()
    first = api.post("/orders", json=body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert orders_count(api) == 1


def test_the_same_json_in_another_layout_is_the_same_request(api):
    body = factories.order()
    api.post("/orders", json=body, headers={"Idempotency-Key": "k-2"})
    reordered = dict(reversed(list(body.items())))
    again = api.post("/orders", json=reordered, headers={"Idempotency-Key": "k-2"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_a_conflict(api):
    api.post("/orders", json=factories.order(), headers={"Idempotency-Key": "k-3"})
    r = api.post("/orders", json=factories.order(), headers={"Idempotency-Key": "k-3"})
    assert r.status_code == 409
    assert r.headers["Content-Type"] == "application/problem+json"
    assert "different request" in r.json["detail"]
    assert orders_count(api) == 1


def test_the_same_key_on_another_path_is_a_conflict(api):
    order = api.post("/orders", json=factories.order(), headers={"Idempotency-Key": "k-4"}).json
    r = api.post(f"/orders/{order['id']}/shipments", json={}, headers={"Idempotency-Key": "k-4"})
    assert r.status_code == 409


def test_a_failed_request_stores_nothing_so_a_corrected_retry_may_use_the_key(api):
    bad = factories.order(lines=[factories.line(quantity=0)])
    assert api.post("/orders", json=bad, headers={"Idempotency-Key": "k-5"}).status_code == 422
    good = api.post("/orders", json=factories.order(), headers={"Idempotency-Key": "k-5"})
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers


def test_a_replayed_shipment_issues_no_second_invoice(api):
    order = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    body = {"lines": [{"reference": "SKU-1", "quantity": 1}]}
    first = api.post(f"/orders/{order['id']}/shipments", json=body, headers={"Idempotency-Key": "ship-1"})
    again = api.post(f"/orders/{order['id']}/shipments", json=body, headers={"Idempotency-Key": "ship-1"})
    assert again.json["invoice"]["number"] == first.json["invoice"]["number"]
    assert len(api.get("/invoices").json["items"]) == 1


def test_an_unusable_key_is_refused(api):
    r = api.post("/orders", json=factories.order(), headers={"Idempotency-Key": "x" * 256})
    assert r.status_code == 400
    assert orders_count(api) == 0


def test_two_simultaneous_requests_with_one_key_create_one_order(api):
    body = factories.order()
    start = threading.Barrier(2)
    answers = []

    def send():
        start.wait()
        answers.append(api.post("/orders", json=body, headers={"Idempotency-Key": "race-1"}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json["id"] == answers[1].json["id"]
    assert sorted(a.headers.get("Idempotent-Replayed", "no") for a in answers) == ["no", "true"]
    assert orders_count(api) == 1


@pytest.mark.postgres
def test_simultaneous_orders_with_one_merchant_reference_give_one_order_and_conflicts(api):
    start = threading.Barrier(4)

    def send(i):
        body = factories.order(merchant_reference="WEB-SAME")
        start.wait()
        return api.post("/orders", json=body, headers={"Idempotency-Key": f"same-ref-{i}"})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert all(a.headers["Content-Type"] == "application/problem+json" for a in answers if a.status_code == 409)
    assert orders_count(api) == 1
