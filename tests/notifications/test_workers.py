"""`bnpl outbox deliver` as separate processes against one database and a real receiver:
two workers side by side deliver every message exactly once; a worker killed mid-batch
loses nothing, and what it had on the wire arrives at most once more.

The workers run on the real clock, so the messages are written due by real time.
"""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from bnpl.notifications.jobs import BATCH
from bnpl.notifications.models import OutboxMessage


def create_endpoint(api, url):
    r = api.post("/webhook-endpoints", json={"url": url})
    assert r.status_code == 201, r.json
    return r.json


def queue_webhooks(services, *, merchant_id: str, endpoint_id: str, count: int) -> set[str]:
    """``count`` pending webhook messages, each for its own event, due a minute ago (real time)."""
    due = datetime.now(timezone.utc) - timedelta(minutes=1)
    rows = [{"id": f"msg_w{i:05d}", "channel": "webhook", "kind": "order.accepted", "merchant_id": merchant_id,
             "livemode": False, "recipient": endpoint_id, "event_id": f"evt_w{i:05d}",
             "payload": {"id": f"evt_w{i:05d}", "type": "order.accepted", "created_at": due.isoformat(),
                         "livemode": False, "data": {"n": i}},
             "status": "pending", "attempts": 0, "next_attempt_at": due, "created_at": due}
            for i in range(count)]
    with services.sessionmaker.begin() as session:
        session.execute(insert(OutboxMessage), rows)
    return {row["event_id"] for row in rows}


def statuses(services) -> Counter:
    with services.sessionmaker() as session:
        return Counter(dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


@pytest.fixture
def worker_env(settings, tmp_path):
    """The environment of a `bnpl outbox deliver` process on the test database."""
    no_certs = tmp_path / "no-certs"
    no_certs.mkdir()

    def env(**extra):
        base = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
        return {**base, "BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
                "BNPL_INSTANCE_PATH": str(tmp_path / "worker-instance"), "BNPL_WEBHOOKS_ALLOW_LOOPBACK": "1",
                # The receiver is plain http: no need to load a CA bundle in each worker.
                "SSL_CERT_DIR": str(no_certs), **extra}
    return env


def start_worker(env, tmp_path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bnpl.cli", "outbox", "deliver"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def delivered_by(worker: subprocess.Popen, timeout: float = 60) -> int:
    out, err = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, err
    match = re.search(r"(\d+) delivered", out)
    return int(match.group(1)) if match else 0


@pytest.mark.postgres
def test_two_workers_deliver_a_thousand_messages_each_exactly_once(api, services, receiver, worker_env, tmp_path):
    endpoint = create_endpoint(api, receiver.url)
    expected = queue_webhooks(services, merchant_id=api.merchant_id, endpoint_id=endpoint["id"], count=1000)
    workers = [start_worker(worker_env(), tmp_path) for _ in range(2)]
    counts = [delivered_by(worker) for worker in workers]

    received = Counter(body["id"] for body in receiver.bodies)
    assert set(received) == expected  # none missing, nothing else
    assert max(received.values()) == 1  # none twice
    assert sum(counts) == 1000 and min(counts) > 0, counts  # both took part
    assert statuses(services) == {"delivered": 1000}
    with services.sessionmaker() as session:
        assert session.scalar(select(func.max(OutboxMessage.attempts))) == 1


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one_batch(
        api, services, receiver, worker_env, tmp_path):
    endpoint = create_endpoint(api, receiver.url)
    expected = queue_webhooks(services, merchant_id=api.merchant_id, endpoint_id=endpoint["id"], count=200)
    env = worker_env(BNPL_OUTBOX_LEASE_SECONDS="2")
    receiver.delay = 0.05
    worker = start_worker(env, tmp_path)
    try:
        assert receiver.wait_for(BATCH + BATCH // 2, timeout=20), "the worker delivered nothing"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    left = statuses(services)
    assert left["pending"] > 0 and left["delivered"] >= BATCH  # killed halfway, as meant

    receiver.delay = 0
    time.sleep(2.5)  # the dead worker's lease runs out
    again = start_worker(env, tmp_path)
    assert delivered_by(again) == left["pending"]

    received = Counter(body["id"] for body in receiver.bodies)
    assert set(received) == expected  # none missing
    duplicates = sum(received.values()) - len(expected)
    assert 0 <= duplicates <= BATCH, received.most_common(BATCH + 1)
    assert statuses(services) == {"delivered": 200}
