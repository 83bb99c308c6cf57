"""Webhook endpoints through the merchant API: create (the secret shown once), list, read,
delete, which event types and URLs are accepted, tenancy, and idempotent creation."""
import pytest
from sqlalchemy import select

from bnpl.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import ApiClient, make_merchant
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's

ENDPOINTS = "/webhook-endpoints"


def create_endpoint(api, url, **body):
    r = api.post(ENDPOINTS, json={"url": url, **body})
    assert r.status_code == 201, r.json
    return r.json


def delete(api, path):
    return api.client.delete("/api/v1" + path, headers=api._headers(None))


def place_order(api):
    r = api.post("/orders", json=factories.order())
    assert r.status_code == 201, r.json
    return r.json


def webhook_messages(services):
    with services.sessionmaker() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()


@pytest.fixture
def live_api(app, services) -> ApiClient:
    merchant_id, key = make_merchant(services, "Kaashandel Gouda", livemode=True)
    return ApiClient(app.test_client(), key, merchant_id)


# --- create, read, list, delete --------------------------------------------------------------

def test_create_answers_201_with_the_endpoint_and_its_whsec_secret(api, receiver):
    created = create_endpoint(api, receiver.url, description="shop backend")
    assert created["id"].startswith("we_") and created["object"] == "webhook_endpoint"
    assert created["url"] == receiver.url and created["description"] == "shop backend"
    assert created["livemode"] is False and created["enabled"] is True
    assert created["event_types"] == ["*"] and created["failing_since"] is None
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30


def test_the_secret_is_never_shown_again_by_read_or_list(api, receiver):
    created = create_endpoint(api, receiver.url)
    read = api.get(f"{ENDPOINTS}/{created['id']}")
    listed = api.get(ENDPOINTS)
    assert read.status_code == 200 and listed.status_code == 200
    assert "secret" not in read.json
    assert all("secret" not in item for item in listed.json["items"])
    assert created["secret"] not in read.get_data(as_text=True) + listed.get_data(as_text=True)


def test_each_endpoint_gets_its_own_secret(api, receiver):
    first, second = create_endpoint(api, receiver.url), create_endpoint(api, receiver.url)
    assert first["secret"] != second["secret"]


def test_list_shows_the_merchants_endpoints_oldest_first(api, receiver, clock):
    first = create_endpoint(api, receiver.url)
    clock.advance(seconds=1)
    second = create_endpoint(api, "https://example.com/hooks", event_types=["order.accepted"])
    listed = api.get(ENDPOINTS).json
    assert [e["id"] for e in listed["items"]] == [first["id"], second["id"]]
    assert listed["items"][1]["event_types"] == ["order.accepted"]
    assert listed["next_cursor"] is None


def test_read_shows_one_endpoint_as_created(api, receiver):
    created = create_endpoint(api, receiver.url, event_types=["order.accepted", "order.cancelled"])
    read = api.get(f"{ENDPOINTS}/{created['id']}").json
    assert read == {k: v for k, v in created.items() if k != "secret"}


def test_reading_an_unknown_endpoint_is_a_404(api):
    assert api.get(f"{ENDPOINTS}/we_doesnotexist").status_code == 404


def test_delete_answers_204_and_the_endpoint_is_gone(api, receiver):
    created = create_endpoint(api, receiver.url)
    r = delete(api, f"{ENDPOINTS}/{created['id']}")
    assert r.status_code == 204 and r.get_data() == b""
    assert api.get(ENDPOINTS).json["items"] == []
    assert api.get(f"{ENDPOINTS}/{created['id']}").status_code == 404
    assert delete(api, f"{ENDPOINTS}/{created['id']}").status_code == 404


def test_events_after_a_delete_are_not_sent_to_the_endpoint(api, receiver, services):
    created = create_endpoint(api, receiver.url)
    assert delete(api, f"{ENDPOINTS}/{created['id']}").status_code == 204
    place_order(api)
    assert webhook_messages(services) == []
    deliver_outbox(services)
    assert receiver.requests == []


def test_messages_pending_for_a_deleted_endpoint_are_dropped_at_send_time(api, receiver, services):
    created = create_endpoint(api, receiver.url)
    place_order(api)
    [pending] = webhook_messages(services)
    assert pending.status == "pending" and pending.recipient == created["id"]
    assert delete(api, f"{ENDPOINTS}/{created['id']}").status_code == 204
    assert deliver_outbox(services) == {"dropped": 1}
    assert receiver.requests == []
    [dropped] = webhook_messages(services)
    assert dropped.status == "dropped" and dropped.outcome == "endpoint deleted"


# --- event types -------------------------------------------------------------------------------

def test_an_unknown_event_type_is_a_422_naming_it(api, receiver):
    r = api.post(ENDPOINTS, json={"url": receiver.url, "event_types": ["order.accepted", "order.exploded"]})
    assert r.status_code == 422
    message = " ".join(r.json["errors"]["event_types"])
    assert "Unknown event type(s): order.exploded." in message
    assert api.get(ENDPOINTS).json["items"] == []


def test_without_event_types_an_endpoint_gets_every_event(api, receiver):
    assert create_endpoint(api, receiver.url)["event_types"] == ["*"]


def test_an_empty_event_type_list_is_a_422(api, receiver):
    r = api.post(ENDPOINTS, json={"url": receiver.url, "event_types": []})
    assert r.status_code == 422 and "event_types" in r.json["errors"]


