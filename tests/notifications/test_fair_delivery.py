"""Fair delivery: e-mail and webhooks travel in separate lanes, sends run side by side with
at most a few at once to one endpoint, and an endpoint that keeps failing is parked (a
circuit breaker) so that it holds back no other endpoint and no e-mail. Nothing is sent
twice and nothing is lost: the outbox still claims every row before it is sent."""
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bnpl.notifications import jobs, service
from bnpl.notifications.models import BREAKER_FAILURES, OutboxMessage, WebhookEndpoint
from bnpl.uow import unit_of_work
from tests.notifications.conftest import Receiver

MAILS = 200


def create_endpoint(api, url):
    r = api.post("/webhook-endpoints", json={"url": url})
    assert r.status_code == 201, r.json
    return r.json["id"]


def queue_webhooks(services, clock, *, merchant_id, endpoint_id, count, tag):
    """``count`` webhooks for the endpoint, due a minute before the mails (so a first-come
    worker meets them first)."""
    due = clock.now() - timedelta(minutes=1)
    rows = [{"id": f"msg_{tag}{i:04d}", "channel": "webhook", "kind": "order.accepted", "merchant_id": merchant_id,
             "livemode": False, "recipient": endpoint_id, "event_id": f"evt_{tag}{i:04d}",
             "payload": {"id": f"evt_{tag}{i:04d}", "type": "order.accepted", "data": {"n": i}},
             "status": "pending", "attempts": 0, "next_attempt_at": due, "created_at": due} for i in range(count)]
    with services.sessionmaker.begin() as session:
        session.execute(insert(OutboxMessage), rows)


def queue_sign_in_mails(services, count):
    with unit_of_work(services) as uow:
        for i in range(count):
            service.mail_consumer(uow, livemode=False, kind="portal_sign_in", recipient=f"klant{i}@example.nl",
                                  language="nl", payload={"link": f"https://bnpl.example/portal/sign-in/t{i}",
                                                          "minutes": 15})


@pytest.fixture
def healthy():
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def wait_until(check, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.05)
    return check()


def statuses(services, channel):
    with services.sessionmaker() as session:
        return Counter(session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == channel)))


def test_with_one_endpoint_hanging_200_consumer_mails_are_out_within_30_seconds(
        api, receiver, healthy, smtp_server, smtp_services, clock):
    hanging = create_endpoint(api, receiver.url)
    receiver.delay = 120  # accepts the connection, never answers
    queue_webhooks(smtp_services, clock, merchant_id=api.merchant_id, endpoint_id=hanging, count=40, tag="h")
    queue_webhooks(smtp_services, clock, merchant_id=api.merchant_id, count=20, tag="ok",
                   endpoint_id=create_endpoint(api, healthy.url))
    queue_sign_in_mails(smtp_services, MAILS)

    started = time.monotonic()
    run = threading.Thread(target=jobs.deliver_outbox, args=(smtp_services,), daemon=True)
    run.start()
    all_out = wait_until(lambda: len(smtp_server.handler.received) >= MAILS, 30)
    mails_took = time.monotonic() - started
    assert all_out, f"{len(smtp_server.handler.received)} of {MAILS} mails out after 30 s"
    assert healthy.wait_for(20, timeout=max(0.1, 30 - mails_took)), "the healthy endpoint was held back"
    run.join(60)
    print(f"\n{MAILS} mails out in {mails_took:.1f} s with one endpoint hanging")

    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == len(set(ids)) == MAILS  # nothing twice
    assert statuses(smtp_services, "email") == {"delivered": MAILS}
    assert Counter(body["id"] for body in healthy.bodies) == Counter({f"evt_ok{i:04d}": 1 for i in range(20)})
    waiting = statuses(smtp_services, "webhook")
    assert waiting == {"delivered": 20, "pending": 40}  # the hanging endpoint's wait, none lost


def test_a_failing_endpoint_is_parked_and_its_messages_wait_without_spending_attempts(
        api, receiver, services, clock):
    endpoint_id = create_endpoint(api, receiver.url)
    receiver.status = 503
    queue_webhooks(services, clock, merchant_id=api.merchant_id, endpoint_id=endpoint_id, count=30, tag="f")
    jobs.deliver_outbox(services)
    tried = receiver.count()
    assert tried <= jobs.PER_ENDPOINT * BREAKER_FAILURES  # not 30 tries against a failing receiver
    with services.sessionmaker() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == endpoint_id)).all()
    assert endpoint.parked_until > clock.now()
    assert sum(row.attempts for row in rows) == tried
    assert {row.status for row in rows} == {"pending"}
    assert sum(1 for row in rows if row.attempts == 0) >= 30 - tried  # not claimed while parked

    read = api.get(f"/webhook-endpoints/{endpoint_id}").json  # the merchant sees it too
    assert read["enabled"] is True and read["parked_until"] == endpoint.parked_until.isoformat()

    clock.advance(seconds=30)  # still parked: nothing is claimed for it
    assert jobs.deliver_outbox(services) == {}
    assert receiver.count() == tried


def test_a_parked_endpoint_that_answers_again_is_closed_and_gets_everything_once(
        api, receiver, services, clock):
    endpoint_id = create_endpoint(api, receiver.url)
    receiver.status = 503
    queue_webhooks(services, clock, merchant_id=api.merchant_id, endpoint_id=endpoint_id, count=30, tag="r")
    jobs.deliver_outbox(services)
    receiver.status = 200
    clock.advance(hours=1)
    jobs.deliver_outbox(services)
    assert statuses(services, "webhook") == {"delivered": 30}
    sent = [body["id"] for body in receiver.bodies]
    assert len(set(sent)) == 30
    assert len(sent) <= 30 + jobs.PER_ENDPOINT * BREAKER_FAILURES
    with services.sessionmaker() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.parked_until is None and endpoint.failures_in_row == 0


def test_the_scheduler_process_sends_200_mails_within_30_seconds_while_an_endpoint_hangs(
        api, receiver, smtp_server, services, settings, clock):
    import os
    import signal
    import subprocess
    import sys

    receiver.delay = 120
    queue_webhooks(services, clock, merchant_id=api.merchant_id, endpoint_id=create_endpoint(api, receiver.url),
                   count=40, tag="h")
    queue_sign_in_mails(services, MAILS)  # due at the test clock's time, long past for the real one
    env = {**os.environ, "BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test-secret",
           "BNPL_INSTANCE_PATH": str(settings.instance_path), "BNPL_OUTBOX_INTERVAL_SECONDS": "1",
           "BNPL_SMTP_URL": smtp_server.url, "BNPL_TEST_MODE_MAIL": "send", "BNPL_WEBHOOKS_ALLOW_LOOPBACK": "1"}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "scheduler"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        all_out = wait_until(lambda: len(smtp_server.handler.received) >= MAILS, 30)
        took = time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)  # the passes running end first: a hanging send, 5 s at most
        try:
            output = process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = "did not stop within 60 s of SIGTERM:\n" + process.communicate()[0]
    print(f"\nthe scheduler process: {len(smtp_server.handler.received)} mails out in {took:.1f} s "
          f"(start-up included) with one endpoint hanging")
    assert all_out, output[-3000:]
    assert process.returncode == 0, output[-3000:]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == MAILS == len(smtp_server.handler.received)
    assert statuses(services, "email") == {"delivered": MAILS}
    assert statuses(services, "webhook") == {"pending": 40}  # parked or retrying, none lost
