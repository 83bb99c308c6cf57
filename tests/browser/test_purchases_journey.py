"""Issue 17 in a real browser, at phone width and on a desktop: a consumer with purchases at two
webshops in every state reads what they owe and when (the agenda), sees an order not sent yet
and a cancelled one in words, a plan's next instalment, switches the notice before the due date
off, and takes the agenda into their calendar. Screenshots:
test-artifacts/screenshots/test_a_consumer_reads_*-<step>.png."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests import factories
from tests.browser.test_spending_room import sign_in_path
from tests.payments.flows import ship

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None


def test_a_consumer_reads_what_they_owe_and_when_on_a_phone_and_a_desktop(page, shot, api, other_api, services):
    planned = ship(api, lines=[factories.line("BIKE-7", 1, 30000, 21, "Kinderfiets 16 inch")])
    ship(other_api, lines=[factories.line("BOOK-1", 1, 2495, 9, "Atlas van Nederland")])
    api.post("/orders", json=factories.order(merchant_reference="WEB-COMING",
                                             lines=[factories.line("LAMP-2", 2, 1495, 21, "Fietslamp")]))
    cancelled = api.post("/orders", json=factories.order(merchant_reference="WEB-GONE")).json
    api.post(f"/orders/{cancelled['id']}/cancellations", json={})
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(sign_in_path(services) + "?lang=nl")
    page.get_by_role("button", name="Inloggen en mijn aankopen tonen").click()
    page.goto(f"/portal/invoices/{planned['id']}/plan?instalments=3")
    page.get_by_role("button", name="Deze betalingsregeling starten").click()
    page.goto("/portal/")

    agenda = page.locator("section.agenda")
    expect(agenda.get_by_role("heading", name="Wat u wanneer betaalt")).to_be_visible()
    expect(agenda).to_contain_text("Termijn van € 100,00 voor Fietsenwinkel Utrecht")
    expect(agenda).to_contain_text("Betaal € 24,95 aan Boekhandel Groningen")
    expect(page.locator("#ordered-h")).to_have_text(re.compile("Besteld, nog niet verzonden"))
    expect(page.get_by_text("Nog niet verzonden: u betaalt pas na levering")).to_be_visible()
    expect(page.get_by_text("Geannuleerd: u betaalt niets")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Volgende termijn: €\s100,00"))).to_be_visible()
    shot(page, "phone")

    page.get_by_role("button", name="Stop deze e-mails").click()
    expect(page.get_by_role("status").or_(page.locator(".flash"))).to_contain_text("niet meer")
    page.get_by_role("button", name="Zet in mijn agenda").click()
    address = page.get_by_label("Of kopieer het adres").input_value()
    assert urlsplit(address).path.endswith(".ics")
    shot(page, "calendar")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/portal/")
    shot(page, "desktop")
    assert refused == []
