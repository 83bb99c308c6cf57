"""The deadlines that drive a case (service.check_deadlines, run by the scheduler): a webshop
that lets its 14 days pass loses a small case at once and sends a bigger one to a mediator
with that fact on the case; a consumer who does not answer a mediator's question sends the
case back to review; an answer after the deadline is refused; a run never handles a case twice,
not even two runs at the same moment."""
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bnpl.disputes import service
from bnpl.disputes.models import DisputeEntry
from bnpl.errors import Conflict
from bnpl.invoices.models import CreditNote
from bnpl.notifications.models import OutboxMessage
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import MEDIATOR, act, consumer_of, open_case, shipped_invoice
from tests.disputes.support import dispute, dispute_rules, entries, invoice, kinds, many_invoices, rejected, respond
from tests.payments.flows import ship


def check(services) -> list[str]:
    """One run of the deadline job; the ids of the cases it handled."""
    with unit_of_work(services) as uow:
        return [d.id for d in service.check_deadlines(uow)]


def counts(services) -> tuple[int, int, int]:
    """(timeline entries, events' outbox messages, credit notes): what a run would add to."""
    with services.sessionmaker() as session:
        return (session.scalar(select(func.count()).select_from(DisputeEntry)),
                session.scalar(select(func.count()).select_from(OutboxMessage)),
                session.scalar(select(func.count()).select_from(CreditNote)))


@pytest.fixture
def big(api, services):
    """A case of EUR 60 (at least EUR 50: a mediator decides if the webshop stays silent)."""
    inv = shipped_invoice(api, lines=[factories.line("SKU-1", 1, 6000, 21)])
    return inv, open_case(services, inv["id"])


@pytest.fixture
def small(api, services):
    """A case of EUR 19.99 (below EUR 50)."""
    inv = shipped_invoice(api, consumer=factories.consumer(email="klein@example.nl"))
    return inv, open_case(services, inv["id"])


def test_before_the_deadline_nothing_happens(api, services, clock, big, small):
    clock.advance(days=14, seconds=-1)
    assert check(services) == []
    assert dispute(api, big[1])["status"] == dispute(api, small[1])["status"] == "awaiting_merchant"


def test_a_merchant_that_misses_the_deadline_on_a_case_of_50_or_more_hands_it_to_a_mediator(api, services, clock, big):
    inv, dispute_id = big
    clock.advance(days=14, hours=1)
    assert check(services) == [dispute_id]
    case = dispute(api, dispute_id)
    assert (case["status"], case["waiting_for"], case["merchant_missed_deadline"]) == ("in_review", "mediator", True)
    assert case["respond_by"] is None and case["decision"] is None
    missed = case["timeline"][-1]
    assert (missed["kind"], missed["party"]) == ("deadline_missed", "system")
    assert missed["data"] == {"party": "merchant", "respond_by": "2026-12-07T10:00:00+00:00"}
    assert invoice(api, inv["id"])["paused"] is True  # still on hold: nobody decided yet
    assert "dispute.escalated" in [e["type"] for e in api.get("/events?limit=200").json["items"]]


def test_exactly_50_euro_goes_to_a_mediator_too(api, services, clock):
    inv = shipped_invoice(api, lines=[factories.line("SKU-1", 1, 5000, 21)])
    dispute_id = open_case(services, inv["id"])
    clock.advance(days=15)
    check(services)
    assert dispute(api, dispute_id)["status"] == "in_review"


def test_a_merchant_that_misses_the_deadline_on_a_small_case_loses_it_at_once(api, services, clock, small):
    inv, dispute_id = small
    clock.advance(days=15)
    assert check(services) == [dispute_id]
    case = dispute(api, dispute_id)
    assert (case["status"], case["merchant_missed_deadline"]) == ("decided", True)
    decision = case["decision"]
    assert (decision["outcome"], decision["decided_by"], decision["credited"]) == ("consumer", "system", 1999)
    assert "did not answer by 2026-12-07" in decision["reasons"] and "EUR 50.00" in decision["reasons"]
    assert kinds(case)[-2:] == ["deadline_missed", "decided"]
    assert case["timeline"][-1]["message"] == decision["reasons"]
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"], now["credited"], now["balance"]) == ("credited", False, 1999, 0)
    assert now["credit_notes"][0]["id"] == decision["credit_note_id"]


def test_the_auto_decide_amount_is_configurable(api, services, clock, big, monkeypatch):
    dispute_rules(monkeypatch, services, auto_decide_below_cents=10_000)
    clock.advance(days=15)
    check(services)
    assert dispute(api, big[1])["decision"]["outcome"] == "consumer"


def test_fraud_cases_run_out_after_7_days(api, services, clock):
    inv = shipped_invoice(api, lines=[factories.line("SKU-1", 1, 9000, 21)])
    dispute_id = open_case(services, inv["id"], reason="unauthorised", contacted=None)
    clock.advance(days=7, seconds=1)
    assert check(services) == [dispute_id]
    assert dispute(api, dispute_id)["merchant_missed_deadline"] is True


def test_a_consumer_who_does_not_answer_a_question_sends_the_case_back_to_review(api, services, clock, big):
    inv, dispute_id = big
    rejected(api, dispute_id)
    act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer",
        message="Please send a photo of the label on the box.")
    asked = dispute(api, dispute_id)
    assert (asked["status"], asked["waiting_for"]) == ("awaiting_consumer", "consumer")
    assert asked["respond_by"] == "2026-11-30T10:00:00+00:00"
    clock.advance(days=8)
    assert check(services) == [dispute_id]
    case = dispute(api, dispute_id)
    assert (case["status"], case["merchant_missed_deadline"], case["decision"]) == ("in_review", False, None)
    assert case["timeline"][-1]["kind"] == "deadline_missed"
    assert case["timeline"][-1]["data"] == {"party": "consumer", "respond_by": "2026-11-30T10:00:00+00:00"}
    assert invoice(api, inv["id"])["paused"] is True


