"""Phone intake: the caller is found by invoice number and confirmed by a second fact they
state (postcode or birth date) before anything of theirs is shown; a wrong digit in the number
can never reach another consumer at another webshop."""
from __future__ import annotations

from html import unescape

import pytest

from bnpl.disputes.models import Dispute
from tests import factories
from tests.disputes.cases import ASKED_SHOP_ON
from tests.payments.flows import invoice as read_invoice, ship
from tests.staff.conftest import PASSWORD, StaffBrowser, make_member

PIETER = factories.consumer(email="pieter.bakker@example.nl", name="Pieter Bakker", birth_date="1980-04-02")
PIETERS_ADDRESS = factories.address(postal_code="9711 AA", city="Groningen", house_number="7")


@pytest.fixture
def sannes(api) -> dict:
    """The caller's own invoice at Fietsenwinkel Utrecht (postcode 3511 AB)."""
    return ship(api, consumer=factories.consumer(birth_date="1990-06-15"))


@pytest.fixture
def pieters(other_api, sannes) -> dict:
    """A stranger's invoice at Boekhandel Groningen, issued right after: its number differs by a digit."""
    return ship(other_api, consumer=PIETER, billing_address=PIETERS_ADDRESS)


def call(browser, number, **fact) -> tuple[int, str, str | None]:
    """The member types what the caller says on the intake form: status, page, where it leads."""
    r = browser.submit("/staff/cases/new", data={
        "invoice_number": number, **fact,
        # what the old form took in one go; the intake must not act on it
        "reason": "damaged", "description": "The frame was bent when the parcel arrived.",
        "contacted_merchant_on": ASKED_SHOP_ON.isoformat()})
    return r.status_code, unescape(r.get_data(as_text=True)), r.headers.get("Location")


def disputes_on(services, invoice_id) -> list:
    with services.sessionmaker() as session:
        return session.query(Dispute).filter_by(invoice_id=invoice_id).all()


def test_a_wrong_digit_with_the_callers_own_postcode_shows_nothing_of_the_other_consumer(
        signed_in, services, other_api, sannes, pieters):
    status, html, location = call(signed_in, pieters["number"], postcode="3511 AB")
    assert status == 404 and location is None
    assert "Nobody matches" in html
    for secret in ("Pieter", "Bakker", "Boekhandel", "Groningen", "9711"):
        assert secret not in html
    assert disputes_on(services, pieters["id"]) == []
    assert read_invoice(other_api, pieters["id"])["paused"] in (False, None)


def test_the_right_number_with_a_wrong_fact_shows_nothing_either(signed_in, services, sannes, pieters):
    for fact in ({"postcode": "9711 AA"}, {"birth_date": "1980-04-02"}, {}):
        status, html, _ = call(signed_in, sannes["number"], **fact)
        assert status in (404, 422) and "Sanne" not in html and "Fietsenwinkel" not in html
    assert disputes_on(services, sannes["id"]) == []


@pytest.mark.parametrize("fact", [{"postcode": "3511ab"}, {"birth_date": "1990-06-15"}])
def test_a_confirmed_caller_sees_the_webshop_in_a_banner_and_buttons_name_both(signed_in, services, sannes, fact):
    status, _, location = call(signed_in, sannes["number"], **fact)
    assert status == 303 and "/staff/intake/" in location
    html = unescape(signed_in.get(location).get_data(as_text=True))
    assert 'class="tenant-banner"' in html and "Fietsenwinkel Utrecht" in html
    assert "Open a case for Sanne de Vries at Fietsenwinkel Utrecht" in html
    assert disputes_on(services, sannes["id"]) == []  # finding the caller opens nothing


def test_a_case_is_opened_only_from_a_confirmed_intake(signed_in, services, api, sannes):
    _, _, location = call(signed_in, sannes["number"], postcode="3511 AB")
    r = signed_in.submit(location, f"{location}/case", {
        "reason": "damaged", "description": "The frame was bent when the parcel arrived.",
        "contacted_merchant_on": ASKED_SHOP_ON.isoformat()})
    assert r.status_code == 303, r.get_data(as_text=True)
    [dispute] = disputes_on(services, sannes["id"])
    assert r.headers["Location"].endswith(f"/staff/cases/{dispute.id}")
    assert api.get(f"/disputes/{dispute.id}").json["status"] == "awaiting_merchant"


def test_another_member_cannot_use_someone_elses_intake(app, services, signed_in, sannes):
    _, _, location = call(signed_in, sannes["number"], postcode="3511 AB")
    make_member(services, "bram@bnpl.example", name="Bram Jansen")
    other = StaffBrowser(app.test_client())
    assert other.login("bram@bnpl.example", PASSWORD).status_code == 303
    r = other.get(location)
    assert r.status_code == 404 and "Sanne" not in r.get_data(as_text=True)


