"""Delivering the outbox: claim a batch, then per message check, send, record.

No transaction is open while a message is on the wire: the claim (a lease) keeps other
workers off it, and a worker that dies mid-batch leaves claims that run out, after which
the next run sends those messages (again, if they had left: receivers drop the copy by
its id). Nothing is lost; nothing goes to a consumer who should get nothing.

The worker never renders a document: a mail whose PDF the renderer has not stored yet
waits for it (documents/jobs.py renders, in the scheduler's own pass).
"""
from __future__ import annotations

from collections import Counter

from bnpl.db import new_id
from bnpl.notifications import mail, service, webhooks
from bnpl.uow import unit_of_work

BATCH = 10  # small enough that a batch is sent well within one lease


def deliver_outbox(services, *, limit: int = 10_000) -> Counter:
    """One pass over what is due; returns how many were delivered, retried, dropped, dead,
    or are waiting for their PDF."""
    mailer = _Mailers(services.settings)
    worker = new_id("wrk")  # this run's name on its claims
    outcomes: Counter = Counter()
    while sum(outcomes.values()) < limit:
        with unit_of_work(services) as uow:
            claimed = service.claim_due(uow, limit=BATCH, worker=worker)
        if not claimed:
            break
        for message_id in claimed:
            outcomes[deliver_one(services, message_id, mailer, worker)] += 1
    return outcomes


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
