"""API keys as a resource: a merchant makes, lists and revokes its own keys; a live key only
once the provider approved the webshop; a revoked key is refused at the very next request."""
from __future__ import annotations

from bnpl.audit import service as audit
from bnpl.uow import unit_of_work
from tests.conftest import ApiClient, make_merchant


def new_key(api, **body):
    answer = api.post("/api-keys", json={"name": "shop server", **body})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_new_test_key_is_shown_once_and_works(api):
    created = new_key(api)
    assert created["secret"].startswith("bnpl_test_") and created["livemode"] is False
    assert created["prefix"] == created["secret"][:14] and created["name"] == "shop server"
    assert ApiClient(api.client, created["secret"]).get("/merchant").status_code == 200
    listed = api.get("/api-keys").json["items"]
    assert created["id"] in [key["id"] for key in listed]
    assert all("secret" not in key and "key_hash" not in key for key in listed)


def test_the_list_shows_when_each_key_was_last_used(api, clock):
    created = new_key(api)
    assert [k["last_used_at"] for k in api.get("/api-keys").json["items"] if k["id"] == created["id"]] == [None]
    clock.advance(minutes=5)
    ApiClient(api.client, created["secret"]).get("/merchant")
    used = [k["last_used_at"] for k in api.get("/api-keys").json["items"] if k["id"] == created["id"]]
    assert used == ["2026-11-23T10:05:00+00:00"]


def test_a_revoked_key_answers_401_at_once(api):
    created = new_key(api)
    other = ApiClient(api.client, created["secret"])
    assert other.get("/orders").status_code == 200
    revoked = api.client.delete(f"/api/v1/api-keys/{created['id']}", headers={"Authorization": f"Bearer {api.key}"})
    assert revoked.status_code == 200 and revoked.json["revoked_at"] == "2026-11-23T10:00:00+00:00"
    refused = other.get("/orders")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"


def test_the_last_working_key_is_not_revoked(api):
    [only] = api.get("/api-keys").json["items"]
    answer = api.client.delete(f"/api/v1/api-keys/{only['id']}", headers={"Authorization": f"Bearer {api.key}"})
    assert answer.status_code == 409 and "another key first" in answer.json["detail"]
    assert api.get("/merchant").status_code == 200


def test_another_merchants_key_is_not_found(api, other_api):
    [theirs] = other_api.get("/api-keys").json["items"]
    answer = api.client.delete(f"/api/v1/api-keys/{theirs['id']}", headers={"Authorization": f"Bearer {api.key}"})
    assert answer.status_code == 404
    assert other_api.get("/merchant").status_code == 200


def test_a_live_key_needs_an_approved_webshop(api):
    answer = api.post("/api-keys", json={"livemode": True})
    assert answer.status_code == 403, answer.json
    assert "approved" in answer.json["detail"]


def test_an_approved_webshop_makes_live_keys(app, services):
    merchant_id, key = make_merchant(services, "Boekhandel Groningen", livemode=True)  # approved by the operator
    live = ApiClient(app.test_client(), key, merchant_id)
    assert new_key(live, livemode=True)["secret"].startswith("bnpl_live_")
    with unit_of_work(services) as uow:
        assert [e.action for e in audit.entries(uow, merchant_id=merchant_id)][0] == "api_key.created"


def test_a_test_key_never_makes_a_live_key_even_for_an_approved_webshop(app, services):
    merchant_id, key = make_merchant(services, "Boekhandel Groningen", livemode=True)
    live = ApiClient(app.test_client(), key, merchant_id)
    test_key = new_key(live, livemode=False)["secret"]
    answer = ApiClient(live.client, test_key).post("/api-keys", json={"livemode": True})
    assert answer.status_code == 403 and "made with a live key" in answer.json["detail"]


def test_a_test_key_neither_sees_nor_revokes_live_keys(app, services):
    merchant_id, key = make_merchant(services, "Boekhandel Groningen", livemode=True)
    live = ApiClient(app.test_client(), key, merchant_id)
    test = ApiClient(live.client, new_key(live, livemode=False)["secret"])
    assert [k["livemode"] for k in test.get("/api-keys").json["items"]] == [False]
    [live_key] = [k for k in live.get("/api-keys").json["items"] if k["livemode"]]
    answer = test.client.delete(f"/api/v1/api-keys/{live_key['id']}", headers={"Authorization": f"Bearer {test.key}"})
    assert answer.status_code == 404


def test_a_webshop_has_at_most_twenty_working_keys_per_mode(api):
    for _ in range(19):
        new_key(api)
    answer = api.post("/api-keys", json={})
    assert answer.status_code == 409 and "20" in answer.json["detail"]
