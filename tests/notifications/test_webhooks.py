"""Webhook delivery end to end: an event reaches a real HTTP receiver on 127.0.0.1, signed;
failures are retried with the same event id; an endpoint failing for three days is
switched off and its merchant told."""
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bnpl.config import Settings
from bnpl.notifications import webhooks
from bnpl.notifications.models import OutboxMessage, WebhookEndpoint
from bnpl.merchants.models import Merchant
from bnpl.notifications.service import WEBHOOK_RETRY_FOR
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import NOW, make_merchant
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """As in tests/conftest.py, with a 1 s webhook timeout so that a slow receiver is quick to test."""
    return Settings.from_env({"BNPL_DATABASE_URL": database_url, "BNPL_SECRET_KEY": "test-secret",
                              "BNPL_INSTANCE_PATH": str(tmp_path / "instance"),
                              "BNPL_WEBHOOK_TIMEOUT_SECONDS": "1", "BNPL_WEBHOOKS_ALLOW_LOOPBACK": "1",
                              "BNPL_TEST_MODE_MAIL": "send"})


def create_endpoint(api, url, **body):
    r = api.post("/webhook-endpoints", json={"url": url, **body})
    assert r.status_code == 201, r.json
    return r.json


def place_order(api, **overrides):
    r = api.post("/orders", json=factories.order(**overrides))
    assert r.status_code == 201, r.json
    return r.json


def messages(services, channel="webhook"):
    with services.sessionmaker() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)
                               .order_by(OutboxMessage.created_at)).all()


def endpoint_row(services, endpoint_id):
    with services.sessionmaker() as session:
        return session.get(WebhookEndpoint, endpoint_id)


def now_ts(clock) -> int:
    return int(clock.now().timestamp())


# --- delivered, signed ---------------------------------------------------------------------------

