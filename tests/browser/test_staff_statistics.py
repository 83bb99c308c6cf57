"""The back office's statistics at 1280 × 800 in Chromium, in Dutch and English: the disputes
table fits the page, so "deadlines missed" and the median first answer are read without a
sideways scroll; so does the table of promises kept per channel and week below it."""
from __future__ import annotations

import pytest

from bnpl.support import service as support
from tests.browser.staff import staff_page
from tests.conftest import ApiClient, make_merchant
from tests.disputes.cases import act, consumer_of, open_case
from tests.payments.flows import ship

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None

SHOPS = ("Fietsenwinkel Utrecht en Omstreken B.V.", "Boekhandel Groningen")


@pytest.fixture
def cases(app, services):
    for name in SHOPS:
        merchant_id, key = make_merchant(services, name)
        shop = ApiClient(app.test_client(), key, merchant_id)
        for _ in range(2):
            invoice_id = ship(shop)["id"]
            dispute_id = open_case(services, invoice_id)
        answer = {"message": "Delivered to the neighbours, see the carrier's photo.", "proposal": "reject"}
        assert shop.post(f"/disputes/{dispute_id}/responses", json=answer).status_code == 201  # a median
    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice_id),
                 subject="Waar blijft mijn pakket?", message="Ik heb nog niets ontvangen.")
    act(services, support.answer, thread_id=thread.id, staff_id="stf_anna", staff_name="Anna", message="Morgen.")


def overflow(page) -> list[str]:
    """What is wider than the room it has: the page, or a table in its scrolling wrapper."""
    return page.evaluate("""() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
        .filter(el => el.scrollWidth > el.clientWidth)
        .map(el => `${el.className || el.tagName}: ${el.scrollWidth} > ${el.clientWidth}`)""")


COLUMNS = {"nl": ("Termijnen gemist", "Mediaan eerste antwoord"), "en": ("Deadlines missed", "Median first answer")}
PROMISE_COLUMNS = {"nl": ("Kanaal", "Deel nagekomen", "Mediaan eerste antwoord"),
                   "en": ("Channel", "Share kept", "Median first answer")}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_statistics_fit_1280_pixels(chromium, live_server, services, cases, shot, language):
    context, page = staff_page(chromium, live_server, services, language=language, width=1280, height=800)
    try:
        page.goto("/staff/statistics")
        table = page.locator("table").first
        for column in COLUMNS[language]:
            header = table.get_by_role("columnheader", name=column)
            expect(header).to_be_in_viewport(ratio=1)
        for name in SHOPS:
            row = table.get_by_role("row").filter(has_text=name)
            expect(row.locator("td").last).to_be_in_viewport(ratio=1)  # the median of this shop's row
        promises = page.locator("table.promises")
        promises.scroll_into_view_if_needed()
        for column in PROMISE_COLUMNS[language]:
            expect(promises.get_by_role("columnheader", name=column)).to_be_in_viewport(ratio=1)
        expect(promises.get_by_role("row").nth(1).locator("td").last).to_be_in_viewport(ratio=1)  # its median
        assert overflow(page) == []
        shot(page, "1280")
    finally:
        context.close()