def test_event_types_are_stored_sorted_without_repeats(api, receiver):
    created = create_endpoint(api, receiver.url, event_types=["order.cancelled", "order.accepted", "order.cancelled"])
    assert created["event_types"] == ["order.accepted", "order.cancelled"]


# --- URL rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://example.com/hooks",          # plain http to a host that is not this machine
    "http://10.0.0.1/hooks",
    "https://10.0.0.1/hooks",            # private networks, even in test mode
    "https://169.254.169.254/latest/meta-data",
    "https://metadata.google.internal/computeMetadata/v1/",
    "ftp://example.com/hooks",           # not http(s)
    "https://user:pass@example.com/hooks",  # credentials in the URL
    "https://token@example.com/hooks",
    "http://user:pass@127.0.0.1/hooks",
    "https:///hooks",                    # no host
    "https://example.com:99999/hooks",   # a port out of range
    "example.com/hooks",
])
def test_a_url_refused_in_test_mode_is_a_422_on_url(api, url):
    r = api.post(ENDPOINTS, json={"url": url})
    assert r.status_code == 422, r.json
    assert list(r.json["errors"]) == ["url"]
    assert api.get(ENDPOINTS).json["items"] == []


@pytest.mark.parametrize("url", [
    "https://example.com/hooks",
    "http://127.0.0.1:8080/hooks",  # a receiver on the developer's own machine
    "http://localhost/hooks",
    "http://[::1]:8080/hooks",
])
def test_a_url_accepted_in_test_mode_is_a_201(api, url):
    assert create_endpoint(api, url)["url"] == url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hooks",  # plain http, even to loopback
    "http://localhost/hooks",
    "http://example.com/hooks",
    "https://127.0.0.1/hooks",      # loopback
    "https://[::1]/hooks",
    "https://localhost/hooks",
    "https://10.0.0.1/hooks",       # private networks
    "https://192.168.1.20/hooks",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://[::ffff:127.0.0.1]/hooks",  # loopback written as IPv6
    "https://127.1/hooks",          # loopback in the shorthand and numeric forms resolvers accept
    "https://2130706433/hooks",
    "https://0x7f000001/hooks",
])
def test_a_live_key_cannot_use_plain_http_or_internal_addresses(live_api, url):
    r = live_api.post(ENDPOINTS, json={"url": url})
    assert r.status_code == 422, r.json
    assert list(r.json["errors"]) == ["url"]


def test_a_live_key_can_use_a_public_https_url(live_api):
    created = create_endpoint(live_api, "https://example.com/hooks")
    assert created["livemode"] is True


# --- tenancy and idempotency -----------------------------------------------------------------------

def test_another_merchant_cannot_read_list_or_delete_an_endpoint(api, other_api, receiver):
    created = create_endpoint(api, receiver.url)
    assert other_api.get(f"{ENDPOINTS}/{created['id']}").status_code == 404
    assert delete(other_api, f"{ENDPOINTS}/{created['id']}").status_code == 404
    assert other_api.get(ENDPOINTS).json["items"] == []
    assert api.get(f"{ENDPOINTS}/{created['id']}").json["enabled"] is True


def test_the_same_merchants_live_key_does_not_see_its_test_endpoints(api, app, services, receiver):
    from bnpl.merchants import service as merchants
    from bnpl.uow import unit_of_work

    created = create_endpoint(api, receiver.url)
    with unit_of_work(services) as uow:
        merchant = merchants.get_merchant(uow, merchant_id=api.merchant_id)
        live_key = merchants.issue_api_key(uow, merchant=merchant, livemode=True)
    live = ApiClient(app.test_client(), live_key, api.merchant_id)
    assert live.get(f"{ENDPOINTS}/{created['id']}").status_code == 404
    assert live.get(ENDPOINTS).json["items"] == []
    assert delete(live, f"{ENDPOINTS}/{created['id']}").status_code == 404


def test_an_idempotency_key_replays_the_same_endpoint_and_secret(api, receiver):
    headers = {"Idempotency-Key": "create-hook-1"}
    first = api.post(ENDPOINTS, json={"url": receiver.url}, headers=headers)
    again = api.post(ENDPOINTS, json={"url": receiver.url}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.json["secret"].startswith("whsec_")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert [e["id"] for e in api.get(ENDPOINTS).json["items"]] == [first.json["id"]]


def test_an_idempotency_key_reused_for_another_url_is_a_409(api, receiver):
    headers = {"Idempotency-Key": "create-hook-2"}
    assert api.post(ENDPOINTS, json={"url": receiver.url}, headers=headers).status_code == 201
    r = api.post(ENDPOINTS, json={"url": "https://example.com/other"}, headers=headers)
    assert r.status_code == 409
    assert len(api.get(ENDPOINTS).json["items"]) == 1


def test_without_the_operators_consent_even_test_mode_cannot_point_at_this_machine(app, services):
    # The test harness allows loopback (its receivers run there); a default deployment does not.
    import dataclasses

    services.settings = dataclasses.replace(services.settings, webhooks_allow_loopback=False)
    _, key = make_merchant(services, "Kaashandel Gouda")
    api = ApiClient(app.test_client(), key)
    for url in ("http://127.0.0.1:8080/hooks", "https://localhost/hooks", "https://127.0.0.1:6379/"):
        r = api.post(ENDPOINTS, json={"url": url})
        assert r.status_code == 422, (url, r.json)
