"""The consumer portal in a real browser: a consumer signs in with the link from a real
e-mail (sent over SMTP to a sink), sees the purchases of every webshop, downloads an invoice,
pays one at the payment provider, reports a return, opens a dispute and switches language.

The whole journey runs at phone width (360 px); the purchases and the invoice are also shot at
1280 px. Screenshots: test-artifacts/screenshots/test_a_consumer_*-<step>.png.
"""
from __future__ import annotations

import dataclasses
import re
import threading

import pytest
from werkzeug.serving import make_server

from bnpl import i18n
from tests import factories
from tests.browser.conftest import TIMEOUT_MS
from tests.conftest import ApiClient, make_merchant
from tests.notifications.conftest import SmtpServer
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's
from tests.payments.flows import invoice as api_invoice
from tests.payments.flows import ship

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None

EMAIL = factories.consumer()["email"]
SHOP, OTHER_SHOP = "Fietsenwinkel Utrecht", "Boekhandel Groningen"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COMPLAINT = "De atlas kwam aan met een gescheurde kaft en waterschade op elke bladzijde."


# --- a live server whose base_url is its own address, mailing through a real SMTP sink ------

@pytest.fixture
def smtp_sink():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal_server():
    """The live server's socket, bound before the app is built so that the settings' base_url
    (which the sign-in link and the provider's return address use) can name its port."""
    server = make_server("127.0.0.1", 0, None, threaded=True)  # the app is set in live_server
    yield server
    server.server_close()


@pytest.fixture
def settings(settings, portal_server, smtp_sink):
    """The suite's settings, at the live server's address and mailing to the SMTP sink."""
    return dataclasses.replace(settings, base_url=f"http://127.0.0.1:{portal_server.server_port}",
                               smtp_url=smtp_sink.url)


