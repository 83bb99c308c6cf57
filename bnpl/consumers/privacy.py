"""The consumer rows an e-mail address names (one per mode): found, exported, pseudonymised."""
from __future__ import annotations

from sqlalchemy import select

from bnpl.consumers.models import Consumer, normalize_email


def identify(uow, subject) -> None:
    rows = uow.session.scalars(select(Consumer).where(Consumer.email == normalize_email(subject.email)))
    subject.consumer_ids |= {row.id for row in rows}


def export(uow, subject) -> dict:
    rows = uow.session.scalars(select(Consumer).where(Consumer.id.in_(subject.consumer_ids)))
    return {"consumer": [{"email": row.email, "mode": "live" if row.livemode else "test",
                          "known_since": row.created_at.isoformat(),
                          "last_payment_method": row.last_payment_method} for row in rows]}


def erase(uow, subject) -> list[str]:
    """The row stays (invoices kept for retention point to it) under an address that is no one's."""
    for row in uow.session.scalars(select(Consumer).where(Consumer.id.in_(subject.consumer_ids))):
        row.email, row.last_payment_method = f"erased-{row.id}@erased.invalid", None
    return []
