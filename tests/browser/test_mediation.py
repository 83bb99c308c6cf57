"""Issue 8: a mediator works a case in a real browser, from signing in to a decision that
credits the invoice, as the merchant API then shows."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from bnpl.staff import service as staff
from bnpl.uow import unit_of_work
from tests.conftest import ApiClient, make_merchant
from tests.disputes.cases import open_case
from tests.payments.flows import ship

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None

SHOP = "Kookwinkel De Pollepel"
EMAIL, PASSWORD = "anna@bnpl.example", "correct horse battery"
COMPLAINT = "The parcel never arrived at my address."
ANSWER = "Our carrier says it was delivered; we have no signature for it."
REASONS = "The webshop could not show a signature or a photo of the delivery, so the consumer is credited."


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    # The production argon2 parameters cost about a second a hash on a slow machine.
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def mediator(services) -> str:
    with unit_of_work(services) as uow:
        return staff.create_member(uow, email=EMAIL, name="Anna de Vries", role="mediator", password=PASSWORD).id


@pytest.fixture
def shop(app, services) -> ApiClient:
    merchant_id, key = make_merchant(services, SHOP)
    return ApiClient(app.test_client(), key, merchant_id)


@pytest.fixture
def case(shop, services) -> dict:
    """A shipped invoice whose consumer says the parcel never came; the webshop rejects."""
    invoice = ship(shop)
    dispute_id = open_case(services, invoice["id"], description=COMPLAINT)
    r = shop.post(f"/disputes/{dispute_id}/responses", json={"message": ANSWER, "proposal": "reject"})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "in_review", r.json
    return {"id": dispute_id, "invoice": invoice}


def sign_in(page, email=EMAIL, password=PASSWORD):
    page.goto("/staff/login?lang=en")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def fact(scope, term: str):
    """The <dd> of a <dt> in a list of facts."""
    return scope.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


def test_a_mediator_reads_the_timeline_and_credits_the_consumer(page, shot, shop, case, mediator):
    invoice = case["invoice"]

    sign_in(page)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=invoice["number"])
    expect(row).to_contain_text(SHOP)
    expect(row).to_contain_text("In review")
    shot(page, "queue")

    row.get_by_role("link", name=invoice["number"]).click()
    expect(page).to_have_url(re.compile(f"/staff/cases/{case['id']}$"))
    expect(page.get_by_role("heading", name=SHOP, level=1)).to_be_visible()
    timeline = page.get_by_role("region", name=re.compile("^Timeline"))
    expect(timeline.get_by_text(COMPLAINT).first).to_be_visible()
    answer = timeline.get_by_role("listitem").filter(has_text=ANSWER)
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("The webshop answered: rejects the claim")
    shot(page, "case")

    decide = page.get_by_role("region", name="Decide", exact=True)
    decide.get_by_label("For the consumer").check()
    decide.get_by_label("Reasons", exact=True).fill(REASONS)
    shot(page, "decision-form")
    decide.get_by_role("button", name=re.compile(r"^Decide for ")).click()

    expect(page.get_by_role("status")).to_have_text("Decision saved.")
    expect(fact(page.locator(".case-head"), "Status")).to_have_text("Decided")
    decision = page.get_by_role("region", name="Decision", exact=True)
    expect(decision).to_be_visible()
    expect(fact(decision, "Outcome")).to_have_text("For the consumer: credit the disputed amount")
    expect(fact(decision, "Credited")).to_have_text(re.compile(r"€\s?19[.,]99"))
    expect(decision.get_by_text(REASONS)).to_be_visible()
    expect(decide).to_have_count(0)  # nothing left to decide
    shot(page, "decision")

    credited = shop.get(f"/invoices/{invoice['id']}")
    assert credited.status_code == 200, credited.json
    assert credited.json["status"] == "credited", credited.json
    dispute = shop.get(f"/disputes/{case['id']}").json
    assert dispute["status"] == "decided", dispute


def test_the_sign_in_page_fits_a_phone_and_says_when_the_password_is_wrong(page, shot, mediator):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/staff/login?lang=en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "phone")

    sign_in(page, password="not the password at all")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(staff.WRONG_CREDENTIALS)
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    expect(page.get_by_label("E-mail address")).to_have_value(EMAIL)  # kept, to try again
    expect(page.get_by_label("Password")).to_have_value("")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "wrong-password")
