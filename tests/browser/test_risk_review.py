"""Issue 15: a member of the risk staff answers a consumer's request for a human review in a
real browser, from their own queue to a decision with written reasons, under the strict CSP."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from bnpl.staff import service as staff
from bnpl.uow import unit_of_work
from tests.conftest import ApiClient, make_merchant
from tests.staff.test_reviews import declined_with_review

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None

SHOP = "Kookwinkel De Pollepel"
EMAIL, PASSWORD = "rita@bnpl.example", "correct horse battery"
REASONS = "The hand-over is still open with the collection agency, so the decision stands for now."


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def reviewer(services) -> str:
    with unit_of_work(services) as uow:
        return staff.create_member(uow, email=EMAIL, name="Rita Bakker", role="risk", password=PASSWORD).id


@pytest.fixture
def shop(app, services) -> ApiClient:
    merchant_id, key = make_merchant(services, SHOP)
    return ApiClient(app.test_client(), key, merchant_id)


def test_risk_staff_upholds_a_decline_with_written_reasons(page, shot, shop, services, reviewer):
    made = declined_with_review(shop, services, message="I paid the collection agency last week.")
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)

    page.goto("/staff/login?lang=en")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/reviews$"))  # risk staff start at their own queue
    expect(page.get_by_role("link", name="New case")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="Sanne de Vries")
    expect(row).to_contain_text(SHOP)
    shot(page, "queue")

    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/staff/reviews/{made['review_id']}$"))
    expect(page.get_by_role("heading", name=SHOP, level=1)).to_be_visible()
    expect(page.get_by_text("I paid the collection agency last week.")).to_be_visible()
    expect(page.get_by_text("Replay check: the same outcome.")).to_be_visible()
    shot(page, "case")

    page.get_by_label("Uphold: the decision stands").check()
    page.get_by_role("textbox", name=re.compile("^Reasons")).fill(REASONS)
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("status")).to_have_text("Review decided; the consumer is e-mailed and the webshop told.")
    expect(page.get_by_role("heading", name=re.compile("^Upheld on"))).to_be_visible()
    expect(page.get_by_text(REASONS)).to_be_visible()
    shot(page, "decided")
    assert shop.get(f"/orders/{made['order']['id']}").json["status"] == "declined"
    assert refused == []
