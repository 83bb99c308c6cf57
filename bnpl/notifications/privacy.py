"""The outbox: e-mails to the person (their contents go, the fact that one was sent stays) and
webhooks that told a webshop about their orders (the person's data taken out)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update

from bnpl import redact
from bnpl.notifications import states
from bnpl.notifications.models import EMAIL, WEBHOOK, OutboxMessage


def _mails(uow, subject) -> list[OutboxMessage]:
    return list(uow.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == EMAIL, OutboxMessage.recipient == subject.email).order_by(OutboxMessage.created_at)))


def _webhooks(uow, subject) -> list[OutboxMessage]:
    return list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == WEBHOOK, or_(
        OutboxMessage.order_id.in_(subject.of("orders")), OutboxMessage.invoice_id.in_(subject.of("invoices"))))))


def export(uow, subject) -> dict:
    return {"messages_sent": [{"kind": m.kind, "created_at": m.created_at.isoformat(), "status": m.status}
                              for m in _mails(uow, subject)]}


def erase(uow, subject) -> list[str]:
    for mail in _mails(uow, subject):
        if mail.status == states.PENDING:  # nothing more goes to someone we no longer know
            mail.move("drop")
            mail.outcome, mail.finished_at = "the recipient's data was erased", uow.now()
        mail.recipient, mail.payload = redact.ERASED, {}
    for hook in _webhooks(uow, subject):
        hook.payload = redact.scrub(hook.payload, subject.personal)
    return []


def purge(uow) -> dict[str, int]:
    """A delivered message's body (a mail's names and links, a webhook's data) has done its
    work; what went to whom and when stays."""
    older = uow.now() - timedelta(days=uow.settings.retain_delivered_bodies_days)
    emptied = uow.session.execute(update(OutboxMessage).where(
        OutboxMessage.status == states.DELIVERED, OutboxMessage.finished_at < older,
        OutboxMessage.payload != {}).values(payload={}))
    return {"delivered message bodies": emptied.rowcount}
