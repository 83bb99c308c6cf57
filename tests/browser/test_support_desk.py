"""Issue 18 in Chromium: a staff member takes a call (a wrong digit finds nobody; the right
number and the caller's postcode show the webshop in a fixed banner), answers a consumer's
question from the queue; and axe-core finds no serious or critical violation on these pages."""
from __future__ import annotations

import json
import re

import pytest
from argon2 import PasswordHasher

from bnpl.staff import service as staff
from bnpl.support import service as support
from bnpl.uow import unit_of_work
from tests import factories
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_accessibility import axe_source, violations
from tests.disputes.cases import act, consumer_of
from tests.payments.flows import ship

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None

EMAIL, PASSWORD = "anna@bnpl.example", "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def desk(chromium, live_server, services):
    with unit_of_work(services) as uow:
        staff.create_member(uow, email=EMAIL, name="Anna de Vries", role="mediator", password=PASSWORD)
    # bypass_csp: axe is the test's script, not the page's (the back office runs none).
    context = chromium.new_context(base_url=live_server, bypass_csp=True, timezone_id="Europe/Amsterdam",
                                   viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/staff/login?lang=en")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    yield page
    context.close()


def test_a_call_a_question_and_no_serious_accessibility_violation(desk, shot, api, other_api, services):
    page, source = desk, axe_source()
    own = ship(api)
    stranger = ship(other_api, consumer=factories.consumer(email="pieter@example.nl", name="Pieter Bakker"),
                    billing_address=factories.address(postal_code="9711 AA", city="Groningen"))
    checked = {}

    page.get_by_role("link", name="New case").click()
    checked["intake"] = violations(page, source)
    page.get_by_label("Invoice number").fill(stranger["number"])  # the caller misread one digit
    page.get_by_label("Postcode the caller states").fill("3511 AB")
    page.get_by_role("button", name="Find the caller").click()
    expect(page.get_by_role("alert")).to_contain_text("Nobody matches")
    expect(page.get_by_text("Pieter")).to_have_count(0)
    shot(page, "intake-nobody")

    page.get_by_label("Invoice number").fill(own["number"])
    page.get_by_role("button", name="Find the caller").click()
    expect(page.locator(".tenant-banner")).to_contain_text("Fietsenwinkel Utrecht")
    expect(page.get_by_role("button", name="Open a case for Sanne de Vries at Fietsenwinkel Utrecht")).to_be_visible()
    checked["call"] = violations(page, source)
    shot(page, "intake-confirmed")

    act(services, support.ask, consumer_id=consumer_of(services, own["id"]), invoice_id=own["id"],
        subject="Where is my parcel?", message="I paid but nothing arrived yet.")
    page.get_by_role("link", name="Questions").click()
    expect(page.get_by_role("row").filter(has_text="Where is my parcel?")).to_contain_text("8 h left")
    checked["questions"] = violations(page, source)
    shot(page, "questions")
    page.get_by_role("link", name="Where is my parcel?").click()
    page.get_by_label(re.compile("^Your answer")).fill("Your parcel is with the carrier and arrives tomorrow.")
    checked["question"] = violations(page, source)
    page.get_by_role("button", name="Send the answer to Sanne de Vries about Fietsenwinkel Utrecht").click()
    expect(page.get_by_role("status")).to_have_text("Answer sent.")
    shot(page, "answered")

    assert {name: bad for name, bad in checked.items() if bad} == {}, json.dumps(checked, indent=1)
