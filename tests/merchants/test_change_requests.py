"""Settings that move the provider's money (order limit, invoice term, transit days, payout
IBAN) are requests: a provider admin approves or refuses them, the old value holds meanwhile,
the merchant is mailed of each step, and a new payout IBAN waits out a cooling-off."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bnpl.audit import service as audit
from bnpl.errors import DomainError
from bnpl.merchants import changes
from bnpl.notifications.models import OutboxMessage
from bnpl.settlements import service as settlements
from bnpl.uow import unit_of_work
from tests import factories

CONTACT = "finance@fietsenwinkel.example"
NEW_IBAN = "NL91ABNA0417164300"


@pytest.fixture
def shop(api):
    assert api.patch("/merchant", json={"email": CONTACT}).status_code == 200
    return api


def decide(services, change_id, *, approve=True, reason="checked by phone with the owner"):
    with unit_of_work(services) as uow:
        return changes.decide(uow, change_id=change_id, approve=approve, reason=reason,
                              decided_by="staff Erik (admin)").status


def merchant_mails(services) -> list[dict]:
    with unit_of_work(services) as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "merchant_change")).all()
        # In the order of their events (evt_<seq>): under the test's fixed clock every mail has the
        # same created_at, and PostgreSQL returns equal rows in any order.
        rows = sorted(rows, key=lambda m: int(m.event_id.removeprefix("evt_")))
        return [{**m.payload["data"], "recipient": m.recipient, "event": m.payload["event"]} for m in rows]


def test_a_higher_order_limit_waits_for_an_admin_and_the_old_one_holds(shop):
    before = shop.get("/merchant").json["order_limit"]
    answer = shop.patch("/merchant", json={"order_limit": 400_000})
    assert answer.status_code == 202, answer.json
    assert answer.json["order_limit"] == before
    [pending] = shop.get("/merchant").json["pending_changes"]
    assert pending | {"id": None} == {"id": None, "object": "merchant_change", "setting": "order_limit",
                                      "from": before, "to": 400_000, "status": "pending",
                                      "requested_at": "2026-11-23T10:00:00+00:00", "effective_at": None,
                                      "reason": None}
    big = factories.order(lines=[factories.line(unit_price=before + 100)])
    assert shop.post("/orders", json=big).json["status"] == "declined"


def test_approved_the_new_value_applies_and_the_merchant_is_told_each_step(shop, services):
    change_id = shop.patch("/merchant", json={"invoice_term_days": 30}).json["pending_changes"][0]["id"]
    assert decide(services, change_id) == "approved"
    assert shop.get("/merchant").json["invoice_term_days"] == 30
    assert shop.get("/merchant").json["pending_changes"] == []
    mails = merchant_mails(services)
    assert [(m["recipient"], m["event"], m["setting"]) for m in mails] == [
        (CONTACT, "merchant.change_requested", "invoice_term_days"),
        (CONTACT, "merchant.change_approved", "invoice_term_days")]


def test_refused_with_a_reason_the_old_value_stays_and_the_reason_is_mailed(shop, services):
    change_id = shop.patch("/merchant", json={"transit_days": 10}).json["pending_changes"][0]["id"]
    assert decide(services, change_id, approve=False, reason="Your parcels arrive in two days.") == "refused"
    assert shop.get("/merchant").json["transit_days"] == 2
    assert merchant_mails(services)[-1]["reason"] == "Your parcels arrive in two days."


def test_a_refusal_needs_a_reason(shop, services):
    change_id = shop.patch("/merchant", json={"transit_days": 10}).json["pending_changes"][0]["id"]
    with pytest.raises(DomainError) as refused:
        decide(services, change_id, approve=False, reason="  ")
    assert refused.value.status == 422


def test_a_decided_change_cannot_be_decided_again(shop, services):
    change_id = shop.patch("/merchant", json={"transit_days": 10}).json["pending_changes"][0]["id"]
    decide(services, change_id)
    with pytest.raises(DomainError) as again:
        decide(services, change_id, approve=False)
    assert again.value.status == 409


def test_a_new_request_replaces_the_pending_one_for_the_same_setting(shop, services):
    first = shop.patch("/merchant", json={"order_limit": 300_000}).json["pending_changes"][0]["id"]
    pending = shop.patch("/merchant", json={"order_limit": 350_000}).json["pending_changes"]
    assert [(p["setting"], p["to"]) for p in pending] == [("order_limit", 350_000)]
    with pytest.raises(DomainError):
        decide(services, first)


@pytest.mark.parametrize("body, field, says", [
    ({"order_limit": 100_000_000}, "order_limit", "€5,000.00"),
    ({"invoice_term_days": 120}, "invoice_term_days", "from 7 to 60"),
    ({"transit_days": 30}, "transit_days", "from 0 to 14"),
])
def test_the_installations_ceilings_are_a_clear_422(shop, body, field, says):
    answer = shop.patch("/merchant", json=body)
    assert answer.status_code == 422, answer.json
    assert says in " ".join(answer.json["errors"][field])
    assert shop.get("/merchant").json["pending_changes"] == []


def test_the_ceiling_is_configuration(services, app, shop, monkeypatch):
    from dataclasses import replace
    services.settings = replace(services.settings, max_order_limit_cents=10_000_000)
    assert shop.patch("/merchant", json={"order_limit": 9_000_000}).status_code == 202


def test_settings_that_move_no_money_still_change_at_once(shop):
    answer = shop.patch("/merchant", json={"return_pause_days": 10, "legal_name": "Fietsenwinkel B.V."})
    assert answer.status_code == 200
    assert answer.json["return_pause_days"] == 10 and answer.json["pending_changes"] == []


def test_every_request_and_decision_is_in_the_audit_log(shop, services):
    change_id = shop.patch("/merchant", json={"order_limit": 300_000}).json["pending_changes"][0]["id"]
    decide(services, change_id, approve=False, reason="no trading history yet")
    with unit_of_work(services) as uow:
        logged = [(e.action, e.actor.split(" ")[0], e.data.get("setting")) for e in
                  reversed(audit.entries(uow, merchant_id=shop.merchant_id))]
    assert logged == [("merchant.created", "operator", None),
                      ("merchant.settings_changed", "merchant", None),  # the contact address
                      ("merchant.change_requested", "merchant", "order_limit_cents"),
                      ("merchant.change_refused", "staff", "order_limit_cents")]


# --- the payout IBAN: approval, then a cooling-off -----------------------------------------

def test_a_new_payout_iban_is_paid_to_only_after_approval_and_three_days(shop, services, clock):
    answer = shop.patch("/merchant", json={"payout_iban": "NL91 ABNA 0417 1643 00"})
    assert answer.status_code == 202 and answer.json["payout_iban"] is None
    decide(services, answer.json["pending_changes"][0]["id"])
    account = shop.get("/merchant").json
    assert account["payout_iban"] is None
    assert [(p["setting"], p["to"], p["status"], p["effective_at"]) for p in account["pending_changes"]] == [
        ("payout_iban", NEW_IBAN, "approved", "2026-11-26T10:00:00+00:00")]
    ship_one(shop)
    clock.advance(days=1)
    assert settle(services, date(2026, 11, 1), date(2026, 11, 23)).payout_iban is None  # the old one
    clock.advance(days=2)
    assert shop.get("/merchant").json["payout_iban"] == NEW_IBAN
    assert shop.get("/merchant").json["pending_changes"] == []
    ship_one(shop)
    clock.advance(days=1)
    assert settle(services, date(2026, 11, 24), date(2026, 11, 26)).payout_iban == NEW_IBAN


def ship_one(api):
    order = api.post("/orders", json=factories.order()).json
    assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201


def settle(services, start, end):
    with unit_of_work(services) as uow:
        [settlement] = settlements.settle_period(uow, period_start=start, period_end=end)
        return settlement


def test_another_iban_asked_for_during_the_cooling_off_waits_for_an_admin_too(shop, services):
    first = shop.patch("/merchant", json={"payout_iban": NEW_IBAN}).json["pending_changes"][0]["id"]
    decide(services, first)
    answer = shop.patch("/merchant", json={"payout_iban": "DE89370400440532013000"})
    assert answer.status_code == 202
    assert [(p["to"], p["status"]) for p in answer.json["pending_changes"]] == [
        ("DE89370400440532013000", "pending"), (NEW_IBAN, "approved")]
    assert shop.patch("/merchant", json={"payout_iban": NEW_IBAN}).status_code == 200  # what is coming anyway
