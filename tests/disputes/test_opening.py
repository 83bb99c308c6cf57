"""Opening a case: the consumer first gives the webshop 5 working days (not for fraud), what
is disputed (lines or the whole invoice), one running case per invoice, who may open it, and
what opening does: the invoice pauses, the webshop gets its deadline and is told.

NOW is Monday 23 November 2026, 10:00 UTC."""
from datetime import date, datetime, timedelta, timezone

import pytest

from bnpl.disputes import service
from bnpl.errors import Conflict, InvalidInput, NotFound
from tests import factories
from tests.disputes.cases import MEDIATOR, act, consumer_of, credit_line, open_case, pdf_file, shipped_invoice
from tests.disputes.support import dispute, dispute_rules, invoice, outbox, pay, respond
from tests.payments.flows import ship


@pytest.fixture
def inv(api):
    """An invoice of three lines: SKU-1 1 x 1999, SKU-2 2 x 450, SKU-3 1 x 2500 (total 5399)."""
    return shipped_invoice(api, lines=factories.three_lines())


# --- the webshop gets 5 working days first -------------------------------------------------

def test_five_working_days_after_asking_the_webshop_the_case_may_be_opened(api, services, inv):
    dispute_id = open_case(services, inv["id"], contacted=date(2026, 11, 16))  # Monday a week ago
    case = dispute(api, dispute_id)
    assert case["contacted_merchant_on"] == "2026-11-16" and case["status"] == "awaiting_merchant"


def test_asking_the_webshop_less_than_five_working_days_ago_is_refused_with_the_day_to_come_back(api, services, inv):
    for contacted, open_from in [
        (date(2026, 11, 17), "2026-11-24"),  # Tuesday: five working days end tomorrow
        (date(2026, 11, 19), "2026-11-26"),  # Thursday: the weekend does not count
        (date(2026, 11, 23), "2026-11-30"),  # today
    ]:
        with pytest.raises(Conflict) as refused:
            open_case(services, inv["id"], contacted=contacted)
        assert refused.value.extra == {"open_from": open_from}
        assert open_from in refused.value.detail and "5 working days" in refused.value.detail
    assert api.get("/disputes").json["items"] == []
    assert invoice(api, inv["id"])["paused"] is False


def test_public_holidays_do_not_count_as_working_days(api, services, inv, clock):
    # Asked on Tuesday 22 December: 23, 24, (Christmas 25 and 26, the weekend) 28, 29, 30.
    clock.set(datetime(2026, 12, 29, 10, 0, tzinfo=timezone.utc))
    with pytest.raises(Conflict) as refused:
        open_case(services, inv["id"], contacted=date(2026, 12, 22))
    assert refused.value.extra == {"open_from": "2026-12-30"}
    clock.advance(days=1)
    assert dispute(api, open_case(services, inv["id"], contacted=date(2026, 12, 22)))["status"] == "awaiting_merchant"


def test_the_wait_is_configurable(api, services, inv, monkeypatch):
    dispute_rules(monkeypatch, services, wait_working_days=1)
    open_case(services, inv["id"], contacted=date(2026, 11, 20))  # Friday: one working day (Monday) passed


def test_a_contact_day_in_the_future_or_missing_is_invalid(services, inv):
    with pytest.raises(InvalidInput) as future:
        open_case(services, inv["id"], contacted=date(2026, 11, 24))
    assert list(future.value.extra["errors"]) == ["contacted_merchant_on"]
    with pytest.raises(InvalidInput) as missing:
        open_case(services, inv["id"], contacted=None)
    assert list(missing.value.extra["errors"]) == ["contacted_merchant_on"]


def test_fraud_needs_no_wait_and_gives_the_webshop_7_days_instead_of_14(api, services, inv):
    fraud = open_case(services, inv["id"], reason="unauthorised", contacted=None,
                      description="I never ordered this; someone used my name.")
    case = dispute(api, fraud)
    assert case["reason"] == "unauthorised" and case["contacted_merchant_on"] is None
    assert case["respond_by"] == "2026-11-30T10:00:00+00:00"

    other = shipped_invoice(api, consumer=factories.consumer(email="piet@example.nl"))
    normal = dispute(api, open_case(services, other["id"], contacted=date(2026, 11, 16)))
    assert normal["respond_by"] == "2026-12-07T10:00:00+00:00"


def test_fraud_reported_the_same_day_as_asking_the_webshop_is_accepted(api, services, inv):
    case = dispute(api, open_case(services, inv["id"], reason="unauthorised", contacted=date(2026, 11, 23)))
    assert case["status"] == "awaiting_merchant"


