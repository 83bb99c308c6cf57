"""A declined consumer asks for a human review (CCD2); a staff member answers with written
reasons: the decision stands, or the limit opens again."""
import pytest

from bnpl.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from bnpl.risk import service as risk, states
from bnpl.risk.models import RiskDecision
from bnpl.uow import unit_of_work
from tests.risk.support import order, person

REASONS = "The hand-over was paid in full the same week; the limit opens again."


def declined(api, services, **fields) -> tuple[str, str]:
    """An order of person 1 declined because their limit is closed: (decision id, consumer id)."""
    first = order(api, 1_000, **person(1))
    with unit_of_work(services) as uow:
        consumer_id = uow.session.get(RiskDecision, first["decision"]["id"]).consumer_id
        risk.close_limit(uow, consumer_id=consumer_id, livemode=False, because="handed_over")
    answer = order(api, 1_000, **person(1))
    assert answer["status"] == "declined"
    return answer["decision"]["id"], consumer_id


@pytest.mark.parametrize("state, action", [(s, a) for s in states.REVIEW_STATES for a in ("uphold", "change")])
def test_the_review_table_row_by_row(state, action):
    expected = {("requested", "uphold"): "upheld", ("requested", "change"): "changed"}
    if (state, action) in expected:
        assert states.REVIEW.next(state, action) == expected[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            states.REVIEW.next(state, action)


@pytest.mark.parametrize("change, status, room_after", [(False, "upheld", "declined"), (True, "changed", "accepted")])
def test_a_review_upholds_or_changes(api, services, change, status, room_after):
    decision_id, consumer_id = declined(api, services)
    with unit_of_work(services) as uow:
        review = risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="I paid it.")
        assert [r.id for r in risk.reviews(uow)] == [review.id]
        risk.decide_review(uow, review_id=review.id, staff_id="stf_risk", change=change, reasons=REASONS)
        assert (review.status, review.decided_by) == (status, "stf_risk")
        assert risk.reviews(uow) == []
    assert order(api, 1_000, **person(1))["status"] == room_after


def test_a_changed_review_may_set_the_limit_never_above_the_ceiling(api, services):
    decision_id, consumer_id = declined(api, services)
    with unit_of_work(services) as uow:
        review = risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="Please look.")
        risk.decide_review(uow, review_id=review.id, staff_id="stf_risk", change=True, reasons=REASONS,
                           limit_cents=900_000)
        assert review.limit_cents == 250_000
        assert risk.room_for(uow, consumer_id=consumer_id, livemode=False).status == "growing"


@pytest.mark.parametrize("problem", ["someone_else", "accepted", "twice", "empty"])
def test_what_cannot_be_asked(api, services, problem):
    decision_id, consumer_id = declined(api, services)
    accepted = order(api, 1_000, **person(2))["decision"]["id"]
    with unit_of_work(services) as uow:
        if problem == "someone_else":
            with pytest.raises(NotFound):
                risk.request_review(uow, decision_id=decision_id, consumer_id="con_other", message="Mine?")
        elif problem == "accepted":
            other = uow.session.get(RiskDecision, accepted).consumer_id
            with pytest.raises(Conflict):
                risk.request_review(uow, decision_id=accepted, consumer_id=other, message="Why?")
        elif problem == "twice":
            risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="Please.")
            with pytest.raises(Conflict):
                risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="Again.")
        else:
            with pytest.raises(InvalidInput):
                risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="  ")


def test_a_review_needs_reasons_and_is_decided_once(api, services):
    decision_id, consumer_id = declined(api, services)
    with unit_of_work(services) as uow:
        review = risk.request_review(uow, decision_id=decision_id, consumer_id=consumer_id, message="Please.")
        with pytest.raises(InvalidInput):
            risk.decide_review(uow, review_id=review.id, staff_id="stf_risk", change=True, reasons="No.")
        risk.decide_review(uow, review_id=review.id, staff_id="stf_risk", change=False, reasons=REASONS)
        with pytest.raises(IllegalTransition):
            risk.decide_review(uow, review_id=review.id, staff_id="stf_risk", change=True, reasons=REASONS)
