"""Each way a case ends, and what it does to the money trail (GET /invoices/{id}: status,
balance, credited, due date, pause) and its credit notes: the mediator's four outcomes, the
merchant's accept or partial credit, the consumer withdrawing; the second mediator's approval
above EUR 500; and the decision's reasons, required and shown to both sides.

The default invoice is due 2026-12-09; a case that ends with money owed gives at least 7 days
from the decision (2026-11-30 when decided today)."""
import pytest

from bnpl.disputes import service
from bnpl.disputes.models import Dispute
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.invoices import ledger as invoice_ledger
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import MEDIATOR, SECOND, act, consumer_of, credit_line, open_case, pdf_file, shipped_invoice
from tests.disputes.support import (REASONS, decide, dispute, dispute_rules, entries, invoice, kinds, outbox, pay,
                                    rejected, respond)
from tests.payments.flows import invoice as read_invoice
from tests.payments.flows import ship


@pytest.fixture
def inv(api):
    """Three lines: SKU-1 1 x 1999, SKU-2 2 x 450, SKU-3 1 x 2500 (total 5399), due 2026-12-09."""
    return shipped_invoice(api, lines=factories.three_lines())


@pytest.fixture
def in_review(api, services, inv):
    """A case about the whole invoice that the merchant rejected: a mediator decides."""
    dispute_id = open_case(services, inv["id"])
    rejected(api, dispute_id)
    return dispute_id


def credit_note(api, credit_note_id: str) -> dict:
    r = api.get(f"/credit-notes/{credit_note_id}")
    assert r.status_code == 200, r.json
    return r.json


def trail(inv: dict) -> tuple:
    return inv["status"], inv["paused"], inv["credited"], inv["balance"]


# --- the mediator decides ------------------------------------------------------------------

def test_for_the_consumer_on_the_whole_invoice_credits_it_all_and_lifts_the_pause(api, services, inv, in_review):
    decide(services, in_review, "consumer")
    now = invoice(api, inv["id"])
    assert trail(now) == ("credited", False, 5399, 0)
    assert now["refund_owed"] == 0 and now["pauses"][0]["lifted_at"] is not None
    case = dispute(api, in_review)
    decision = case["decision"]
    assert case["status"] == "decided" and case["waiting_for"] is None and case["respond_by"] is None
    assert (decision["outcome"], decision["credited"], decision["decided_by"]) == ("consumer", 5399, "mediator")
    assert decision["resume_due_date"] is None  # nothing is left to pay
    note = credit_note(api, decision["credit_note_id"])
    assert (note["invoice_id"], note["total"]) == (inv["id"], 5399)
    assert [n["id"] for n in now["credit_notes"]] == [note["id"]]


def test_for_the_consumer_on_some_lines_credits_those_lines_and_the_rest_runs_again(api, services, inv):
    dispute_id = open_case(services, inv["id"], reason="damaged", lines=[("SKU-2", 1), ("SKU-3", 1)])
    rejected(api, dispute_id)
    decide(services, dispute_id, "consumer")
    decision = dispute(api, dispute_id)["decision"]
    note = credit_note(api, decision["credit_note_id"])
    assert [(line["reference"], line["quantity"], line["unit_price"], line["total"]) for line in note["lines"]] == [
        ("SKU-2", 1, 450, 450), ("SKU-3", 1, 2500, 2500)]
    assert note["total"] == decision["credited"] == 2950
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 2950, 5399 - 2950)
    assert now["due_date"] >= "2026-11-30"  # today + 7
    assert now["due_date"] == decision["resume_due_date"] == "2026-12-09"  # the old due date is later: kept


def test_partial_credits_the_amount_and_the_rest_is_due_no_earlier_than_7_days_later(api, services, inv, in_review,
                                                                                   clock):
    clock.advance(days=20)  # Sun 13 Dec: the invoice was due on the 9th, paused since 23 Nov
    decide(services, in_review, "partial", amount=1500)
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 1500, 3899)
    assert now["due_date"] >= "2026-12-20"  # today + 7
    # The old due date plus the 20 paused days (29 Dec) is later than today + 7: that one.
    assert now["due_date"] == "2026-12-29"
    decision = dispute(api, in_review)["decision"]
    assert (decision["outcome"], decision["credited"], decision["resume_due_date"]) == ("partial", 1500, "2026-12-29")
    note = credit_note(api, decision["credit_note_id"])
    assert note["total"] == 1500 and sum(line["total"] for line in note["lines"]) == 1500


