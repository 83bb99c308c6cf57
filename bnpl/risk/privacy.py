"""Risk: the identifiers seen with the person's orders and what they linked, each decision's
inputs, the review they asked for. A person with a recorded fraud is on legal hold."""
from __future__ import annotations

from sqlalchemy import delete, select

from bnpl import redact
from bnpl.i18n import said
from bnpl.risk.models import Link, Person, Review, RiskDecision, Sighting


def _decisions(uow, subject) -> list[RiskDecision]:
    return list(uow.session.scalars(select(RiskDecision).where(RiskDecision.consumer_id.in_(subject.consumer_ids))
                                    .order_by(RiskDecision.created_at, RiskDecision.id)))


def _persons(uow, subject) -> list[Person]:
    ids = {d.person_id for d in _decisions(uow, subject)}
    return list(uow.session.scalars(select(Person).where(Person.id.in_(ids))))


def blocks(uow, subject) -> list[str]:
    if any(person.frauds for person in _persons(uow, subject)):
        return [said("a fraud case is recorded against this person (legal hold)")]
    return []


def export(uow, subject) -> dict:
    reviews = uow.session.scalars(select(Review).where(Review.consumer_id.in_(subject.consumer_ids)))
    return {"credit_decisions": [{"order_id": d.order_id, "outcome": d.outcome, "reasons": d.reasons,
                                  "decided_at": d.created_at.isoformat()} for d in _decisions(uow, subject)],
            "review_requests": [{"message": r.message, "status": r.status,
                                 "requested_at": r.requested_at.isoformat()} for r in reviews]}


def erase(uow, subject) -> list[str]:
    """The person's identifiers go (sightings, and the links they made); decisions keep their
    outcome and reasons (why we decided) without the inputs that name the person."""
    seen = set(uow.session.scalars(select(Sighting.value).where(Sighting.consumer_id.in_(subject.consumer_ids))))
    persons = [p.id for p in _persons(uow, subject)]
    uow.session.execute(delete(Link).where(Link.person_id.in_(persons), Link.value.in_(seen)))
    uow.session.execute(delete(Sighting).where(Sighting.consumer_id.in_(subject.consumer_ids)))
    found = subject.personal | redact.needles(seen)
    for decision in _decisions(uow, subject):
        decision.inputs = redact.scrub(decision.inputs, found)
    for review in uow.session.scalars(select(Review).where(Review.consumer_id.in_(subject.consumer_ids))):
        review.message = redact.ERASED
    return []