@pytest.fixture
def live_server(portal_server, app, settings):
    portal_server.app = app
    thread = threading.Thread(target=portal_server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield settings.base_url
    finally:
        portal_server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                   has_touch=True, locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


# --- the purchases: two at one webshop, one at another, all for the same e-mail address -----

@pytest.fixture
def purchases(app, services) -> dict:
    shops = {}
    for name in (SHOP, OTHER_SHOP):
        merchant_id, key = make_merchant(services, name)
        shops[name] = ApiClient(app.test_client(), key, merchant_id)
    bike = ship(shops[SHOP], lines=[factories.line("BEL-1", 1, 1299, 21, description="Fietsbel chroom")])
    tyres = ship(shops[SHOP], lines=[factories.line("BAND-28", 2, 2495, 21, description="Buitenband 28 inch"),
                                     factories.line("PLAK-1", 1, 395, 21, description="Plakset")])
    atlas = ship(shops[OTHER_SHOP], lines=[factories.line("ATLAS-1", 1, 4950, 9, description="Bosatlas 56e druk")])
    return {"shops": shops, "pay": bike, "return": tyres, "dispute": atlas}


# --- helpers ---------------------------------------------------------------------------------

def sign_in_mail(smtp_sink):
    """The one sign-in e-mail the SMTP sink received (beside the invoices) and the link in it."""
    found = []
    for message in smtp_sink.messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        found += [(message, link) for link in re.findall(r"https?://\S+/portal/sign-in/[A-Za-z0-9_-]+", text)]
    assert len(found) == 1, [m["Subject"] for m in smtp_sink.messages]
    return found[0]


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def tables_fit(page) -> None:
    """An invoice's tables may scroll inside their box on a narrow phone, but then the amounts
    (the total too) hide at the right edge: they must fit."""
    clipped = page.eval_on_selector_all(".table-wrap", "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth)"
                                                       ".map(b => b.textContent.trim().slice(0, 40))")
    assert not clipped, f"tables wider than a {PHONE['width']} px phone: {clipped}"


def desktop_shot(page, shot, step: str) -> None:
    page.set_viewport_size(DESKTOP)
    shot(page, step)
    page.set_viewport_size(PHONE)


def nl(message: str, **values) -> str:
    """A text of the portal as a Dutch reader sees it (the catalogue's translation, else the source)."""
    text = i18n.translations("nl").gettext(message)
    return text % values if values else text


def amount(cents: int, language: str = "nl") -> str:
    return i18n.format_money(cents, "EUR", language)


def heading(page, text: str, level: int = 1):
    return page.get_by_role("heading", name=text, exact=True, level=level)


def purchase(page, invoice: dict):
    return page.locator(f"#purchase-{invoice['id']}")


# --- the journey -----------------------------------------------------------------------------

def test_a_consumer_signs_in_by_mail_and_arranges_their_purchases_on_a_phone(
        phone, shot, services, smtp_sink, purchases, live_server, tmp_path):
    page = phone
    pay, ret, disputed = purchases["pay"], purchases["return"], purchases["dispute"]
    shops = purchases["shops"]

    # Sign in: ask for a link, which goes out over SMTP; open it; confirm with the button.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/sign-in$"))
    expect(heading(page, nl("Your purchases, payments and returns"))).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "01-sign-in")
    page.get_by_role("textbox", name=nl("E-mail address")).fill(EMAIL)
    page.get_by_role("button", name=nl("E-mail me a sign-in link")).click()
    expect(heading(page, nl("Check your e-mail"))).to_be_visible()
    shot(page, "02-link-sent")

    delivered = deliver_outbox(services)
    assert set(delivered) == {"delivered"}, delivered  # the sign-in link, and the three invoices
    mail, link = sign_in_mail(smtp_sink)
    assert mail["To"] == EMAIL
    assert mail["Subject"] == nl("Your sign-in link for %(provider)s", provider=services.settings.provider.name)
    assert link.startswith(f"{live_server}/portal/sign-in/"), link  # the live server's own address
    page.goto(link)
    expect(heading(page, nl("Sign in"))).to_be_visible()
    shot(page, "03-confirm")
    page.get_by_role("button", name=nl("Sign in and show my purchases")).click()

    # Every purchase, at both webshops.
    expect(page).to_have_url(f"{live_server}/portal/")
    expect(heading(page, nl("My purchases"))).to_be_visible()
    for invoice in (pay, ret, disputed):
        expect(purchase(page, invoice)).to_contain_text(invoice["number"])
    expect(purchase(page, pay)).to_contain_text(SHOP)
    expect(purchase(page, disputed)).to_contain_text(OTHER_SHOP)
    no_sideways_scroll(page)
    shot(page, "04-purchases")
    desktop_shot(page, shot, "04-purchases-1280")

    # One invoice, and its PDF.
    purchase(page, pay).get_by_role("link", name=re.compile(re.escape(pay["number"]))).click()
    expect(heading(page, nl("Invoice %(number)s", number=pay["number"]))).to_be_visible()
    expect(page.locator(".invoice-head")).to_contain_text(SHOP)
    no_sideways_scroll(page)
    tables_fit(page)
    shot(page, "05-invoice")
    desktop_shot(page, shot, "05-invoice-1280")
    pdf = page.request.get(page.get_by_role("link", name=nl("Download the invoice (PDF)")).get_attribute("href"))
    assert pdf.ok, pdf.status
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF"), pdf.body()[:20]

    # Pay at the payment provider (the local test bank) and come back to a paid invoice.
    page.get_by_role("link", name=nl("Pay %(amount)s", amount=amount(pay["balance"]))).click()
    expect(heading(page, nl("Pay invoice %(number)s", number=pay["number"]))).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "06-pay")
    page.get_by_role("button", name=nl("Pay with %(method)s", method=nl("iDEAL"))).click()
    expect(page).to_have_url(re.compile(r"/payments/local/loc_"))
    # The bank speaks its customer's language, as on their invoice (Dutch here).
    expect(page.get_by_role("heading", name=nl("Pay %(shop)s", shop=SHOP))).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "07-provider")
    page.get_by_role("button", name=re.compile("^" + re.escape(nl("Pay %(amount)s", amount="")))).click()
    expect(page).to_have_url(f"{live_server}/portal/invoices/{pay['id']}")
    expect(page.locator(".status-line")).to_have_text(nl("Paid"))
    shot(page, "08-paid")
    assert api_invoice(shops[SHOP], pay["id"])["status"] == "paid"

    # Report a return of one of two tyres: the invoice goes on hold.
    page.get_by_role("link", name=nl("My purchases"), exact=True).click()
    purchase(page, ret).get_by_role("link", name=re.compile(re.escape(ret["number"]))).click()
    page.get_by_role("link", name=nl("Report a return"), exact=True).click()
    expect(heading(page, nl("Report a return"))).to_be_visible()
    page.get_by_label(re.compile(r"^Buitenband 28 inch")).fill("1")
    page.get_by_label(nl("Carrier (optional)")).fill("PostNL")
    page.get_by_label(nl("Tracking code (optional)")).fill("3SBNPL0001234567")
    no_sideways_scroll(page)
    shot(page, "09-return-form")
    page.get_by_role("button", name=nl("Report the return")).click()
    expect(page).to_have_url(f"{live_server}/portal/invoices/{ret['id']}")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(".status-line")).to_have_text(nl("On hold: your return is on its way"))
    no_sideways_scroll(page)
    tables_fit(page)  # two lines, one a long description
    shot(page, "10-returned")
    assert api_invoice(shops[SHOP], ret["id"])["status"] == "paused"

    # Open a dispute about the other webshop's invoice, with a PDF as evidence.
    page.get_by_role("link", name=nl("My purchases"), exact=True).click()
    purchase(page, disputed).get_by_role("link", name=re.compile(re.escape(disputed["number"]))).click()
    expect(page.locator(".invoice-head")).to_contain_text(OTHER_SHOP)
    page.get_by_role("link", name=nl("Something wrong with the order? Open a dispute")).click()
    expect(heading(page, nl("Open a dispute"))).to_be_visible()
    page.get_by_label(nl("What went wrong?")).select_option("damaged")
    page.get_by_label(nl("Tell us what happened")).fill(COMPLAINT)
    page.get_by_label(nl("The day you asked the webshop about it")).fill("2026-11-16")  # a week before NOW
    evidence = tmp_path / "foto-van-de-schade.pdf"
    evidence.write_bytes(EVIDENCE)
    page.get_by_label(nl("Evidence (optional)")).set_input_files(evidence)
    no_sideways_scroll(page)
    shot(page, "11-dispute-form")
    page.get_by_role("button", name=nl("Open the dispute")).click()
    expect(page).to_have_url(re.compile(r"/portal/cases/[^/]+$"))
    expect(heading(page, nl("Your dispute about invoice %(number)s", number=disputed["number"]))).to_be_visible()
    expect(page.get_by_role("status")).to_be_visible()
    timeline = page.get_by_role("region", name=nl("What happened"))
    expect(timeline.get_by_text(COMPLAINT)).to_be_visible()
    expect(timeline.get_by_role("link", name=evidence.name)).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "12-case")
    assert api_invoice(shops[OTHER_SHOP], disputed["id"])["status"] == "paused"

    # Everything in its group; then the same page in English and back in Dutch.
    page.get_by_role("link", name=nl("My purchases"), exact=True).click()
    expect(page.get_by_role("region", name=re.compile(re.escape(nl("On hold"))))).to_contain_text(ret["number"])
    expect(page.get_by_role("region", name=re.compile(re.escape(nl("Settled"))))).to_contain_text(pay["number"])
    no_sideways_scroll(page)
    shot(page, "13-purchases-after")
    assert nl("My purchases") != "My purchases", "the portal's Dutch catalogue lacks its headings"
    page.get_by_role("link", name="English", exact=True).click()
    expect(heading(page, "My purchases")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "14-english")
    page.get_by_role("link", name="Nederlands", exact=True).click()
    expect(heading(page, nl("My purchases"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    shot(page, "15-dutch-again")
