"""Write and read the audit log. Callers name the actor; the log never decides anything."""
from __future__ import annotations

from sqlalchemy import select

from bnpl.audit.models import AuditEntry
from bnpl.uow import UnitOfWork


def record(uow: UnitOfWork, *, actor: str, action: str, merchant_id: str | None = None, **data) -> None:
    """One entry, in the transaction of the change it describes."""
    uow.session.add(AuditEntry(at=uow.now(), actor=actor, action=action, merchant_id=merchant_id, data=data))


def entries(uow: UnitOfWork, *, merchant_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
    """The newest entries first, of one webshop or of all."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if merchant_id:
        query = query.where(AuditEntry.merchant_id == merchant_id)
    return list(uow.session.scalars(query))