def test_for_the_merchant_no_credit_and_the_invoice_runs_again_with_the_later_due_date(api, services, inv, in_review,
                                                                                      clock):
    clock.advance(days=10)  # Thu 3 Dec
    decide(services, in_review, "merchant")
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 0, 5399) and now["credit_notes"] == []
    # The old due date plus the 10 paused days (19 Dec) is later than today + 7 (10 Dec).
    assert now["due_date"] == "2026-12-19"
    decision = dispute(api, in_review)["decision"]
    assert (decision["outcome"], decision["credited"], decision["credit_note_id"]) == ("merchant", None, None)


def test_for_the_merchant_on_an_overdue_invoice_gives_7_days_from_the_decision(api, services, inv, clock):
    clock.advance(days=20)  # Sun 13 Dec: four days past due when the case is opened
    dispute_id = open_case(services, inv["id"])
    rejected(api, dispute_id)
    clock.advance(days=3)  # Wed 16 Dec
    decide(services, dispute_id, "merchant")
    now = invoice(api, inv["id"])
    # 9 Dec + 3 paused days = 12 Dec, already past: the consumer gets until 16 + 7 = 23 Dec.
    assert trail(now) == ("open", False, 0, 5399) and now["due_date"] == "2026-12-23"
    assert dispute(api, dispute_id)["decision"]["resume_due_date"] == "2026-12-23"


def test_the_mediator_records_a_withdrawal(api, services, inv, in_review):
    decide(services, in_review, "withdrawn", reasons="The consumer called to say the parcel turned up.")
    case = dispute(api, in_review)
    assert case["status"] == "withdrawn" and case["decision"]["outcome"] == "withdrawn"
    assert kinds(case)[-1] == "withdrawn"
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 0, 5399) and now["due_date"] == "2026-12-09"


def test_the_consumer_withdraws_and_the_invoice_runs_again(api, services, inv, clock):
    dispute_id = open_case(services, inv["id"])
    clock.advance(days=30)  # 23 Dec; 9 Dec + 30 paused days = 8 Jan
    act(services, service.withdraw, consumer_id=consumer_of(services, inv["id"]), dispute_id=dispute_id,
        message="Found it at the neighbours'.")
    case = dispute(api, dispute_id)
    assert (case["status"], case["decision"]["outcome"], case["decision"]["decided_by"]) == (
        "withdrawn", "withdrawn", "consumer")
    assert case["decision"]["reasons"] == "Found it at the neighbours'."
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 0, 5399) and now["due_date"] == "2027-01-08"


def test_only_the_consumer_of_the_case_can_withdraw_it(api, services, inv):
    dispute_id = open_case(services, inv["id"])
    with pytest.raises(NotFound):
        act(services, service.withdraw, consumer_id="con_someone_else", dispute_id=dispute_id)
    assert dispute(api, dispute_id)["status"] == "awaiting_merchant"


def test_a_paid_invoice_decided_for_the_consumer_owes_a_refund(api, services, inv):
    pay(services, api, inv)
    dispute_id = open_case(services, inv["id"])
    rejected(api, dispute_id)
    decide(services, dispute_id, "consumer")
    now = invoice(api, inv["id"])
    assert (now["paid"], now["credited"], now["balance"], now["refund_owed"]) == (5399, 5399, 0, 5399)
    assert now["paused"] is False


def test_a_partly_paid_invoice_partly_credited_owes_only_the_difference(api, services, inv):
    pay(services, api, inv, amount=5000)
    dispute_id = open_case(services, inv["id"])
    rejected(api, dispute_id)
    decide(services, dispute_id, "partial", amount=1000)
    now = invoice(api, inv["id"])
    assert (now["paid"], now["credited"], now["balance"], now["refund_owed"]) == (5000, 1000, 0, 601)


# --- the merchant ends the case ------------------------------------------------------------

def test_the_merchant_accepts_a_credit_note_ends_the_case(api, services, inv):
    dispute_id = open_case(services, inv["id"], lines=[("SKU-3", 1)])
    r = respond(api, dispute_id, "accept", message="Sorry, we will credit it.")
    assert r.status_code == 201, r.json
    decision = r.json["decision"]
    assert r.json["status"] == "decided"
    assert (decision["outcome"], decision["decided_by"], decision["credited"]) == ("consumer", "merchant", 2500)
    assert decision["reasons"] == "The webshop accepted the claim."
    assert [line["reference"] for line in credit_note(api, decision["credit_note_id"])["lines"]] == ["SKU-3"]
    assert trail(invoice(api, inv["id"])) == ("open", False, 2500, 2899)
    assert kinds(r.json)[-2:] == ["merchant_responded", "decided"]


