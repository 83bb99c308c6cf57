"""The outbox: e-mails to the person (their contents go, the fact that one was sent stays) and
messages to others about them, webhooks and mails to the webshop (the person's data taken out)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, cast, or_, select, update

from bnpl import redact
from bnpl.notifications import states
from bnpl.notifications.models import EMAIL, OutboxMessage


def _mails(uow, subject) -> list[OutboxMessage]:
    return list(uow.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == EMAIL, OutboxMessage.recipient == subject.email).order_by(OutboxMessage.created_at)))


def _about(uow, subject) -> list[OutboxMessage]:
    """Messages to others about the person: webhooks, mails to the webshop about a case."""
    related = set().union(*subject.ids.values()) if subject.ids else set()
    mentions = [cast(OutboxMessage.payload, String).ilike(f"%{needle}%") for needle in sorted(subject.personal)]
    return list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient != subject.email, or_(
        OutboxMessage.order_id.in_(subject.of("orders")), OutboxMessage.invoice_id.in_(subject.of("invoices")),
        OutboxMessage.subject_id.in_(related), *mentions))))


def export(uow, subject) -> dict:
    return {"messages_sent": [{"kind": m.kind, "created_at": m.created_at.isoformat(), "status": m.status}
                              for m in _mails(uow, subject)]}


def erase(uow, subject) -> list[str]:
    for mail in _mails(uow, subject):
        if mail.status == states.PENDING:  # nothing more goes to someone we no longer know
            mail.move("drop")
            mail.outcome, mail.finished_at = "the recipient's data was erased", uow.now()
        mail.recipient, mail.payload = redact.ERASED, {}
    for message in _about(uow, subject):
        message.payload = redact.scrub(message.payload, subject.personal)
    return []


def purge(uow) -> dict[str, int]:
    """A delivered message's body (a mail's names and links, a webhook's data) has done its
    work; what went to whom and when stays."""
    older = uow.now() - timedelta(days=uow.settings.retain_delivered_bodies_days)
    emptied = uow.session.execute(update(OutboxMessage).where(
        OutboxMessage.status == states.DELIVERED, OutboxMessage.finished_at < older,
        OutboxMessage.payload != {}).values(payload={}))
    return {"delivered message bodies": emptied.rowcount}
