"""The event log: events about the person's orders and invoices keep their type, time and
amounts; the person's data in them is taken out (a webshop replaying them sees "[erased]")."""
from __future__ import annotations

from sqlalchemy import String, cast, or_, select

from bnpl import redact
from bnpl.events.models import Event


def erase(uow, subject) -> list[str]:
    related = set().union(*subject.ids.values()) if subject.ids else set()
    mentions = [cast(Event.data, String).ilike(f"%{needle}%") for needle in sorted(subject.personal)]
    events = uow.session.scalars(select(Event).where(Event.merchant_id.in_(subject.merchant_ids),
                                                     or_(Event.subject_id.in_(related), *mentions)))
    for event in events:
        event.data = redact.scrub(event.data, subject.personal)
    return []


def scrub_subjects(uow, *, subject_ids, personal: set[str]) -> None:
    """Take ``personal`` out of the events about these subjects (retention has run out)."""
    for event in uow.session.scalars(select(Event).where(Event.subject_id.in_(subject_ids))):
        event.data = redact.scrub(event.data, personal)
