"""The back office speaks Dutch (the installation's default, BNPL_STAFF_LANGUAGE) or English,
the member's choice (?lang=, kept in a cookie): every page, its forms, messages and refusals.
Dutch pages show none of a list of English words; German is not offered (German-speaking staff
read English)."""
from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from sqlalchemy import select

from bnpl.staff.models import StaffMember
from bnpl.support import service as support
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import act, consumer_of, open_case
from tests.payments.flows import ship
from tests.staff.conftest import PASSWORD, StaffBrowser, make_member
from tests.staff.pages import COMPLAINT, QUESTION, every_page, something_on_every_page

# English words no Dutch page may show outside what people typed (names, messages, codes).
ENGLISH = re.compile(r"\b(the|and|with|which|their|your|from|for|this|that|case|cases|webshops?|consumer|invoices?|"
                     r"answer|questions?|deadlines?|overdue|waiting|sign (in|out)|statistics|queue|reasons?|"
                     r"shipment|timeline|decision|left|nothing|only|save|send|show|take|new|not|no|yes|"
                     r"approve|refuse|revoke|unlock|role|when|who|what|kept|missed|asked|credited|"
                     r"disputed|opened|changes?|log|policy|reviews?|limit|order)\b", re.I)


def visible_text(html: str) -> str:
    """What a reader sees: no tags, no codes (<code>: identifiers, as typed), the words."""
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(text).split())


def attributes(html: str) -> str:
    """Texts a screen reader reads out of attributes: labels, titles, placeholders."""
    return " ".join(unescape(value) for value in re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', html))


@pytest.fixture
def everything(services, api, other_api) -> dict:
    return something_on_every_page(services, api, other_api)


def admin_browser(app, services, language):
    make_member(services, "beheer@bnpl.example", role="admin", name="Bea Beheer")
    browser = StaffBrowser(app.test_client(), language=None)
    r = browser.get(f"/staff/login?lang={language}")
    assert r.status_code == 200
    assert browser.login("beheer@bnpl.example", PASSWORD).status_code == 303
    return browser


def pages(browser, everything) -> dict[str, str]:
    call = browser.submit("/staff/cases/new", data={"invoice_number": everything["invoice"]["number"],
                                                     "postcode": "3511 AB"})
    assert call.status_code == 303, call.get_data(as_text=True)
    found = {}
    for path in every_page(everything, call=call.headers["Location"]):
        r = browser.get(path)
        assert r.status_code == 200, (path, r.status_code)
        found[path] = r.get_data(as_text=True)
    return found


def test_every_page_speaks_dutch_by_default(app, services, everything):
    browser = admin_browser(app, services, "nl")
    leftovers = {}
    for path, html in pages(browser, everything).items():
        assert '<html lang="nl">' in html, path
        assert "Uitloggen" in html and "Webwinkels" in html, path
        text = visible_text(html) + " " + attributes(html)
        for data in (COMPLAINT, QUESTION, "Bezorgd bij de buren.", "English"):
            text = text.replace(data, " ")
        if found := sorted({match.group(0) for match in ENGLISH.finditer(text)}):
            leftovers[path] = found
    assert leftovers == {}


def test_every_page_speaks_english_when_chosen(app, services, everything):
    browser = admin_browser(app, services, "en")
    for path, html in pages(browser, everything).items():
        assert '<html lang="en">' in html, path
        assert "Sign out" in html and "Webshops" in html, path


def test_the_sign_in_page_is_dutch_until_english_is_chosen_and_the_choice_is_kept(app, mediator):
    browser = StaffBrowser(app.test_client(), language=None)
    html = browser.get("/staff/login").get_data(as_text=True)
    assert '<html lang="nl">' in html and "Inloggen" in html and "E-mailadres" in html
    assert 'href="/staff/login?lang=en" lang="en"' in html  # the switch, named in its own language

    r = browser.get("/staff/login?lang=en")
    assert "Sign in" in r.get_data(as_text=True)
    assert "bnpl_staff_language=en" in r.headers["Set-Cookie"] and "Path=/staff" in r.headers["Set-Cookie"]
    assert browser.login().status_code == 303
    assert "Sign out" in browser.get("/staff/").get_data(as_text=True)  # kept after signing in
    assert '<html lang="en">' in browser.get("/staff/?lang=de").get_data(as_text=True)  # German is not offered
    assert "Uitloggen" in browser.get("/staff/?lang=nl").get_data(as_text=True)


def test_an_installation_may_start_in_english(app, services, monkeypatch):
    monkeypatch.setattr(services, "settings", replace(services.settings, staff_language="en"))
    html = StaffBrowser(app.test_client(), language=None).get("/staff/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html


def test_messages_refusals_and_field_errors_are_dutch(app, services, mediator, api):
    browser = StaffBrowser(app.test_client(), language=None)
    r = browser.login(password="not the password")
    assert "Het e-mailadres of het wachtwoord klopt niet." in unescape(r.get_data(as_text=True))
    assert browser.login().status_code == 303

    invoice = ship(api)
    r = browser.submit("/staff/cases/new", data={"invoice_number": invoice["number"] + "9", "postcode": "3511 AB"})
    assert r.status_code == 404 and "Niemand past bij deze gegevens." in unescape(r.get_data(as_text=True))

    r = browser.get("/staff/cases/dsp_nothing")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 404 and "<h1>Niet gevonden</h1>" in html and "Geen zaak dsp_nothing." in html

    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), subject=QUESTION,
                 message="Ik heb betaald.")
    r = browser.submit(f"/staff/questions/{thread.id}", f"/staff/questions/{thread.id}/answer", {"answer-message": ""})
    assert r.status_code == 422 and "Dit veld is vereist." in r.get_data(as_text=True)
    r = browser.submit(f"/staff/questions/{thread.id}", f"/staff/questions/{thread.id}/answer",
                       {"answer-message": "Het pakket is onderweg."}, follow_redirects=True)
    assert "Antwoord verstuurd." in r.get_data(as_text=True)

    browser.submit("/staff/", "/staff/logout")
    assert "Je bent uitgelogd." in browser.get("/staff/login").get_data(as_text=True)