def test_a_reason_from_the_list_and_a_real_description_are_required(services, inv):
    for field, case in [("reason", {"reason": "changed_my_mind"}), ("description", {"description": "  bad  "})]:
        with pytest.raises(InvalidInput) as refused:
            open_case(services, inv["id"], **case)
        assert list(refused.value.extra["errors"]) == [field]


# --- what is disputed ----------------------------------------------------------------------

def test_without_lines_the_whole_creditable_invoice_is_disputed(api, services, inv):
    case = dispute(api, open_case(services, inv["id"]))
    assert (case["lines"], case["disputed"], case["currency"]) == (None, 5399, "EUR")


def test_with_lines_the_disputed_amount_is_those_lines(api, services, inv):
    case = dispute(api, open_case(services, inv["id"], reason="damaged", lines=[("SKU-2", 1), ("SKU-3", 1)]))
    assert case["disputed"] == 450 + 2500
    assert case["lines"] == [
        {"reference": "SKU-2", "description": "Article SKU-2", "quantity": 1, "amount": 450},
        {"reference": "SKU-3", "description": "Article SKU-3", "quantity": 1, "amount": 2500}]


def test_what_was_credited_before_is_not_disputed_again(api, services, inv):
    r = api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1000, "reason": "goodwill"})
    assert r.status_code == 201, r.json
    assert dispute(api, open_case(services, inv["id"]))["disputed"] == 4399
    # Lines are capped the same way: 1999 + 2500 disputed, but only 4399 is left to credit.
    other = shipped_invoice(api, lines=factories.three_lines(), consumer=factories.consumer(email="an@example.nl"))
    api.post(f"/invoices/{other['id']}/credits", json={"amount": 1000, "reason": "goodwill"})
    assert dispute(api, open_case(services, other["id"], lines=[("SKU-1", 1), ("SKU-3", 1)]))["disputed"] == 4399


