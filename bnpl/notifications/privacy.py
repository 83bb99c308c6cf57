"""The outbox: e-mails to the person (their contents go, the fact that one was sent stays) and
webhooks that told a webshop about their orders (the person's data taken out)."""
from __future__ import annotations

from sqlalchemy import or_, select

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
