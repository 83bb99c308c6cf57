"""Every portal page a consumer reaches, checked by axe-core (Deque's rules, WCAG 2.1 A and AA)
in Chromium at phone and desktop width: no serious or critical violation. axe-core comes from
the npm registry (scripts/axe-core, which `make test` runs) and is injected by the test only:
the pages themselves run no script under their CSP."""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import factories
from tests.browser.conftest import ROOT, TIMEOUT_MS
from tests.browser.test_spending_room import sign_in_path
from tests.payments.flows import ship

AXE = ROOT / ".cache" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def axe_source() -> str:
    if not AXE.exists():
        message = "axe-core is missing: run scripts/axe-core (make test does)."
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text()


def violations(page, source: str) -> list[dict]:
    page.evaluate(source)
    found = page.evaluate("""async () => (await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in found if v["impact"] in SERIOUS]


@pytest.fixture
def axe_page(chromium, live_server):
    # The portal's CSP forbids every script; axe is the test's, not the page's.
    context = chromium.new_context(base_url=live_server, bypass_csp=True, locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_every_portal_page_has_no_serious_accessibility_violation(axe_page, api, other_api, services, shot):
    source = axe_source()
    invoice = ship(api, lines=factories.three_lines())
    ship(other_api)
    api.post("/orders", json=factories.order(merchant_reference="WEB-NOT-SENT"))  # an order card too
    page = axe_page
    page.goto(sign_in_path(services) + "?lang=nl")
    page.get_by_role("button", name="Inloggen en mijn aankopen tonen").click()
    pages = ["/portal/", f"/portal/invoices/{invoice['id']}", f"/portal/invoices/{invoice['id']}/pay",
             f"/portal/invoices/{invoice['id']}/return", f"/portal/invoices/{invoice['id']}/extension",
             f"/portal/invoices/{invoice['id']}/plan?instalments=3", f"/portal/invoices/{invoice['id']}/dispute",
             "/portal/address", "/portal/room", "/portal/help"]
    found = {}
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            assert page.goto(path).status == 200, path
            if bad := violations(page, source):
                found[f"{path} at {width}px"] = bad
        shot(page, f"help-{width}")
    assert found == {}, json.dumps(found, indent=1)


def test_the_sign_in_pages_have_no_serious_accessibility_violation(axe_page):
    source = axe_source()
    found = {}
    for path in ("/portal/sign-in", "/portal/sign-in?lang=en", "/portal/help"):
        axe_page.goto(path)
        if bad := violations(axe_page, source):
            found[path] = bad
    assert found == {}, json.dumps(found, indent=1)