def test_the_merchant_offers_a_partial_credit_which_ends_the_case(api, services, inv):
    dispute_id = open_case(services, inv["id"])
    r = respond(api, dispute_id, "partial_credit", amount=1234, message="We offer a discount for the scratch.")
    assert r.status_code == 201, r.json
    decision = r.json["decision"]
    assert (r.json["status"], decision["outcome"], decision["decided_by"], decision["credited"]) == (
        "decided", "partial", "merchant", 1234)
    assert "EUR 12.34" in decision["reasons"]
    assert credit_note(api, decision["credit_note_id"])["total"] == 1234
    now = invoice(api, inv["id"])
    assert trail(now) == ("open", False, 1234, 5399 - 1234) and now["due_date"] >= "2026-11-30"


def test_the_merchant_rejects_and_nothing_moves_until_a_mediator_decides(api, services, inv):
    dispute_id = open_case(services, inv["id"])
    case = rejected(api, dispute_id)
    assert case["decision"] is None and case["waiting_for"] == "mediator"
    assert trail(invoice(api, inv["id"])) == ("paused", True, 0, 5399)


# --- reasons for both sides ----------------------------------------------------------------

def test_the_reasons_are_on_the_shared_timeline_and_in_the_decision(api, services, inv, in_review):
    reasons = "The photos show the screen was cracked in transit; the webshop's packing was insufficient."
    decide(services, in_review, "partial", amount=2000, reasons=f"  {reasons}\n")
    case = dispute(api, in_review)
    assert case["decision"]["reasons"] == reasons
    decided = case["timeline"][-1]
    assert (decided["kind"], decided["party"], decided["message"]) == ("decided", "mediator", reasons)
    assert decided["data"]["outcome"] == "partial" and decided["data"]["credited"] == 2000
    consumer_view = act(services, service.get_consumer_dispute, consumer_id=consumer_of(services, inv["id"]),
                        dispute_id=in_review)
    assert consumer_view.shared_entries()[-1].message == reasons
    # Both sides are told: the consumer's decision mail and the merchant's carry the reasons.
    decided_mails = {m.kind: m for m in outbox(services, channel="email") if m.payload["data"].get("status") == "decided"}
    assert {"dispute_decided", "dispute_merchant"} <= set(decided_mails)
    assert all(m.payload["data"]["decision"]["reasons"] == reasons for m in decided_mails.values())


def test_a_decision_without_real_reasons_is_refused(api, services, inv, in_review):
    for reasons in ("", "   ", "No.", "Rejected, sorry.   "):  # at least 20 characters
        with pytest.raises(InvalidInput) as refused:
            decide(services, in_review, "consumer", reasons=reasons)
        assert list(refused.value.extra["errors"]) == ["reasons"]
    assert dispute(api, in_review)["status"] == "in_review"
    assert trail(invoice(api, inv["id"])) == ("paused", True, 0, 5399)


def test_a_partial_decision_needs_an_amount_above_0_and_below_the_disputed_one(api, services, inv, in_review):
    for amount in (None, 0, -5, 5399, 6000):
        with pytest.raises(InvalidInput) as refused:
            decide(services, in_review, "partial", amount=amount)
        assert list(refused.value.extra["errors"]) == ["amount"]
    assert invoice(api, inv["id"])["credited"] == 0
    decide(services, in_review, "partial", amount=5398)  # one cent less than all of it is fine
    assert invoice(api, inv["id"])["credited"] == 5398


def test_an_amount_goes_only_with_a_partial_decision_and_the_outcome_must_exist(services, in_review):
    with pytest.raises(InvalidInput) as with_amount:
        decide(services, in_review, "consumer", amount=1000)
    assert list(with_amount.value.extra["errors"]) == ["amount"]
    with pytest.raises(InvalidInput) as unknown:
        decide(services, in_review, "split_the_difference")
    assert list(unknown.value.extra["errors"]) == ["outcome"]


