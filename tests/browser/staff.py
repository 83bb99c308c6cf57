"""Signing a staff member in to the back office in Chromium, for the browser tests of its pages."""
from __future__ import annotations

from bnpl.staff import service as staff
from bnpl.uow import unit_of_work
from tests.browser.conftest import TIMEOUT_MS

PASSWORD = "correct horse battery"


def staff_page(chromium, live_server, services, *, email="anna@bnpl.example", name="Anna de Vries",
               role="mediator", language="en", width=1280, height=800, bypass_csp=False):
    """A new browser context with a member of this role signed in, reading the back office in
    ``language``: (context, page). bypass_csp lets a test inject axe-core (the back office runs
    no script of its own)."""
    with unit_of_work(services) as uow:
        staff.create_member(uow, email=email, name=name, role=role, password=PASSWORD)
    context = chromium.new_context(base_url=live_server, bypass_csp=bypass_csp, timezone_id="Europe/Amsterdam",
                                   locale={"nl": "nl-NL"}.get(language, "en-GB"),  # how date fields read
                                   viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"/staff/login?lang={language}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/staff/login" not in url)
    return context, page
