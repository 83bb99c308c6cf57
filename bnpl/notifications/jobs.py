"""Delivering the outbox: claim a batch, then per message check, send, record.

No transaction is open while a message is on the wire: the claim (a lease) keeps other
workers off it, and a worker that dies mid-batch leaves claims that run out, after which
the next run sends those messages (again, if they had left: receivers drop the copy by
its id). Nothing is lost; nothing goes to a consumer who should get nothing.
"""
from __future__ import annotations

from collections import Counter

from bnpl.db import new_id
from bnpl.documents import service as documents
from bnpl.notifications import mail, service, webhooks
from bnpl.notifications.models import OutboxMessage
from bnpl.uow import unit_of_work

BATCH = 10  # small enough that a batch is sent well within one lease


def deliver_outbox(services, *, limit: int = 10_000) -> Counter:
    """One pass over what is due; returns how many were delivered, retried, dropped, dead."""
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
            _attach_letter(uow, message_id, prepared)
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
    ok, detail, permanent = _send(services, prepared, mailer)
    with unit_of_work(services) as uow:
        return service.record_outcome(uow, message_id=message_id, worker=worker, ok=ok, detail=detail,
                                      permanent=permanent)


# The e-mails that carry the stored PDF of their dunning letter (the message's subject is the step).
LETTER_ATTACHED = {"dunning_letter"}


def _attach_letter(uow, message_id: str, prepared) -> None:
    """Attach the letter's PDF if the renderer has stored it already. The mail never waits
    for it: its text states all the letter states, and the PDF stays on file for staff."""
    if prepared is None or prepared.email is None:
        return
    message = uow.session.get(OutboxMessage, message_id)
    if message.kind not in LETTER_ATTACHED or not message.subject_id:
        return
    pdf = documents.first_stored_pdf(uow, kind="letter", subject_id=message.subject_id)
    if pdf is not None:
        number = message.payload.get("data", {}).get("number") or message.subject_id
        prepared.email.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{number}-letter.pdf")


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