def test_a_second_decision_on_a_decided_case_is_a_conflict(api, services, inv, in_review):
    decide(services, in_review, "merchant")
    before = invoice(api, inv["id"])
    with pytest.raises(Conflict, match="already decided"):
        decide(services, in_review, "consumer")
    assert invoice(api, inv["id"]) == before
    assert dispute(api, in_review)["decision"]["outcome"] == "merchant"


def test_only_a_mediator_decides(services, in_review):
    with pytest.raises(Conflict, match="Only a mediator"):
        decide(services, in_review, "consumer", actor=service.Actor.merchant("mer_x"))


def test_a_mediator_may_decide_while_the_case_still_waits_for_the_merchant(api, services, inv):
    dispute_id = open_case(services, inv["id"])
    decide(services, dispute_id, "consumer", reasons="The webshop confirmed by phone it never shipped this.")
    assert dispute(api, dispute_id)["status"] == "decided"
    assert invoice(api, inv["id"])["status"] == "credited"


# --- a second mediator above EUR 500 --------------------------------------------------------

@pytest.fixture
def big(api, services):
    """A case about an invoice of EUR 600 (above the approval amount of EUR 500), in review."""
    inv = shipped_invoice(api, lines=[factories.line("BIKE", 1, 60000, 21)],
                          consumer=factories.consumer(email="groot@example.nl"))
    dispute_id = open_case(services, inv["id"])
    rejected(api, dispute_id)
    return inv, dispute_id


def test_a_big_decision_waits_for_a_second_mediator_and_moves_no_money_until_then(api, services, big):
    inv, dispute_id = big
    decide(services, dispute_id, "consumer")
    case = dispute(api, dispute_id)
    assert (case["status"], case["decision"], case["waiting_for"]) == ("awaiting_approval", None, "mediator")
    assert "decision_proposed" not in kinds(case)  # a proposal is between the mediators
    assert trail(invoice(api, inv["id"])) == ("paused", True, 0, 60000)
    assert invoice(api, inv["id"])["credit_notes"] == []

    act(services, service.approve, dispute_id=dispute_id, actor=SECOND)
    case = dispute(api, dispute_id)
    assert (case["status"], case["decision"]["outcome"], case["decision"]["credited"]) == ("decided", "consumer", 60000)
    assert case["decision"]["reasons"] == REASONS and case["decision"]["decided_by"] == "mediator"
    assert trail(invoice(api, inv["id"])) == ("credited", False, 60000, 0)
    with services.sessionmaker() as session:
        stored = session.get(Dispute, dispute_id)
        assert (stored.decided_by, stored.approved_by, stored.proposal) == ("stf_anna", "stf_bram", None)


def test_the_proposer_cannot_approve_their_own_decision(api, services, big):
    inv, dispute_id = big
    decide(services, dispute_id, "partial", amount=20000)
    with pytest.raises(Conflict, match="second mediator"):
        act(services, service.approve, dispute_id=dispute_id, actor=MEDIATOR)
    assert dispute(api, dispute_id)["status"] == "awaiting_approval"
    assert invoice(api, inv["id"])["credited"] == 0


def test_the_second_mediator_sends_it_back_to_review(api, services, big):
    inv, dispute_id = big
    decide(services, dispute_id, "merchant")
    act(services, service.send_back, dispute_id=dispute_id, actor=SECOND, message="The photos need a closer look.")
    case = dispute(api, dispute_id)
    assert (case["status"], case["decision"]) == ("in_review", None)
    assert trail(invoice(api, inv["id"])) == ("paused", True, 0, 60000)
    with pytest.raises(Conflict, match="No decision"):
        act(services, service.approve, dispute_id=dispute_id, actor=SECOND)
    # A new proposal, approved this time by the other mediator.
    decide(services, dispute_id, "partial", amount=30000, actor=SECOND)
    act(services, service.approve, dispute_id=dispute_id, actor=MEDIATOR)
    assert trail(invoice(api, inv["id"])) == ("open", False, 30000, 30000)


def test_a_withdrawal_needs_no_second_mediator(api, services, big):
    inv, dispute_id = big
    decide(services, dispute_id, "withdrawn", reasons="The consumer withdrew the case by phone.")
    assert dispute(api, dispute_id)["status"] == "withdrawn"
    assert trail(invoice(api, inv["id"])) == ("open", False, 0, 60000)