def test_amounts_and_numbers_are_written_the_dutch_way(app, services, mediator, api):
    invoice = ship(api, lines=factories.three_lines())
    case_id = open_case(services, invoice["id"], description=COMPLAINT)
    browser = StaffBrowser(app.test_client(), language=None)
    browser.login()
    assert "€\xa053,99" in browser.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert "100,00" in browser.get("/staff/statistics").get_data(as_text=True)  # cases per 100 invoices


# --- the member's language, kept on the account -------------------------------------------

def test_a_members_choice_follows_them_to_another_browser_and_session(app, services, mediator):
    first = StaffBrowser(app.test_client(), language=None)
    assert first.login().status_code == 303
    assert "Uitloggen" in first.get("/staff/").get_data(as_text=True)  # the default, nothing chosen yet
    assert "Sign out" in first.get("/staff/?lang=en").get_data(as_text=True)

    second = StaffBrowser(app.test_client(), language=None)  # another computer: no cookie
    assert "Inloggen" in second.get("/staff/login").get_data(as_text=True)  # not signed in: the default
    assert second.login().status_code == 303
    r = second.get("/staff/")
    assert '<html lang="en">' in r.get_data(as_text=True) and "Sign out" in r.get_data(as_text=True)
    assert "bnpl_staff_language=en" in r.headers["Set-Cookie"]  # so its sign-in page speaks it too

    assert "Uitloggen" in second.get("/staff/statistics?lang=nl").get_data(as_text=True)
    assert "Uitloggen" in first.get("/staff/").get_data(as_text=True)  # its cookie still says en
    first.submit("/staff/", "/staff/logout")
    assert first.login().status_code == 303  # a new session
    assert '<html lang="nl">' in first.get("/staff/questions").get_data(as_text=True)


def test_a_choice_on_the_sign_in_page_is_kept_in_the_browser_only(app, services, mediator):
    browser = StaffBrowser(app.test_client(), language=None)
    assert "Sign in" in browser.get("/staff/login?lang=en").get_data(as_text=True)
    with unit_of_work(services) as uow:
        assert uow.session.scalar(select(StaffMember.language)) is None
    assert browser.login().status_code == 303
    assert "Sign out" in browser.get("/staff/").get_data(as_text=True)  # the cookie, until the member chooses
