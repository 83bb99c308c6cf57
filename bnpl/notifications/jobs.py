"""Delivering the outbox in two lanes (e-mail, webhooks): claim what free senders can take,
then per message check, send, record, side by side.

No transaction is open while a message is on the wire: the claim (a lease) keeps other
workers off it, and a worker that dies mid-pass leaves claims that run out, after which
the next run sends those messages (again, if they had left: receivers drop the copy by
its id). Nothing is lost; nothing goes to a consumer who should get nothing.

The worker never renders a document: a mail whose PDF the renderer has not stored yet
waits for it (documents/jobs.py renders, in the scheduler's own pass).
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from bnpl.db import new_id
from bnpl.notifications import mail, service, webhooks
from bnpl.notifications.models import EMAIL
from bnpl.uow import unit_of_work

# Two lanes, each with its own senders: e-mail never waits for a webhook. In the webhook
# lane at most PER_ENDPOINT sends to one endpoint are on the wire at once (per worker
# process), so a slow endpoint takes two senders and leaves the rest to the others; its
# circuit breaker (models.BREAKER_FAILURES) then parks it.
MAIL_SENDERS, WEBHOOK_SENDERS, PER_ENDPOINT = 8, 16, 2
BATCH = max(MAIL_SENDERS, WEBHOOK_SENDERS)  # the most one lane holds claimed and unfinished


def deliver_outbox(services, *, limit: int = 10_000) -> Counter:
    """One pass over what is due, both lanes side by side; returns how many were delivered,
    retried, dropped, dead, or are waiting for their PDF."""
    with ThreadPoolExecutor(2, thread_name_prefix="outbox-lane") as lanes:
        passes = [lanes.submit(deliver_mail, services, limit=limit),
                  lanes.submit(deliver_webhooks, services, limit=limit)]
    return sum((done.result() for done in passes), Counter())


def deliver_mail(services, *, limit: int = 10_000) -> Counter:
    """The e-mail lane: due mails, MAIL_SENDERS at a time."""
    mailer, worker = _Mailers(services.settings), new_id("wrk")

    def claim(in_flight: dict, free: int) -> list[tuple[str, str]]:
        with unit_of_work(services) as uow:
            return [(message_id, EMAIL) for message_id in
                    service.claim_due(uow, limit=free, worker=worker, channel=EMAIL)]

    return _run_lane(lambda message_id: deliver_one(services, message_id, mailer, worker), claim,
                     senders=MAIL_SENDERS, limit=limit)


def deliver_webhooks(services, *, limit: int = 10_000) -> Counter:
    """The webhook lane: due webhooks, WEBHOOK_SENDERS at a time, PER_ENDPOINT to one endpoint."""
    worker = new_id("wrk")

    def claim(in_flight: dict, free: int) -> list[tuple[str, str]]:
        with unit_of_work(services) as uow:
            return service.claim_webhooks(uow, limit=free, worker=worker, per_endpoint=PER_ENDPOINT,
                                          in_flight=in_flight)

    return _run_lane(lambda message_id: deliver_one(services, message_id, None, worker), claim,
                     senders=WEBHOOK_SENDERS, limit=limit)


def _run_lane(send, claim, *, senders: int, limit: int) -> Counter:
    """Claim as many as there are free senders, send them side by side, and claim again as
    each one finishes, until nothing is due and nothing is on the wire. A message is
    claimed only when a sender is free for it, so none waits out its lease in a queue."""
    outcomes: Counter = Counter()
    running: dict = {}  # future -> recipient
    in_flight: Counter = Counter()
    claimed_all = 0
    with ThreadPoolExecutor(senders, thread_name_prefix="outbox-send") as pool:
        while True:
            free = min(senders - len(running), limit - claimed_all)
            for message_id, recipient in (claim(dict(in_flight), free) if free > 0 else []):
                running[pool.submit(send, message_id)] = recipient
                in_flight[recipient] += 1
                claimed_all += 1
            if not running:
                return outcomes
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                in_flight[running.pop(future)] -= 1
                outcomes[future.result()] += 1
            in_flight = +in_flight  # drop the zeros


def deliver_one(services, message_id: str, mailer, worker: str) -> str:
    try:
        with unit_of_work(services) as uow:
            prepared = service.prepare(uow, message_id=message_id, worker=worker)
    except Exception as exc:  # noqa: BLE001 - one broken message must not stop the others
        with unit_of_work(services) as uow:
            return service.record_outcome(uow, message_id=message_id, worker=worker, ok=False,
                                          detail=f"could not prepare: {type(exc).__name__}: {exc}")
    if prepared is None:
        return "skipped"
    if prepared.drop_reason:
        with unit_of_work(services) as uow:
            service.record_drop(uow, message_id=message_id, worker=worker, reason=prepared.drop_reason)
        return "dropped"
    if prepared.wait_for:
        with unit_of_work(services) as uow:
            service.record_wait(uow, message_id=message_id, worker=worker, reason=prepared.wait_for)
        return "waiting"
    ok, detail, permanent = _send(services, prepared, mailer)
    with unit_of_work(services) as uow:
        return service.record_outcome(uow, message_id=message_id, worker=worker, ok=ok, detail=detail,
                                      permanent=permanent)


def _send(services, prepared, mailer) -> tuple[bool, str, bool]:
    if prepared.channel == "webhook":
        sent = webhooks.post(prepared.url, prepared.body, secret=prepared.secret, timestamp=int(services.clock.now().timestamp()),
                             timeout=services.settings.webhook_timeout_seconds, livemode=prepared.livemode,
                             allow_loopback=services.settings.webhooks_allow_loopback)
        return sent.ok, sent.detail, False
    try:
        return True, mailer.for_mode(prepared.livemode).send(prepared.email), False
    except mail.Permanent as exc:
        return False, f"refused: {exc}", True
    except Exception as exc:  # noqa: BLE001 - server down, timeout, TLS: all worth a retry
        return False, f"{type(exc).__name__}: {exc}", False


class _Mailers:
    """The configured mailer for live mail; test-mode mail goes to .eml files unless the
    operator chose to send it (BNPL_TEST_MODE_MAIL=send): a test order with a stranger's
    address must not put an invoice with our IBAN in their mailbox."""

    def __init__(self, settings):
        self.live = mail.mailer_for(settings)
        self.test = self.live if settings.test_mode_mail == "send" else mail.FileMailer(settings.instance_path / "outbox")

    def for_mode(self, livemode: bool):
        return self.live if livemode else self.test
