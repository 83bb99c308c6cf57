"""Support's part of a consumer's data (bnpl/privacy): their questions with everything said in
them are exported; erased, what was said goes and the fact that a question was asked, and when,
stays (the promises-kept figures count it). Phone lookups hold no words, only who looked up
which invoice; they go after LOOKUPS_KEPT_DAYS, when the desk's limit and record no longer need them,
and so do the Message-IDs of e-mail replies read (kept so that a mailbox read again adds nothing twice)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from bnpl import redact
from bnpl.support.models import CallIntake, InboundMail, Thread
from bnpl.support.service import LOOKUPS_KEPT_DAYS


def _threads(uow, subject) -> list[Thread]:
    return list(uow.session.scalars(select(Thread).options(selectinload(Thread.messages))
                                    .where(Thread.consumer_id.in_(subject.consumer_ids))
                                    .order_by(Thread.created_at, Thread.id)))


def identify(uow, subject) -> None:
    subject.add_ids("questions", [thread.id for thread in _threads(uow, subject)])


def export(uow, subject) -> dict:
    return {"questions": [{"subject": t.subject, "asked_at": t.created_at.isoformat(), "status": t.status,
                           "messages": [{"at": m.at.isoformat(), "from": m.party, "text": m.body}
                                        for m in t.messages]}
                          for t in _threads(uow, subject)]}


def erase(uow, subject) -> list[str]:
    for thread in _threads(uow, subject):
        thread.subject = redact.ERASED
        for message in thread.messages:
            message.body = redact.ERASED
    return []


def purge(uow) -> dict[str, int]:
    before = uow.now() - timedelta(days=LOOKUPS_KEPT_DAYS)
    gone = uow.session.execute(delete(CallIntake).where(CallIntake.looked_up_at < before))
    read = uow.session.execute(delete(InboundMail).where(InboundMail.received_at < before))
    return {"phone lookups": gone.rowcount, "mail replies read": read.rowcount}
