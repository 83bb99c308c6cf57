"""What a service refuses reads Dutch on a Dutch staff page: the evidence a caller's case
carries, a second case after a decision, a webshop taken on with wrong details, a change refused
without a reason, a webshop approved without its legal details, statistics over too long a
period. The services say it in English (bnpl.i18n.said: the API and its webshops read it as
before); the page translates the sentence's template and fills in its parts."""
from __future__ import annotations

import re
from html import unescape
from io import BytesIO

import pytest
from flask import g

from bnpl.i18n import said
from bnpl.staff import words
from tests.disputes.cases import ASKED_SHOP_ON, open_case, shipped_invoice
from tests.disputes.support import decide, rejected
from tests.staff.conftest import StaffBrowser, csrf_token, make_member
from tests.staff.test_admin_pages import ONBOARDING
from tests.staff.test_reviews import REASONS, declined_with_review

ADMIN = "erik@bnpl.example"


@pytest.fixture
def dutch(app, services) -> StaffBrowser:
    """An admin (who may do everything) reading the back office in Dutch, the default."""
    make_member(services, ADMIN, role="admin", name="Erik Admin")
    browser = StaffBrowser(app.test_client(), language=None)
    assert browser.login(ADMIN).status_code == 303
    return browser


def shown(response) -> str:
    """The page's text as read: tags out, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def open_by_phone(browser, invoice, **data):
    r = browser.submit("/staff/cases/new", data={"invoice_number": invoice["number"], "postcode": "3511 AB"})
    assert r.status_code == 303, shown(r)
    call = r.headers["Location"]
    return browser.submit(call, f"{call}/case", {"reason": "damaged", "description": "Het frame was verbogen.",
                                                 "contacted_merchant_on": ASKED_SHOP_ON.isoformat(), **data},
                          content_type="multipart/form-data")


def test_a_file_that_is_not_evidence(dutch, api):
    r = open_by_phone(dutch, shipped_invoice(api), evidence=(BytesIO(b"<html><script>alert(1)</script>"), "photo.jpg"))
    assert r.status_code == 422
    assert "photo.jpg: dit soort bestand accepteren wij niet; stuur een pdf, JPEG, PNG of WebP." in shown(r)
    assert "this is not a file" not in shown(r) and "evidence.0" not in shown(r)


def test_a_second_case_after_a_decision(dutch, api, services):
    invoice = shipped_invoice(api)
    first = open_case(services, invoice["id"])
    rejected(api, first)
    decide(services, first, "merchant")
    r = open_by_phone(dutch, invoice)
    assert r.status_code == 422
    assert re.search(rf"Over factuur {invoice['number']} is op \d{{4}}-\d\d-\d\d een beslissing genomen\. "
                     r"Vertel wat er sindsdien nieuw is \(minstens \d+ tekens\)", shown(r)), shown(r)


def test_a_webshop_taken_on_with_wrong_details(dutch):
    r = dutch.submit("/staff/merchants/new", data={**ONBOARDING, "vat_number": "NL123", "postal_code": "ABC"})
    assert r.status_code == 422, shown(r)
    page = shown(r)
    assert "Geen geldig EU-btw-nummer (controleer het landvoorvoegsel en de cijfers)." in page
    assert "Geen Nederlandse postcode; die ziet eruit als 1234 AB." in page
    r = dutch.submit("/staff/merchants/new", data={**ONBOARDING, "country": "XX"})
    assert "Geen geldige landcode zoals NL of BE." in shown(r)
    r = dutch.submit("/staff/merchants/new", data={**ONBOARDING, "email": "info-at-ezelsoor"})
    assert r.status_code == 422 and "Geen geldig e-mailadres." in shown(r)


def test_a_change_refused_without_a_reason(dutch, api):
    change_id = api.patch("/merchant", json={"payout_iban": "NL91ABNA0417164300"}).json["pending_changes"][0]["id"]
    r = dutch.submit("/staff/changes", f"/staff/changes/{change_id}/decision",
                     {f"{change_id}-outcome": "refuse", f"{change_id}-reason": ""})
    assert r.status_code == 422
    assert "Zeg waarom de wijziging wordt geweigerd: de webwinkel leest het." in shown(r)


def test_a_change_decided_twice(dutch, api):
    change_id = api.patch("/merchant", json={"order_limit": 400_000}).json["pending_changes"][0]["id"]
    token = csrf_token(dutch.get("/staff/changes").get_data(as_text=True))
    decision = {"csrf_token": token, f"{change_id}-outcome": "approve", f"{change_id}-reason": ""}
    assert dutch.client.post(f"/staff/changes/{change_id}/decision", data=decision).status_code == 303
    r = dutch.client.post(f"/staff/changes/{change_id}/decision", data={**decision, f"{change_id}-outcome": "refuse",
                                                                          f"{change_id}-reason": "Te hoog."})
    assert r.status_code == 409
    assert f"Het wijzigingsverzoek {change_id} is al goedgekeurd; het kan niet meer worden geweigerd." in shown(r)
    assert api.get("/merchant").json["order_limit"] == 400_000


def test_a_webshop_approved_without_its_legal_details(dutch, api):
    r = dutch.submit(f"/staff/merchants/{api.merchant_id}", f"/staff/merchants/{api.merchant_id}/approval")
    assert r.status_code == 409
    assert "Een zakelijke factuur noemt de verkoper: stel eerst legal_name, address, vat_number in" in shown(r)


def test_a_review_with_too_short_reasons_decided_twice_or_unknown(dutch, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    form = f"/staff/reviews/{review_id}"
    r = dutch.submit(form, f"{form}/decision", {"decision-outcome": "uphold", "decision-reasons": "Nee."})
    assert r.status_code == 422 and "Schrijf minstens 20 tekens die de consument kan volgen." in shown(r)
    token = csrf_token(dutch.get(form).get_data(as_text=True))
    assert dutch.submit(form, f"{form}/decision", {"decision-outcome": "uphold",
                                                   "decision-reasons": REASONS}).status_code == 303
    r = dutch.client.post(f"{form}/decision", data={"csrf_token": token, "decision-outcome": "change",
                                                    "decision-reasons": REASONS})
    assert r.status_code == 409 and "Deze herbeoordeling is al gehandhaafd." in shown(r)
    r = dutch.get("/staff/reviews/rvw_nope")
    assert r.status_code == 404 and "Geen herbeoordeling rvw_nope." in shown(r)


def test_statistics_over_more_than_a_year(dutch):
    r = dutch.get("/staff/statistics?since=2024-01-01&until=2026-01-01")
    assert r.status_code == 422
    assert "Van hoogstens 366 dagen vóór de einddatum, en niet erna." in shown(r)


def test_a_said_sentence_is_translated_as_it_was_made_and_stays_english_elsewhere(app):
    line = said("Line %(reference)s is named twice.", reference=repr("SKU-1"))
    assert line == "Line 'SKU-1' is named twice."  # what the API sends
    with app.test_request_context("/staff/"):
        g.language = "nl"
        assert words.refusal(line) == "Regel SKU-1 staat er twee keer in."
        g.language = "en"
        assert words.refusal(line) == "Line SKU-1 is named twice."


def test_the_api_keeps_its_english_sentences(api):
    r = api.patch("/merchant", json={"payout_iban": "NL00XXXX0000000000"})
    assert r.status_code == 422 and r.json["errors"]["payout_iban"][0].startswith("Not a valid IBAN: ")


# --- a phone call (bnpl/support) ---------------------------------------------------------

def test_a_caller_nobody_matches_and_then_too_many_lookups(dutch):
    def look_up():
        return dutch.submit("/staff/cases/new", data={"invoice_number": "2026-999999", "postcode": "3511 AB"})

    r = look_up()
    assert r.status_code == 404
    assert "Niemand past bij deze gegevens. Lees de beller voor wat je hebt getypt" in shown(r)
    for _ in range(9):
        look_up()
    r = look_up()
    assert r.status_code == 429
    assert re.search(r"Je zocht 10 bellers op in de afgelopen \d+ minuten; probeer het over \d+ minuten opnieuw, "
                     r"of vraag een collega\.", shown(r)), shown(r)


def test_a_call_that_is_not_there_any_more(dutch):
    r = dutch.get("/staff/intake/itk_nope")
    assert r.status_code == 404 and "Geen gesprek itk_nope: zoek de beller opnieuw." in shown(r)


def test_a_webshop_asking_for_a_conversation_that_is_not_its_own_reads_english(api):
    r = api.get("/conversations/thr_nope")
    assert r.status_code == 404 and r.json["detail"] == "No conversation thr_nope."


# --- a case (bnpl/disputes) --------------------------------------------------------------

def test_a_case_that_is_not_there(dutch):
    r = dutch.get("/staff/cases/dsp_nope")
    assert r.status_code == 404 and "Geen zaak dsp_nope." in shown(r)