def test_the_merchant_may_accept_a_big_case_without_approval(api, services):
    inv = shipped_invoice(api, lines=[factories.line("BIKE", 1, 60000, 21)])
    dispute_id = open_case(services, inv["id"])
    assert respond(api, dispute_id, "accept").json["status"] == "decided"
    assert trail(invoice(api, inv["id"])) == ("credited", False, 60000, 0)


def test_the_approval_amount_is_configurable(api, services, inv, in_review, monkeypatch):
    dispute_rules(monkeypatch, services, approval_above_cents=5000)
    decide(services, in_review, "consumer")
    assert dispute(api, in_review)["status"] == "awaiting_approval"
    assert [e.visibility for e in entries(services, in_review, "decision_proposed")] == ["staff"]


def test_a_line_credited_while_the_case_runs_is_not_credited_again(api, services):
    inv = ship(api, lines=factories.three_lines())
    case = open_case(services, inv["id"], reason="damaged", lines=[("SKU-3", 1)])
    credit_line(services, api, inv["id"], "SKU-3")  # the return arrived meanwhile
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="The photos show the damage the consumer describes.")
    after = read_invoice(api, inv["id"])
    assert after["credited"] == 2500 and after["balance"] == inv["total"] - 2500
    assert api.get(f"/disputes/{case}").json["decision"]["credited"] == 0


def test_a_decision_on_a_fully_credited_invoice_issues_no_empty_credit_note(api, services):
    inv = ship(api)
    case = open_case(services, inv["id"])
    assert api.post(f"/invoices/{inv['id']}/credits", json={"amount": inv["total"], "reason": "goodwill"}).status_code == 201
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="The parcel was lost by the carrier; the webshop credited it already.")
    assert len(read_invoice(api, inv["id"])["credit_notes"]) == 1


def test_a_payment_in_full_keeps_the_case_pause_so_a_reversal_does_not_unleash_dunning(api, services):
    inv = ship(api)
    open_case(services, inv["id"])
    with unit_of_work(services) as uow:
        scope = Scope(api.merchant_id, False)
        invoice_ledger.apply_payment(uow, scope=scope, invoice_id=inv["id"], payment_id="pay_1", method="sepa_debit",
                                     amount=inv["total"], paid_on=uow.today())
    assert read_invoice(api, inv["id"])["status"] == "paid"
    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=scope, invoice_id=inv["id"], payment_id="pay_1r", method="sepa_debit",
                                     amount=-inv["total"], paid_on=uow.today())
    assert read_invoice(api, inv["id"])["status"] == "paused"


def test_one_mediator_cannot_end_a_case_waiting_for_approval(api, services):
    inv = ship(api, lines=[factories.line(unit_price=60000)])
    case = open_case(services, inv["id"])
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="Proof of delivery is missing for this expensive item.")
    with pytest.raises(Conflict, match="waits for a second mediator"):
        act(services, service.decide, dispute_id=case, actor=SECOND, outcome="withdrawn",
            reasons="The consumer withdrew on the phone today.")


def test_a_case_runs_from_opening_to_a_decision(api, services):
    invoice = shipped_invoice(api)
    dispute_id = open_case(services, invoice["id"], evidence=[pdf_file()])
    r = api.get(f"/disputes/{dispute_id}")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "awaiting_merchant"
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "paused"
    r = api.post(f"/disputes/{dispute_id}/responses", json={"message": "We have proof of delivery.", "proposal": "reject"})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "in_review"
    act(services, service.decide, dispute_id=dispute_id, actor=MEDIATOR, outcome="merchant",
        reasons="The carrier's proof of delivery shows a signature at the address.")
    r = api.get(f"/disputes/{dispute_id}")
    assert r.json["status"] == "decided", r.json
    inv = api.get(f"/invoices/{invoice['id']}").json
    assert inv["status"] == "open", inv
    assert inv["due_date"] >= "2026-11-30"  # seven days to pay at least, never earlier than it was


def test_the_dispute_credit_note_states_its_reason_in_the_consumers_language(api, services, inv, in_review):
    from bnpl.documents.jobs import render_documents
    from tests.notifications.test_email import pdf_text

    decide(services, in_review, "consumer")
    render_documents(services)
    note_id = dispute(api, in_review)["decision"]["credit_note_id"]

    text = " ".join(pdf_text(api.get(f"/credit-notes/{note_id}/pdf").data).split())  # a Dutch consumer

    assert "Na een geschil in uw voordeel beslist" in text
    assert "Dispute" not in text and "dsp_" not in text and "decided for the consumer" not in text