def test_lookups_are_limited_per_member(signed_in, sannes):
    statuses = [call(signed_in, "2026-999999", postcode="3511 AB")[0] for _ in range(11)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429
    # the limit holds for right answers too: it is the looking that is counted
    assert call(signed_in, sannes["number"], postcode="3511 AB")[0] == 429


# --- found by e-mail address or phone number ---------------------------------------------

def find(browser, **fields) -> tuple[int, str, str | None]:
    r = browser.submit("/staff/cases/new", data=fields)
    return r.status_code, unescape(r.get_data(as_text=True)), r.headers.get("Location")


def test_by_e_mail_the_confirmed_callers_invoices_at_each_webshop_are_offered(signed_in, other_api, sannes, pieters):
    elsewhere = ship(other_api, consumer=factories.consumer(birth_date="1990-06-15"))
    status, _, location = find(signed_in, email="Sanne.deVries@example.nl ", postcode="3511AB")
    assert status == 303
    html = unescape(signed_in.get(location).get_data(as_text=True))
    assert sannes["number"] in html and elsewhere["number"] in html
    assert "Fietsenwinkel Utrecht" in html and "Boekhandel Groningen" in html
    assert pieters["number"] not in html and "Pieter" not in html
    r = signed_in.submit(location, f"{location}/invoice", {"invoice_id": elsewhere["id"]})
    assert r.status_code == 303
    html = unescape(signed_in.get(r.headers["Location"]).get_data(as_text=True))
    assert "Open a case for Sanne de Vries at Boekhandel Groningen" in html


def test_an_invoice_that_was_not_offered_cannot_be_chosen(signed_in, sannes, pieters):
    _, _, location = find(signed_in, email="sanne.devries@example.nl", postcode="3511 AB")
    r = signed_in.submit(location, f"{location}/invoice", {"invoice_id": pieters["id"]})
    assert r.status_code == 404 and "Pieter" not in r.get_data(as_text=True)


def test_by_e_mail_with_someone_elses_postcode_shows_nothing(signed_in, sannes, pieters):
    status, html, location = find(signed_in, email="sanne.devries@example.nl", postcode="9711 AA")
    assert status == 404 and location is None and "Nobody matches" in html
    assert "Sanne de Vries" not in html and "Fietsenwinkel" not in html


def test_by_phone_and_birth_date_one_invoice_opens_the_call(signed_in, api, pieters):
    own = ship(api, consumer=factories.consumer(email="sanne@werk.example.nl", phone="06 12345678",
                                                birth_date="1990-06-15"))
    status, _, location = find(signed_in, phone="+31 6 1234 5678", birth_date="1990-06-15")
    assert status == 303
    html = unescape(signed_in.get(location).get_data(as_text=True))
    assert 'class="tenant-banner"' in html and own["number"] in html
    assert "Open a case for Sanne de Vries at Fietsenwinkel Utrecht" in html


def test_one_way_of_finding_at_a_time(signed_in, sannes):
    status, html, _ = find(signed_in, invoice_number=sannes["number"], email="sanne.devries@example.nl",
                           postcode="3511 AB")
    assert status == 422 and "Sanne de Vries" not in html


# --- notes from the call ---------------------------------------------------------------------

def test_a_note_from_the_call_becomes_part_of_the_callers_thread(signed_in, services, sannes):
    from bnpl.support import service as support
    from tests.disputes.cases import act, consumer_of
    asked = act(services, support.ask, consumer_id=consumer_of(services, sannes["id"]), invoice_id=sannes["id"],
                subject="Where is my parcel?", message="Nothing arrived yet.")
    _, _, location = call(signed_in, sannes["number"], postcode="3511 AB")
    html = unescape(signed_in.get(location).get_data(as_text=True))
    assert "Save the note for Sanne de Vries at Fietsenwinkel Utrecht" in html
    r = signed_in.submit(location, f"{location}/note", {"note-message": "Called: the parcel is at the neighbours."})
    assert r.status_code == 303, r.get_data(as_text=True)
    thread = act(services, support.thread_page, thread_id=asked.id).thread
    assert thread.messages[-1].body == "Called: the parcel is at the neighbours."
    assert thread.messages[-1].party == "staff" and thread.status == "answered"


def test_a_note_without_an_earlier_question_starts_a_thread_of_the_call(signed_in, services, sannes):
    from bnpl.support import service as support
    from tests.disputes.cases import act, consumer_of
    _, _, location = call(signed_in, sannes["number"], postcode="3511 AB")
    signed_in.submit(location, f"{location}/note", {"note-message": "Asked how to pay; explained the QR code."})
    [thread] = act(services, support.consumer_threads, consumer_id=consumer_of(services, sannes["id"]))
    assert (thread.channel, thread.invoice_id, thread.status) == ("phone", sannes["id"], "answered")
    assert act(services, support.queue) == []  # the call answered it


def test_the_case_page_keeps_the_webshop_and_consumer_in_a_fixed_banner(signed_in, services, sannes):
    from tests.disputes.cases import open_case
    case_id = open_case(services, sannes["id"])
    html = unescape(signed_in.get(f"/staff/cases/{case_id}").get_data(as_text=True))
    banner = html.split('class="tenant-banner"', 1)[1].split("</p>", 1)[0]
    assert "Fietsenwinkel Utrecht" in banner and "Sanne de Vries" in banner and sannes["number"] in banner