def test_an_accepted_order_reaches_the_receiver_with_a_valid_signature(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    assert deliver_outbox(services) == {"delivered": 1}
    [(headers, body)] = receiver.requests
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "bnpl-webhooks/1"
    assert headers["bnpl-signature"].startswith(f"t={now_ts(clock)},v1=")
    assert webhooks.verify(endpoint["secret"], headers["bnpl-signature"], body, now=now_ts(clock))


def test_the_body_is_the_documented_event(api, receiver, services):
    create_endpoint(api, receiver.url)
    order = place_order(api)
    deliver_outbox(services)
    [body] = receiver.bodies
    [event] = [e for e in api.get("/events").json["items"] if e["type"] == "order.accepted"]
    assert set(body) == {"id", "type", "created_at", "livemode", "data"}
    assert body["id"] == event["id"] and body["id"].startswith("evt_")
    assert body["type"] == "order.accepted" and body["livemode"] is False
    assert datetime.fromisoformat(body["created_at"]) == NOW
    assert body["data"]["id"] == order["id"] and body["data"]["status"] == "accepted"
    assert body["data"]["total"] == order["total"]


def test_a_delivered_message_is_marked_delivered_with_the_receivers_answer(api, receiver, services, clock):
    create_endpoint(api, receiver.url)
    place_order(api)
    deliver_outbox(services)
    [message] = messages(services)
    assert message.status == "delivered" and message.attempts == 1
    assert message.outcome == "HTTP 200" and message.finished_at == clock.now()
    assert message.claimed_until is None
    assert deliver_outbox(services) == {}  # nothing twice
    assert receiver.count() == 1


def test_each_endpoint_gets_its_own_copy_signed_with_its_own_secret(api, receiver, services, clock):
    first = create_endpoint(api, receiver.url)
    second = create_endpoint(api, receiver.url + "/second")
    place_order(api)
    assert deliver_outbox(services) == {"delivered": 2}
    assert len({body["id"] for body in receiver.bodies}) == 1
    secrets = (first["secret"], second["secret"])
    signed_with = [[s for s in secrets if webhooks.verify(s, headers["bnpl-signature"], body, now=now_ts(clock))]
                   for headers, body in receiver.requests]
    assert sorted(signed_with) == sorted([[first["secret"]], [second["secret"]]])


def test_a_tampered_body_fails_verification(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    deliver_outbox(services)
    [(headers, body)] = receiver.requests
    tampered = body.replace(b'"livemode":false', b'"livemode":true')
    assert tampered != body
    assert not webhooks.verify(endpoint["secret"], headers["bnpl-signature"], tampered, now=now_ts(clock))


def test_a_wrong_secret_or_an_old_timestamp_fails_verification(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    deliver_outbox(services)
    [(headers, body)] = receiver.requests
    signature = headers["bnpl-signature"]
    assert not webhooks.verify("whsec_not-the-secret", signature, body, now=now_ts(clock))
    assert not webhooks.verify(endpoint["secret"], signature, body, now=now_ts(clock) + 301)  # a replay
    assert not webhooks.verify(endpoint["secret"], "v1=" + signature.split("v1=")[1], body, now=now_ts(clock))
    assert webhooks.verify(endpoint["secret"], signature, body, now=now_ts(clock) + 300)


# --- which events -------------------------------------------------------------------------------

def test_an_endpoint_gets_only_the_event_types_it_asked_for(api, receiver, services):
    create_endpoint(api, receiver.url, event_types=["order.cancelled"])
    order = place_order(api)
    assert messages(services) == []  # order.accepted is not wanted
    r = api.post(f"/orders/{order['id']}/cancellations", json={"reason": "out of stock"})
    assert r.status_code in (200, 201), r.json
    assert deliver_outbox(services) == {"delivered": 1}
    assert [body["type"] for body in receiver.bodies] == ["order.cancelled"]
    assert receiver.bodies[0]["data"]["order_id"] == order["id"]


def test_another_merchants_events_are_not_sent_to_an_endpoint(api, other_api, receiver, services):
    create_endpoint(api, receiver.url)
    place_order(other_api)
    assert messages(services) == []
    deliver_outbox(services)
    assert receiver.requests == []


# --- failures and retries -------------------------------------------------------------------------

def test_a_500_is_retried_later_and_then_delivered_with_the_same_event_id(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    receiver.status = 500
    assert deliver_outbox(services) == {"retrying": 1}
    [message] = messages(services)
    assert message.status == "pending" and message.attempts == 1 and message.last_error == "HTTP 500"
    assert timedelta(seconds=24) <= message.next_attempt_at - clock.now() <= timedelta(seconds=36)
    assert deliver_outbox(services) == {}  # not due yet
    assert receiver.count() == 1

    receiver.status = 200
    clock.advance(seconds=40)
    assert deliver_outbox(services) == {"delivered": 1}
    (_, first), (headers, second) = receiver.requests
    assert first == second  # the same body, so the same id: a receiver can drop the copy
    assert webhooks.verify(endpoint["secret"], headers["bnpl-signature"], second, now=now_ts(clock))
    [message] = messages(services)
    assert message.status == "delivered" and message.attempts == 2 and message.last_error is None


def test_a_receiver_that_answers_too_slowly_is_retried(api, receiver, services, clock):
    create_endpoint(api, receiver.url)
    place_order(api)
    receiver.delay = 1.5  # BNPL_WEBHOOK_TIMEOUT_SECONDS is 1 here
    assert deliver_outbox(services) == {"retrying": 1}
    [message] = messages(services)
    assert message.attempts == 1 and "Timeout" in message.last_error
    receiver.delay = 0
    clock.advance(seconds=40)
    assert deliver_outbox(services) == {"delivered": 1}
    timed_out, delivered = receiver.bodies
    assert timed_out["id"] == delivered["id"]


def test_an_unreachable_receiver_is_retried(api, receiver, services):
    create_endpoint(api, receiver.url.replace(str(receiver.server.server_address[1]), "1"))
    place_order(api)
    assert deliver_outbox(services) == {"retrying": 1}
    [message] = messages(services)
    assert message.attempts == 1 and "ConnectError" in message.last_error


def test_a_redirect_is_not_followed_and_counts_as_a_failure(api, receiver, services):
    create_endpoint(api, receiver.url)
    place_order(api)
    receiver.status, receiver.location = 302, receiver.url + "/elsewhere"
    assert deliver_outbox(services) == {"retrying": 1}
    assert receiver.count() == 1  # nothing went to /elsewhere
    [message] = messages(services)
    assert message.status == "pending" and message.last_error == "HTTP 302"


def test_a_failure_marks_the_endpoint_failing_and_a_success_resets_it(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    receiver.status = 503
    deliver_outbox(services)
    read = api.get(f"/webhook-endpoints/{endpoint['id']}").json
    assert read["enabled"] is True and datetime.fromisoformat(read["failing_since"]) == NOW

    receiver.status = 200
    clock.advance(seconds=40)
    deliver_outbox(services)
    assert endpoint_row(services, endpoint["id"]).failing_since is None
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").json["failing_since"] is None


def _fail_for_three_days(services, clock, receiver):
    """Deliver every 8 hours (longer than the longest backoff, 6 h + 20 %) until the first
    failure is three days old."""
    receiver.status = 500
    start = clock.now()
    assert deliver_outbox(services) == {"retrying": 1}
    while clock.now() - start < WEBHOOK_RETRY_FOR:
        clock.advance(hours=8)
        deliver_outbox(services)
    return start


def test_an_endpoint_failing_for_three_days_is_switched_off(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    start = _fail_for_three_days(services, clock, receiver)
    row = endpoint_row(services, endpoint["id"])
    assert row.enabled is False and row.failing_since == start
    assert "failing since" in row.disabled_reason and "HTTP 500" in row.disabled_reason
    read = api.get(f"/webhook-endpoints/{endpoint['id']}").json
    assert read["enabled"] is False and read["disabled_reason"] == row.disabled_reason
    assert receiver.count() == 10  # one try per 8 hours, plus the first
    # what was still pending for it is dropped, not sent again
    clock.advance(hours=8)
    deliver_outbox(services)
    assert receiver.count() == 10
    [message] = messages(services)
    assert message.status == "dropped" and message.outcome.startswith("endpoint failing since")


def test_a_switched_off_endpoint_gets_no_new_events(api, receiver, services, clock):
    create_endpoint(api, receiver.url)
    place_order(api)
    _fail_for_three_days(services, clock, receiver)
    before = len(messages(services))
    place_order(api)
    assert len(messages(services)) == before


def test_the_merchant_is_mailed_when_its_endpoint_is_switched_off(api, receiver, services, clock, settings):
    contact = api.get("/merchant").json["email"]
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    _fail_for_three_days(services, clock, receiver)  # the notice is queued …
    deliver_outbox(services)  # … and sent by the mail lane's next pass
    [mail] = messages(services, channel="email")
    assert mail.kind == "webhook_disabled" and mail.recipient == contact
    assert mail.payload["endpoint_id"] == endpoint["id"]
    assert mail.payload["url"] == receiver.url and mail.payload["last_error"] == "HTTP 500"
    assert mail.status == "delivered"
    [sent] = list((settings.instance_path / "outbox").glob("*.eml"))
    text = sent.read_text()
    assert f"To: {contact}" in text and "Webhook-endpoint uitgeschakeld" in text  # Dutch: the default


def test_without_a_merchant_email_the_switch_off_notice_is_dropped_with_a_reason(api, receiver, services, clock):
    """A webshop created before the contact address was required may still have none."""
    with unit_of_work(services) as uow:
        uow.session.get(Merchant, api.merchant_id).email = None
    create_endpoint(api, receiver.url)
    place_order(api)
    _fail_for_three_days(services, clock, receiver)
    deliver_outbox(services)
    [mail] = messages(services, channel="email")
    assert mail.kind == "webhook_disabled"
    assert mail.status == "dropped" and mail.outcome == "no e-mail address to send to"


def test_failures_of_less_than_three_days_leave_the_endpoint_on(api, receiver, services, clock):
    endpoint = create_endpoint(api, receiver.url)
    place_order(api)
    receiver.status = 500
    deliver_outbox(services)
    for _ in range(8):  # 64 hours
        clock.advance(hours=8)
        deliver_outbox(services)
    row = endpoint_row(services, endpoint["id"])
    assert row.enabled is True and row.failing_since == NOW
    assert messages(services, channel="email") == []


def test_a_receiver_that_trickles_its_answer_is_cut_off_after_the_timeout(api, receiver, services):
    create_endpoint(api, receiver.url)
    place_order(api)
    receiver.trickle = (5, 0.5)  # each byte within the 1 s timeout, 2.5 s in all
    started = time.monotonic()
    deliver_outbox(services)
    assert time.monotonic() - started < 1.5


def test_a_live_endpoint_whose_host_resolves_to_a_private_address_is_not_contacted(services, clock):
    merchant_id, _ = make_merchant(services, "Kaashandel Gouda", livemode=True)
    with services.sessionmaker.begin() as session:  # as if its public name now pointed inside
        endpoint = WebhookEndpoint(merchant_id=merchant_id, livemode=True, url="https://localhost/hooks",
                                   event_types=["*"], secret="whsec_x", enabled=True, created_at=clock.now())
        session.add(endpoint)
        session.flush()
        session.add(OutboxMessage(channel="webhook", kind="order.accepted", merchant_id=merchant_id, livemode=True,
                                  recipient=endpoint.id, event_id="evt_1", payload={"id": "evt_1"},
                                  status="pending", attempts=0, next_attempt_at=clock.now(),
                                  created_at=clock.now()))
    assert deliver_outbox(services) == {"retrying": 1}
    [message] = messages(services)
    assert message.last_error == "the host resolves to a private address"


def test_verify_says_no_to_a_signature_header_with_non_ascii_characters(clock):
    assert webhooks.verify("whsec_x", f"t={now_ts(clock)},v1=\u00e9", b"{}", now=now_ts(clock)) is False