def test_bad_lines_are_invalid_input_naming_the_line(api, services, inv):
    for lines, field, says in [
        ([("SKU-9", 1)], "lines.0.reference", "has no line 'SKU-9'"),
        ([("SKU-2", 3)], "lines.0.quantity", "Between 1 and 2"),
        ([("SKU-1", 0)], "lines.0.quantity", "Between 1 and 1"),
        ([("SKU-1", 1), ("SKU-1", 1)], "lines.1.reference", "named twice"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            open_case(services, inv["id"], lines=lines)
        assert list(refused.value.extra["errors"]) == [field]
        assert says in refused.value.extra["errors"][field][0]
    assert invoice(api, inv["id"])["paused"] is False
    assert api.get("/disputes").json["items"] == []


def test_a_fully_credited_invoice_cannot_be_disputed(api, services, inv):
    assert api.post(f"/invoices/{inv['id']}/credits", json={"amount": 5399, "reason": "goodwill"}).status_code == 201
    with pytest.raises(Conflict, match="fully credited"):
        open_case(services, inv["id"])


def test_a_second_running_case_on_the_same_invoice_names_the_first(api, services, inv):
    first = open_case(services, inv["id"], lines=[("SKU-1", 1)])
    with pytest.raises(Conflict) as refused:
        open_case(services, inv["id"], lines=[("SKU-3", 1)], reason="damaged")
    assert refused.value.extra == {"dispute_id": first} and first in refused.value.detail
    assert [item["id"] for item in api.get("/disputes").json["items"]] == [first]


def test_after_a_case_is_closed_a_new_one_may_be_opened_on_the_rest(api, services, inv):
    first = open_case(services, inv["id"], lines=[("SKU-1", 1)])
    assert respond(api, first, "accept").json["status"] == "decided"
    second = dispute(api, open_case(services, inv["id"], lines=[("SKU-3", 1)], reason="damaged"))
    assert second["status"] == "awaiting_merchant" and second["disputed"] == 2500


# --- who may open a case -------------------------------------------------------------------

def test_a_consumer_cannot_open_a_case_on_someone_elses_invoice(api, services, inv):
    stranger = shipped_invoice(api, consumer=factories.consumer(email="vreemde@example.nl"))
    with pytest.raises(NotFound, match=inv["id"]):
        open_case(services, inv["id"], actor=service.Actor.consumer(consumer_of(services, stranger["id"])))
    assert api.get("/disputes").json["items"] == []
    assert invoice(api, inv["id"])["paused"] is False


def test_the_merchant_cannot_open_a_case(api, services, inv):
    with pytest.raises(Conflict):
        open_case(services, inv["id"], actor=service.Actor.merchant(api.merchant_id))


def test_a_mediator_opens_a_case_for_a_consumer_on_the_phone(api, services, inv):
    dispute_id = open_case(services, inv["id"], actor=MEDIATOR, evidence=[pdf_file()])
    opened = dispute(api, dispute_id)["timeline"][0]
    assert (opened["kind"], opened["party"]) == ("opened", "mediator")
    assert opened["data"]["on_behalf_of_consumer"] is True
    # It is the consumer's case all the same: they see it and can add to it.
    consumer_id = consumer_of(services, inv["id"])
    mine = act(services, service.get_consumer_dispute, consumer_id=consumer_id, dispute_id=dispute_id)
    assert mine.opened_by == "stf_anna" and mine.consumer_id == consumer_id
    by_consumer = dispute(api, open_case(services, shipped_invoice(
        api, consumer=factories.consumer(email="zelf@example.nl"))["id"]))["timeline"][0]
    assert (by_consumer["party"], by_consumer["data"]["on_behalf_of_consumer"]) == ("consumer", False)


# --- what opening does ---------------------------------------------------------------------

def test_opening_pauses_the_invoice_for_the_dispute(api, services, inv):
    dispute_id = open_case(services, inv["id"])
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"], now["pause_reason"]) == ("paused", True, "dispute")
    assert now["pauses"][0]["reference_id"] == dispute_id
    assert (now["balance"], now["credited"], now["due_date"]) == (5399, 0, inv["due_date"])


def test_the_consumer_gets_the_case_mail_but_no_separate_paused_invoice_mail(api, services, inv):
    before = {m.id for m in outbox(services, channel="email")}
    dispute_id = open_case(services, inv["id"])
    new = [m for m in outbox(services, channel="email") if m.id not in before]
    to_consumer = [m for m in new if m.recipient == "sanne.devries@example.nl"]
    assert [m.kind for m in to_consumer] == ["dispute_opened"]
    assert to_consumer[0].invoice_id == inv["id"] and to_consumer[0].subject_id == dispute_id
    assert "invoice_paused" not in [m.kind for m in outbox(services)]


def test_the_merchant_gets_a_webhook_and_an_email_for_every_change(api, services, inv):
    r = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"})
    assert r.status_code == 201, r.json
    endpoint = r.json["id"]
    dispute_id = open_case(services, inv["id"])
    act(services, service.post_message, dispute_id=dispute_id, actor=MEDIATOR, message="We have your case.")
    assert respond(api, dispute_id, "partial_credit", amount=1000).status_code == 201

    events = [e for e in api.get("/events?limit=200").json["items"] if e["type"].startswith("dispute.")]
    assert [e["type"] for e in events] == ["dispute.opened", "dispute.message_posted",
                                           "dispute.merchant_responded", "dispute.decided"]
    hooks = {m.event_id: m for m in outbox(services, channel="webhook") if m.kind.startswith("dispute.")}
    mails = {m.event_id: m for m in outbox(services, kind="dispute_merchant")}
    assert sorted(hooks) == sorted(mails) == sorted(e["id"] for e in events)
    for event in events:
        hook, mail = hooks[event["id"]], mails[event["id"]]
        assert (hook.recipient, hook.kind, hook.payload["data"]["id"]) == (endpoint, event["type"], dispute_id)
        assert (mail.merchant_id, mail.payload["event"], mail.subject_id) == (api.merchant_id, event["type"], dispute_id)
        assert mail.payload["data"] == event["data"]


def test_an_invoice_already_paid_is_disputed_without_a_pause(api, services, inv):
    pay(services, api, inv)
    dispute(api, open_case(services, inv["id"]))
    now = invoice(api, inv["id"])
    assert (now["status"], now["paused"], now["balance"]) == ("paid", False, 0)


def test_opening_records_when_and_the_deadline_on_the_case(api, services, inv, clock):
    clock.advance(hours=3)
    case = dispute(api, open_case(services, inv["id"]))
    assert case["opened_at"] == "2026-11-23T13:00:00+00:00"
    assert datetime.fromisoformat(case["respond_by"]) - datetime.fromisoformat(case["opened_at"]) == timedelta(days=14)
    assert case["timeline"][1]["data"] == {"party": "merchant", "respond_by": case["respond_by"]}


def test_a_line_already_credited_cannot_be_disputed(api, services):
    inv = ship(api, lines=factories.three_lines())
    credit_line(services, api, inv["id"], "SKU-3")
    with pytest.raises(InvalidInput, match="already credited in full"):
        open_case(services, inv["id"], lines=[("SKU-3", 1)])
