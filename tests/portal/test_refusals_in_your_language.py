"""Why a case cannot be opened or added to reads in the consumer's own language on the portal:
the webshop has not had its working days yet, a case about the invoice is already running, the
invoice is credited in full, the case is closed. The disputes service says each with
bnpl.i18n.said: the page translates the sentence's template and fills in its parts (a date as
the reader writes it, a status in words), while the webshop's API, logs and mails get the
English sentence exactly as before."""
from __future__ import annotations

from datetime import date

import pytest

from bnpl.disputes import service as disputes
from bnpl.errors import Conflict
from tests.disputes.cases import act, consumer_of, open_case
from tests.portal.conftest import text
from tests.portal.test_actions import action, dispute_form

TOO_EARLY = {
    "nl": "Geef de webwinkel tot 27 november 2026 om u te antwoorden (5 werkdagen na de dag waarop u het vroeg). "
          "Is het dan nog niet opgelost, open hier dan een geschil.",
    "de": "Bitte geben Sie dem Onlineshop bis zum 27. November 2026 Zeit, Ihnen zu antworten (5 Werktage ab dem Tag "
          "Ihrer Anfrage). Ist es bis dahin nicht gelöst, eröffnen Sie hier einen Streitfall.",
    "en": "Please give the webshop until 27 November 2026 to answer you (5 working days from the day you asked). "
          "If they have not solved it by then, open a case here.",
}


def open_on_the_portal(browser, invoice, language: str, **changes):
    """The consumer fills in the dispute form on a page in ``language`` (asked for in the address, then kept)."""
    page = f"{action(invoice['id'], 'dispute')}?lang={language}"
    return browser.submit(page, action(invoice["id"], "dispute"), dispute_form(**changes))


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_too_early_for_a_case_says_until_when_in_the_readers_language(signed_in, api, invoice, language):
    r = open_on_the_portal(signed_in, invoice, language, **{"dispute-contacted_merchant_on": "2026-11-20"})
    assert r.status_code == 409
    assert TOO_EARLY[language] in text(r)
    assert api.get("/disputes").json["items"] == []


def test_too_early_stays_english_with_an_iso_date_for_the_api_and_the_logs(services, invoice):
    with pytest.raises(Conflict) as refused:
        open_case(services, invoice["id"], contacted=date(2026, 11, 20))
    assert refused.value.detail == ("Please give the webshop until 2026-11-27 to answer you (5 working days from the "
                                    "day you asked). If they have not solved it by then, open a case here.")
    assert refused.value.extra == {"open_from": "2026-11-27"}


def test_a_case_already_running_is_named_in_dutch(signed_in, services, invoice):
    case_id = open_case(services, invoice["id"])
    r = open_on_the_portal(signed_in, invoice, "nl")
    assert r.status_code == 409
    assert f"Er loopt al een geschil over factuur {invoice['number']} ({case_id}); vul dat aan." in text(r)


def test_a_case_already_running_is_named_in_german(signed_in, services, invoice):
    case_id = open_case(services, invoice["id"])
    r = open_on_the_portal(signed_in, invoice, "de")
    assert r.status_code == 409
    assert f"Zur Rechnung {invoice['number']} läuft bereits ein Streitfall ({case_id}); ergänzen Sie diesen." in text(r)


def test_a_fully_credited_invoice_cannot_be_disputed_said_in_dutch(signed_in, api, invoice):
    assert api.post(f"/invoices/{invoice['id']}/credits",
                    json={"amount": invoice["total"], "reason": "goodwill"}).status_code == 201
    r = open_on_the_portal(signed_in, invoice, "nl")
    assert r.status_code == 409
    assert f"Factuur {invoice['number']} is volledig gecrediteerd: er valt niets meer te betwisten." in text(r)


def test_a_closed_case_reads_dutch_to_the_consumer_and_english_to_the_webshop(signed_in, services, api, invoice):
    case_id = open_case(services, invoice["id"])
    act(services, disputes.withdraw, consumer_id=consumer_of(services, invoice["id"]), dispute_id=case_id)

    r = signed_in.submit(f"/portal/cases/{case_id}?lang=nl", f"/portal/cases/{case_id}/reply",
                         {"reply-message": "Het pakket is toch nog gekomen, maar kapot."})
    assert r.status_code == 409
    assert "Dit geschil is al ingetrokken; er kan niets meer bij." in text(r)

    answer = api.post(f"/disputes/{case_id}/responses", json={"message": "Noted.", "proposal": "reject"})
    assert answer.status_code == 409
    assert answer.json["detail"] == "This case is already withdrawn; nothing can be added."
