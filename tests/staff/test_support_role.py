"""The support role (`bnpl staff create EMAIL --role support`): takes calls and answers
questions; deciding disputes stays with mediators."""
import pytest

from bnpl.support import service as support
from tests.disputes.cases import act, consumer_of, open_case
from tests.payments.flows import ship
from tests.staff.conftest import PASSWORD, StaffBrowser, make_member


@pytest.fixture
def desk(app, services) -> StaffBrowser:
    make_member(services, "sam@bnpl.example", name="Sam Support", role="support")
    browser = StaffBrowser(app.test_client())
    r = browser.login("sam@bnpl.example", PASSWORD)
    assert r.status_code == 303, r.get_data(as_text=True)
    return browser


def test_support_starts_at_the_questions_and_takes_calls(desk, services, api):
    invoice = ship(api)
    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), subject="Where is it?",
                 message="Nothing arrived.")
    assert desk.get("/staff/").headers["Location"].endswith("/staff/questions")
    assert desk.get(f"/staff/questions/{thread.id}").status_code == 200
    r = desk.submit("/staff/cases/new", data={"invoice_number": invoice["number"], "postcode": "3511 AB"})
    assert r.status_code == 303
    call = r.headers["Location"]
    html = desk.get(call).get_data(as_text=True)
    assert "Save the note for" in html and "Open a case for" not in html
    assert desk.submit(call, f"{call}/note", {"note-message": "Explained where the parcel is."}).status_code == 303


def test_support_does_not_decide_disputes(desk, services, api):
    invoice = ship(api)
    case_id = open_case(services, invoice["id"])
    assert desk.get(f"/staff/cases/{case_id}").status_code == 403
    r = desk.submit("/staff/cases/new", data={"invoice_number": invoice["number"], "postcode": "3511 AB"})
    call = r.headers["Location"]
    assert desk.submit(call, f"{call}/note", {"note-message": "x"}).status_code in (303, 422)
    r = desk.submit(call, f"{call}/case", {"reason": "damaged", "description": "The frame was bent badly.",
                                           "contacted_merchant_on": "2026-11-16"})
    assert r.status_code == 403
