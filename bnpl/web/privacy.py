"""Stored first responses for Idempotency-Key replays: those that name the person are dropped
(a replay after erasure must not bring their data back; the keys expire in days anyway)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from bnpl.web.models import IdempotencyKey


def erase(uow, subject) -> list[str]:
    if subject.merchant_ids:
        mentions = [IdempotencyKey.body.ilike(f"%{needle}%") for needle in sorted(subject.personal)]
        uow.session.execute(delete(IdempotencyKey).where(IdempotencyKey.merchant_id.in_(subject.merchant_ids),
                                                         or_(*mentions)))
    return []


def purge(uow) -> dict[str, int]:
    """A client retries within minutes or hours; after the retention period a key is history."""
    older = uow.now() - timedelta(days=uow.settings.retain_idempotency_days)
    gone = uow.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < older))
    return {"idempotency keys": gone.rowcount}
