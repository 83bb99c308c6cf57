"""Disputes: a running one blocks erasure (both sides still need the case). A closed one keeps
its outcome and the money it moved; what the parties wrote and sent as evidence goes."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bnpl import redact
from bnpl.disputes.models import Dispute, DisputeEntry, Evidence
from bnpl.disputes.states import CLOSED, RUNNING
from bnpl.i18n import said


def _disputes(uow, subject) -> list[Dispute]:
    return list(uow.session.scalars(select(Dispute).where(Dispute.consumer_id.in_(subject.consumer_ids))
                                    .order_by(Dispute.opened_at, Dispute.id)))


def identify(uow, subject) -> None:
    subject.add_ids("disputes", [d.id for d in _disputes(uow, subject)])


def blocks(uow, subject) -> list[str]:
    return [said("the dispute about invoice %(number)s is still running", number=d.invoice_number)
            for d in _disputes(uow, subject) if d.status in RUNNING]


def export(uow, subject) -> dict:
    disputes = _disputes(uow, subject)
    entries = uow.session.scalars(select(DisputeEntry).where(DisputeEntry.dispute_id.in_([d.id for d in disputes]),
                                                             DisputeEntry.visibility != "staff"))
    by_dispute = {}
    for entry in entries:
        by_dispute.setdefault(entry.dispute_id, []).append(
            {"at": entry.at.isoformat(), "party": entry.party, "kind": entry.kind, "message": entry.message})
    return {"disputes": [{"invoice": d.invoice_number, "reason": d.reason, "description": d.description,
                          "status": d.status, "outcome": d.outcome, "timeline": by_dispute.get(d.id, [])}
                         for d in disputes]}


def erase(uow, subject) -> list[str]:
    ids = [d.id for d in _disputes(uow, subject)]
    for dispute in _disputes(uow, subject):
        dispute.description = redact.ERASED
        dispute.decision_reasons = redact.scrub_text(dispute.decision_reasons, subject.personal)
    for entry in uow.session.scalars(select(DisputeEntry).where(DisputeEntry.dispute_id.in_(ids))):
        entry.message = redact.ERASED if entry.message else entry.message
        entry.data = redact.scrub(entry.data, subject.personal)
    uow.session.execute(delete(Evidence).where(Evidence.dispute_id.in_(ids)))
    return []


def purge(uow) -> dict[str, int]:
    """Evidence served the decision; kept a while after it for a complaint or a court, then gone.
    The case's outcome, reasons and the money it moved stay with the invoice."""
    decided_before = uow.now() - timedelta(days=uow.settings.disputes.evidence_kept_days)
    closed = select(Dispute.id).where(Dispute.status.in_(CLOSED), Dispute.decided_at < decided_before)
    gone = uow.session.execute(delete(Evidence).where(Evidence.dispute_id.in_(closed)))
    return {"closed disputes' evidence": gone.rowcount}
