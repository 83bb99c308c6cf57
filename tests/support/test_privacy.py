"""A consumer's questions in their data: exported with what was said, erased to the bare fact
that a question was asked; phone lookups go once they have served the desk's limit and record."""
from __future__ import annotations

from datetime import timedelta

from bnpl.privacy import service as privacy
from bnpl.support import service as support
from bnpl.support.models import CallIntake
from bnpl.uow import unit_of_work
from tests.disputes.cases import act, consumer_of
from tests.payments.flows import ship
from tests.privacy.conftest import EMAIL, pay

QUESTION = "My neighbour Jan Pietersen at Oudegracht 14 took my parcel in."


def asked(services, api):
    invoice = ship(api)
    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), invoice_id=invoice["id"],
                 subject="Parcel at the neighbours", message=QUESTION)
    return invoice, thread


def test_the_export_holds_the_questions_and_what_was_said(services, api):
    asked(services, api)
    with unit_of_work(services) as uow:
        data = privacy.export(uow, email=EMAIL).data
    [question] = data["questions"]
    assert question["subject"] == "Parcel at the neighbours" and question["messages"][0]["text"] == QUESTION


def test_erasure_removes_what_was_said(services, api):
    invoice, thread = asked(services, api)
    pay(services, invoice)
    with unit_of_work(services) as uow:
        privacy.erase(uow, email=EMAIL, actor="support@bnpl.example")
    with services.sessionmaker() as session:
        from bnpl.support.models import Thread
        kept = session.get(Thread, thread.id)
        assert QUESTION not in [m.body for m in kept.messages] and "Parcel" not in kept.subject


def test_phone_lookups_are_deleted_after_their_time(services, clock):
    with unit_of_work(services) as uow:
        uow.session.add(CallIntake(staff_id="stf_anna", found_by="invoice_number", confirmed=False,
                                   looked_up_at=uow.now()))
    clock.advance(days=support.LOOKUPS_KEPT_DAYS + 1)
    with unit_of_work(services) as uow:
        counts = privacy.purge_expired(uow)
    assert counts["phone lookups"] == 1
