"""The dunning read API (what was sent for an invoice, the letter's PDF) and the merchant's
own dunning policy (GET /dunning-policy, PUT and DELETE /dunning-policy/{customer_type})."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bnpl.db import new_id
from bnpl.dunning.jobs import run_dunning
from bnpl.dunning.models import DunningStep
from bnpl.documents.models import Document
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments.flows import invoice, ship
from tests.dunning.passes import daily

FAKE_PDF = b"%PDF-1.7\n% a letter\n%%EOF\n"


def put(api, path, json):
    return api.client.put("/api/v1" + path, json=json, headers={"Authorization": f"Bearer {api.key}"})


def delete(api, path):
    return api.client.delete("/api/v1" + path, headers={"Authorization": f"Bearer {api.key}"})


def walk(services, inv: dict, days: int) -> None:
    """Dunning every day from the due date for `days` days."""
    due = date.fromisoformat(inv["due_date"])
    for day in range(days + 1):
        daily(services, due + timedelta(days=day))


def store_letter(services, step: dict, merchant_id: str) -> None:
    """What the renderer does once it has rendered a letter: one stored document."""
    with unit_of_work(services) as uow:
        uow.session.add(Document(
            id=new_id("doc"), merchant_id=merchant_id, livemode=False, subject_type="letter",
            subject_id=step["id"], fingerprint="f" * 64, language="nl", media_type="application/pdf", profile="pdf",
            sha256=hashlib.sha256(FAKE_PDF).hexdigest(), size=len(FAKE_PDF), content=FAKE_PDF, created_at=uow.now()))


def own_policy(**changes) -> dict:
    """The default consumer policy with the reminder a day after the due date."""
    policy = {"levels": [
        {"name": "reminder", "after_days": 1, "template": "dunning_reminder"},
        {"name": "fourteen_day_letter", "after_days": 14, "template": "dunning_letter", "letter": True},
        {"name": "collection_costs", "after_days": 1, "counts_from": "deadline", "template": "dunning_costs",
         "charges": ["collection_costs", "interest"]},
    ]}
    return {**policy, **changes}


# --- GET /invoices/{id}/dunning -------------------------------------------------------------------

def test_an_invoice_not_yet_chased_has_no_steps_and_the_default_policy(api):
    inv = ship(api)
    r = api.get(f"/invoices/{inv['id']}/dunning")
    assert r.status_code == 200, r.json
    assert (r.json["invoice_id"], r.json["dunning_level"], r.json["steps"]) == (inv["id"], 0, [])
    assert r.json["customer_type"] == "consumer"
    policy = r.json["policy"]
    assert (policy["default"], policy["customer_type"], policy["cost_rule"]) == (True, "consumer", "wik")
    assert [level["name"] for level in policy["levels"]] == ["reminder", "fourteen_day_letter",
                                                             "collection_costs", "handover"]


def test_the_steps_taken_show_what_was_sent_when_and_for_how_much(api, services):
    inv = ship(api)
    walk(services, inv, 30)
    r = api.get(f"/invoices/{inv['id']}/dunning").json
    due = date.fromisoformat(inv["due_date"])
    reminder, letter, costs = r["steps"]
    assert (reminder["level"], reminder["name"], reminder["channel"]) == (1, "reminder", "email")
    assert reminder["sent_on"] == (due + timedelta(days=3)).isoformat()
    assert (reminder["balance"], reminder["costs"], reminder["letter"], reminder["pdf_url"]) == (1999, 0, False, None)
    assert (letter["name"], letter["costs"], letter["letter"], letter["pdf_stored"]) == (
        "fourteen_day_letter", 4000, True, False)  # states the costs that would follow
    assert letter["deadline"] and letter["pdf_url"] == f"/api/v1/invoices/{inv['id']}/dunning/{letter['id']}/pdf"
    assert (costs["name"], costs["costs"], costs["deadline"]) == ("collection_costs", 4000, None)
    assert costs["balance"] == invoice(api, inv["id"])["balance"]
    assert r["dunning_level"] == 3


def test_a_letters_pdf_is_served_once_stored_and_a_clear_404_before(api, services):
    inv = ship(api)
    walk(services, inv, 14)
    letter = api.get(f"/invoices/{inv['id']}/dunning").json["steps"][1]
    r = api.get(f"/invoices/{inv['id']}/dunning/{letter['id']}/pdf")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json["type"] == "/problems/not-rendered-yet" and "not rendered yet" in r.json["detail"]

    store_letter(services, letter, api.merchant_id)
    assert api.get(f"/invoices/{inv['id']}/dunning").json["steps"][1]["pdf_stored"] is True
    r = api.get(letter["pdf_url"].removeprefix("/api/v1"))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf" and r.data == FAKE_PDF
    cached = api.get(letter["pdf_url"].removeprefix("/api/v1"), headers={"If-None-Match": r.headers["ETag"]})
    assert cached.status_code == 304


def test_only_letters_have_a_pdf_and_only_the_invoices_own_steps(api, services):
    inv, other = ship(api), ship(api)
    walk(services, inv, 14)
    reminder, letter = api.get(f"/invoices/{inv['id']}/dunning").json["steps"]
    not_a_letter = api.get(f"/invoices/{inv['id']}/dunning/{reminder['id']}/pdf")
    assert not_a_letter.status_code == 404 and "not a letter" in not_a_letter.json["detail"]
    assert api.get(f"/invoices/{inv['id']}/dunning/dun_missing/pdf").status_code == 404
    assert api.get(f"/invoices/{other['id']}/dunning/{letter['id']}/pdf").status_code == 404


def test_a_business_invoice_follows_the_business_policy(api):
    factories.give_legal_details(api)  # a business invoice needs them
    inv = ship(api, consumer=factories.consumer(type="business", company_name="Fietsen BV"))
    r = api.get(f"/invoices/{inv['id']}/dunning").json
    assert (r["customer_type"], r["policy"]["customer_type"], r["policy"]["cost_rule"]) == (
        "business", "business", "business_flat")


def test_another_merchant_sees_neither_the_steps_nor_the_letters(api, other_api, services):
    inv = ship(api)
    walk(services, inv, 14)
    letter = api.get(f"/invoices/{inv['id']}/dunning").json["steps"][1]
    store_letter(services, letter, api.merchant_id)
    for path in (f"/invoices/{inv['id']}/dunning", f"/invoices/{inv['id']}/dunning/{letter['id']}/pdf"):
        r = other_api.get(path)
        assert r.status_code == 404 and r.json["detail"] == f"No invoice {inv['id']}."
    assert other_api.get("/invoices/inv_missing/dunning").status_code == 404


# --- the merchant's dunning policy -------------------------------------------------------------------

def test_without_an_own_policy_the_defaults_apply(api):
    r = api.get("/dunning-policy")
    assert r.status_code == 200
    assert (r.json["consumer"]["default"], r.json["business"]["default"]) == (True, True)
    assert r.json["consumer"]["cost_scale"]["minimum_cents"] == 4000
    assert r.json["business"]["interest"] == "commercial" and r.json["consumer"]["updated_at"] is None


def test_an_own_policy_is_stored_shown_and_followed_by_the_next_run(api, services):
    r = put(api, "/dunning-policy/consumer", own_policy(minimum_balance_cents=500))
    assert r.status_code == 200, r.json
    assert (r.json["default"], r.json["customer_type"], r.json["minimum_balance_cents"]) == (False, "consumer", 500)
    assert r.json["updated_at"] == "2026-11-23T10:00:00+00:00"
    assert [level["counts_from"] for level in r.json["levels"]] == ["due", "due", "deadline"]  # defaults filled in
    listed = api.get("/dunning-policy").json
    assert listed["consumer"] == r.json and listed["business"]["default"] is True

    inv = ship(api)
    assert api.get(f"/invoices/{inv['id']}/dunning").json["policy"] == r.json
    due = date.fromisoformat(inv["due_date"])
    assert run_dunning(services, as_of=due + timedelta(days=1), stale_statements="warn").taken == {"reminder": 1}


def test_putting_again_replaces_and_deleting_goes_back_to_the_default(api):
    put(api, "/dunning-policy/consumer", own_policy())
    again = put(api, "/dunning-policy/consumer", own_policy(minimum_balance_cents=0))
    assert again.status_code == 200 and again.json["minimum_balance_cents"] == 0
    r = delete(api, "/dunning-policy/consumer")
    assert r.status_code == 200 and r.json["default"] is True and len(r.json["levels"]) == 4
    assert api.get("/dunning-policy").json["consumer"]["default"] is True
    assert delete(api, "/dunning-policy/consumer").status_code == 200  # nothing left to delete: still the default


def test_a_business_policy_may_charge_the_flat_costs_at_once(api):
    policy = {"cost_rule": "business_flat", "interest": "commercial", "levels": [
        {"name": "collection_costs", "after_days": 7, "channel": "post", "charges": ["collection_costs", "interest"]},
        {"name": "handover", "after_days": 14, "counts_from": "sent", "final": True, "template": None}]}
    r = put(api, "/dunning-policy/business", policy)
    assert r.status_code == 200, r.json
    assert r.json["levels"][0]["channel"] == "post" and r.json["levels"][1]["template"] is None


@pytest.mark.parametrize("policy, reason", [
    (own_policy(levels=[{"name": "costs", "after_days": 1, "charges": ["collection_costs"]}]),
     "consumers owe collection costs only after a 14-day letter's deadline"),
    (own_policy(levels=[{"name": "reminder", "after_days": 3, "counts_from": "sent"}]),
     "the first level counts from the due date"),
    (own_policy(levels=[{"name": "handover", "after_days": 3, "final": True}, {"name": "reminder", "after_days": 3}]),
     "the hand-over is the last level"),
    (own_policy(cost_scale={"bands": [{"up_to_cents": 1000, "rate_bp": 100}], "minimum_cents": 0,
                            "maximum_cents": 100}),
     "open-ended"),
])
def test_an_unlawful_or_inconsistent_policy_is_a_422_with_the_reason(api, policy, reason):
    r = put(api, "/dunning-policy/consumer", policy)
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert reason in r.json["detail"] and reason in r.json["errors"]["_schema"][0]
    assert api.get("/dunning-policy").json["consumer"]["default"] is True


@pytest.mark.parametrize("change, field", [
    ({"levels": []}, "levels"),
    ({"levels": "reminder"}, "levels"),
    ({"colour": "red"}, "colour"),
    ({"cost_rule": "whatever"}, "cost_rule"),
    ({"minimum_balance_cents": 1.5}, "minimum_balance_cents"),
    ({"minimum_balance_cents": -1}, "minimum_balance_cents"),
])
def test_a_malformed_policy_is_a_422_naming_the_field(api, change, field):
    r = put(api, "/dunning-policy/consumer", own_policy(**change))
    assert r.status_code == 422 and field in r.json["errors"], r.json


@pytest.mark.parametrize("level_change, field", [
    ({"after_days": "3"}, "levels.0.after_days"),
    ({"after_days": -1}, "levels.0.after_days"),
    ({"counts_from": "yesterday"}, "levels.0.counts_from"),
    ({"channel": "pigeon"}, "levels.0.channel"),
    ({"template": "my_own_mail"}, "levels.0.template"),
    ({"charges": ["penalty"]}, "levels.0.charges.0"),
    ({"letter": "yes"}, "levels.0.letter"),
    ({"name": ""}, "levels.0.name"),
    ({"name": "x" * 31}, "levels.0.name"),
    ({"sound": "loud"}, "levels.0.sound"),
])
def test_a_malformed_level_is_a_422_naming_it(api, level_change, field):
    policy = own_policy()
    policy["levels"][0].update(level_change)
    r = put(api, "/dunning-policy/consumer", policy)
    assert r.status_code == 422 and field in r.json["errors"], r.json


def test_only_consumer_and_business_have_a_policy(api):
    r = put(api, "/dunning-policy/robots", own_policy())
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"


def test_a_merchants_policy_is_its_own(api, other_api, services):
    put(api, "/dunning-policy/consumer", own_policy())
    assert other_api.get("/dunning-policy").json["consumer"]["default"] is True
    delete(other_api, "/dunning-policy/consumer")
    assert api.get("/dunning-policy").json["consumer"]["default"] is False
    with services.sessionmaker() as session:
        assert session.scalars(select(DunningStep)).all() == []