def test_a_consumer_who_answers_in_time_sends_the_case_back_to_review(api, services, clock, big):
    inv, dispute_id = big
    rejected(api, dispute_id)
    act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer", message="A photo, please.")
    clock.advance(days=6)
    act(services, service.consumer_reply, consumer_id=consumer_of(services, inv["id"]), dispute_id=dispute_id,
        message="Here it is.")
    clock.advance(days=6)
    assert check(services) == []
    assert kinds(dispute(api, dispute_id))[-1] == "consumer_replied"


def test_the_merchant_may_answer_up_to_the_deadline_but_not_after(api, services, clock, big, small):
    clock.advance(days=14)  # exactly the deadline
    assert respond(api, small[1], "reject").status_code == 201
    clock.advance(seconds=1)
    late = respond(api, big[1], "accept")
    assert late.status_code == 409, late.json
    assert late.json["respond_by"] == "2026-12-07T10:00:00+00:00" and "deadline" in late.json["detail"]
    case = dispute(api, big[1])
    assert case["status"] == "awaiting_merchant" and kinds(case)[-1] == "merchant_asked"  # the job has not run yet
    assert invoice(api, big[0]["id"])["credited"] == 0


def test_a_consumer_answer_after_the_deadline_is_refused(api, services, clock, big):
    inv, dispute_id = big
    rejected(api, dispute_id)
    act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer", message="A photo, please.")
    clock.advance(days=7, seconds=1)
    with pytest.raises(Conflict, match="deadline"):
        act(services, service.consumer_reply, consumer_id=consumer_of(services, inv["id"]), dispute_id=dispute_id,
            message="Sorry, here it is.")
    assert dispute(api, dispute_id)["status"] == "awaiting_consumer"


def test_asking_the_merchant_again_gives_a_new_deadline(api, services, clock, big):
    inv, dispute_id = big
    rejected(api, dispute_id)
    clock.advance(days=3)
    act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR, party="merchant",
        message="Please send the carrier's proof of delivery.")
    case = dispute(api, dispute_id)
    assert (case["status"], case["respond_by"]) == ("awaiting_merchant", "2026-12-10T10:00:00+00:00")
    assert case["timeline"][-1]["message"] == "Please send the carrier's proof of delivery."


def test_a_second_run_does_nothing(api, services, clock, big, small):
    clock.advance(days=15)
    assert sorted(check(services)) == sorted([big[1], small[1]])
    after_first = counts(services)
    assert check(services) == []
    assert counts(services) == after_first
    assert [e.kind for e in entries(services, big[1], "deadline_missed")] == ["deadline_missed"]
    assert len(entries(services, small[1], "deadline_missed")) == 1


@pytest.mark.postgres
def test_two_runs_at_once_handle_every_case_exactly_once(api, services, clock, monkeypatch):
    # 10 small cases (decided for the consumer, each with a credit note) and 10 of EUR 60.
    small = many_invoices(services, api.merchant_id, 10)
    big = many_invoices(services, api.merchant_id, 10, lines=[factories.line("SKU-1", 1, 6000, 21)])
    with unit_of_work(services) as uow:
        for invoice_id in small + big:
            service.open_dispute(uow, invoice_id=invoice_id, actor=MEDIATOR, case=service.NewDispute(
                reason="not_received", description="Never arrived, says the consumer.",
                contacted_merchant_on=clock.now().date() - timedelta(days=10)))
    clock.advance(days=15)

    # Each run holds its first batch (rows locked, nothing committed) until the other has
    # claimed one too: the runs overlap for sure, and SKIP LOCKED has rows to skip.
    both_claimed, claimed, real = threading.Barrier(2), threading.local(), service._merchant_missed

    def missed_then_wait(uow, dispute):
        if not getattr(claimed, "once", False):
            claimed.once = True
            both_claimed.wait(timeout=30)
        real(uow, dispute)

    monkeypatch.setattr(service, "_merchant_missed", missed_then_wait)
    runs, errors = [[], []], []

    def run(mine: list):
        try:
            while True:
                with unit_of_work(services) as uow:
                    batch = [d.id for d in service.check_deadlines(uow, limit=3)]
                if not batch:
                    return
                mine.extend(batch)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(mine,)) for mine in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert all(runs)  # both did part of the work
    handled = Counter(runs[0] + runs[1])
    assert len(handled) == 20 and set(handled.values()) == {1}
    with services.sessionmaker() as session:
        missed = Counter(session.scalars(select(DisputeEntry.dispute_id).where(DisputeEntry.kind == "deadline_missed")))
        notes = session.scalars(select(CreditNote.number)).all()
    assert sorted(missed) == sorted(handled) and set(missed.values()) == {1}
    assert len(notes) == len(set(notes)) == 10
    statuses = Counter(dispute(api, dispute_id)["status"] for dispute_id in handled)
    assert statuses == {"decided": 10, "in_review": 10}


def test_a_follow_up_question_the_webshop_misses_goes_to_a_mediator_not_to_an_automatic_decision(
        api, services, clock):
    inv = ship(api)  # EUR 19.99: below the automatic-decision amount
    case = open_case(services, inv["id"])
    api.post(f"/disputes/{case}/responses", json={"message": "Delivered, see the scan.", "proposal": "reject"})
    act(services, service.ask, dispute_id=case, actor=MEDIATOR, party="merchant", message="Send the signature.")
    clock.advance(days=15)
    act(services, service.check_deadlines)
    assert api.get(f"/disputes/{case}").json["status"] == "in_review"
