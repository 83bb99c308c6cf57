"""Every page of the back office, in Dutch and in English, checked by axe-core (WCAG 2.1 A and
AA) in Chromium at 1280 px: no serious or critical violation. An admin reaches them all; the
pages carry a case the webshop answered, a question, a phone call, a credit review and a change
waiting (tests/staff/pages.py)."""
from __future__ import annotations

import json

import pytest

from tests.browser.staff import staff_page
from tests.browser.test_accessibility import axe_source, violations
from tests.staff.pages import every_page, something_on_every_page


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_staff_page_has_no_serious_accessibility_violation(chromium, live_server, services, api, other_api,
                                                                 shot, language):
    source = axe_source()
    made = something_on_every_page(services, api, other_api)
    context, page = staff_page(chromium, live_server, services, role="admin", language=language, bypass_csp=True)
    try:
        found = {"/staff/login": None}
        page.goto("/staff/cases/new")
        page.locator("input[name=invoice_number]").fill(made["invoice"]["number"])
        page.locator("input[name=postcode]").fill("3511 AB")
        page.locator("form.panel button[type=submit]").click()
        page.wait_for_url("**/staff/intake/**")
        for path in every_page(made, call=page.url.split(live_server, 1)[1]):
            assert page.goto(path).status == 200, path
            assert page.locator("html").get_attribute("lang") == language, path
            found[path] = violations(page, source)
        shot(page, f"audit-{language}")
        page.goto("/staff/cases/dsp_nothing")  # an error page
        found["error page"] = violations(page, source)
        page.locator("form.signout button").click()
        page.wait_for_url("**/staff/login")
        found["/staff/login"] = violations(page, source)
        bad = {path: problems for path, problems in found.items() if problems}
        assert bad == {}, json.dumps(bad, indent=1)
    finally:
        context.close()
