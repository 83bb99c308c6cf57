"""The case pages: the queue, one case with its forms, a case opened by phone, statistics."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from bnpl.support import service as support
from tests import factories
from tests.disputes.cases import ASKED_SHOP_ON, PDF, consumer_of, open_case, pdf_file
from tests.disputes.cases import act as act_on
from tests.payments.flows import ship
from tests.staff.conftest import PASSWORD, StaffBrowser, make_member


@pytest.fixture
def invoice(api) -> dict:
    return ship(api)


@pytest.fixture
def case_id(services, invoice) -> str:
    return open_case(services, invoice["id"], evidence=[pdf_file("delivery-note.pdf")])


def page(browser, path) -> str:
    r = browser.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return unescape(r.get_data(as_text=True))


def act(browser, case_id, action, data):
    """Send one of the case page's forms as the page has it."""
    return browser.submit(f"/staff/cases/{case_id}", f"/staff/cases/{case_id}/{action}", data)


def merchant_timeline(api, case_id) -> list[dict]:
    r = api.get(f"/disputes/{case_id}")
    assert r.status_code == 200, r.json
    return r.json["timeline"]


def second_mediator(app, services) -> StaffBrowser:
    make_member(services, "bram@bnpl.example", name="Bram Jansen")
    browser = StaffBrowser(app.test_client())
    assert browser.login("bram@bnpl.example", PASSWORD).status_code == 303
    return browser


# --- the queue ----------------------------------------------------------------------------

def test_the_queue_names_the_webshop_consumer_amount_and_status_of_every_case(signed_in, case_id, invoice):
    html = page(signed_in, "/staff/")
    assert "Fietsenwinkel Utrecht" in html and "Sanne de Vries" in html
    assert invoice["number"] in html and "€19.99" in html
    assert "Waiting for the webshop" in html and "Not received" in html
    assert f'href="/staff/cases/{case_id}"' in html
    assert "Overdue" not in html


def test_the_queue_is_sorted_by_deadline_and_marks_overdue_cases_in_words(signed_in, services, api, other_api, clock):
    first = ship(api)
    early = open_case(services, first["id"])
    clock.advance(days=3)
    later = open_case(services, ship(other_api)["id"])
    clock.advance(days=12)  # past the webshop's 14 days for the first case only
    signed_in.login()  # the sign-in of 15 days ago has run out
    html = page(signed_in, "/staff/")
    assert html.index(f"/staff/cases/{early}") < html.index(f"/staff/cases/{later}")
    rows = re.findall(r"<tr( class=\"overdue\")?>(.*?)</tr>", html, re.S)
    marked = [row for cls, row in rows if cls]
    assert len(marked) == 1 and "Overdue" in marked[0] and first["number"] in marked[0]
    assert "Boekhandel Groningen" in html


def test_closed_cases_show_only_when_asked(signed_in, services, case_id, api):
    api.post(f"/disputes/{case_id}/responses", json={"message": "We agree, sorry.", "proposal": "accept"})
    assert f"/staff/cases/{case_id}" not in page(signed_in, "/staff/")
    assert f"/staff/cases/{case_id}" in page(signed_in, "/staff/?closed=1")


def test_the_back_office_needs_a_signed_in_member(browser, case_id):
    for path in ("/staff/", f"/staff/cases/{case_id}", "/staff/statistics", "/staff/cases/new",
                 f"/staff/cases/{case_id}/evidence/evd_x"):
        r = browser.get(path)
        assert r.status_code == 303 and r.headers["Location"].startswith("/staff/login?next="), path


# --- one case -----------------------------------------------------------------------------

def test_the_case_page_shows_webshop_invoice_amount_status_deadline_and_timeline(signed_in, case_id, invoice):
    html = page(signed_in, f"/staff/cases/{case_id}")
    assert "<h1>Fietsenwinkel Utrecht</h1>" in html
    assert invoice["number"] in html and "€19.99" in html
    assert "Waiting for the webshop" in html and "07-12-2026 11:00" in html  # 14 days, Amsterdam time
    assert "The parcel never arrived at my address." in html
    assert "Opened the case" in html and "Asked the webshop" in html
    assert "delivery-note.pdf" in html and f"/staff/cases/{case_id}/evidence/evd_" in html
    assert "Sanne de Vries" in html


def test_an_unknown_case_is_a_page_not_a_problem_document(signed_in):
    r = signed_in.get("/staff/cases/dsp_nothing")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "No case dsp_nothing." in r.get_data(as_text=True)


def test_an_internal_note_is_shown_to_staff_only(signed_in, case_id, api):
    r = act(signed_in, case_id, "notes", {"note-message": "Called the carrier: no scan after the depot."})
    assert r.status_code == 303 and r.headers["Location"] == f"/staff/cases/{case_id}"
    html = page(signed_in, f"/staff/cases/{case_id}")
    assert "Internal note added." in html
    notes = html[html.index('id="notes-h"'):html.index('id="history-h"')]
    assert "Called the carrier: no scan after the depot." in notes and "Only staff see this" in notes
    assert "Anna de Vries" in notes
    assert all("carrier" not in (entry["message"] or "") for entry in merchant_timeline(api, case_id))


def test_what_people_typed_is_escaped_never_run(signed_in, case_id):
    act(signed_in, case_id, "notes", {"note-message": "<script>alert(1)</script>"})
    html = signed_in.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_message_to_both_sides_is_on_the_shared_timeline(signed_in, case_id, api):
    r = act(signed_in, case_id, "messages", {"message-message": "Please both send what the carrier told you."})
    assert r.status_code == 303
    timeline = page(signed_in, f"/staff/cases/{case_id}").split('id="timeline-h"')[1].split('id="notes-h"')[0]
    assert "Please both send what the carrier told you." in timeline
    assert merchant_timeline(api, case_id)[-1]["message"] == "Please both send what the carrier told you."


def test_an_empty_message_is_refused_on_the_page(signed_in, case_id):
    r = act(signed_in, case_id, "messages", {"message-message": "   "})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Not saved" in html and 'aria-invalid="true"' in html


def test_asking_the_consumer_sets_a_deadline_and_the_case_waits(signed_in, case_id, api):
    api.post(f"/disputes/{case_id}/responses", json={"message": "Delivered, see the scan.", "proposal": "reject"})
    r = act(signed_in, case_id, "questions", {"ask-party": "consumer",
                                              "ask-message": "Could you send a photo of your letterbox?"})
    assert r.status_code == 303
    html = page(signed_in, f"/staff/cases/{case_id}")
    assert "Waiting for the consumer" in html and "Asked the consumer" in html
    assert "Could you send a photo of your letterbox?" in html


def test_asking_while_the_case_waits_for_the_other_side_shows_why_not(signed_in, case_id):
    r = act(signed_in, case_id, "questions", {"ask-party": "consumer", "ask-message": "Any photo?"})
    assert r.status_code == 409 and r.mimetype == "text/html"
    assert "Not saved: 'ask_consumer' is not possible while the case is awaiting merchant." in unescape(r.get_data(as_text=True))


def test_a_decision_without_reasons_shows_an_error_and_changes_nothing(signed_in, case_id):
    r = act(signed_in, case_id, "decision", {"decision-outcome": "merchant", "decision-reasons": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Not saved" in html and "This field is required." in html
    assert "Waiting for the webshop" in html  # still open


def test_reasons_too_short_for_the_service_are_shown_at_the_field(signed_in, case_id):
    r = act(signed_in, case_id, "decision", {"decision-outcome": "merchant", "decision-reasons": "No."})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    error = re.search(r'id="decision-reasons-error">([^<]*)<', html)
    assert error and "at least 20 characters" in error.group(1)
    assert "No." in html  # what was typed is kept


def test_a_decision_for_the_webshop_closes_the_case_with_its_reasons(signed_in, case_id, api):
    reasons = "The carrier's proof of delivery shows a signature at the address."
    r = act(signed_in, case_id, "decision", {"decision-outcome": "merchant", "decision-reasons": reasons})
    assert r.status_code == 303, r.get_data(as_text=True)
    html = page(signed_in, f"/staff/cases/{case_id}")
    assert "Decision saved." in html and "Decided" in html and reasons in html
    assert 'id="decision-form"' not in html and 'id="message-form"' not in html
    assert api.get(f"/disputes/{case_id}").json["decision"]["reasons"] == reasons


def test_a_partial_credit_takes_an_amount_in_euros(signed_in, case_id, api, invoice):
    r = act(signed_in, case_id, "decision", {"decision-outcome": "partial", "decision-amount": "5,50",
                                             "decision-reasons": "Half of the parcel arrived, as both sides agree."})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert api.get(f"/disputes/{case_id}").json["decision"]["credited"] == 550
    assert "€5.50" in page(signed_in, f"/staff/cases/{case_id}")


def test_an_amount_that_is_not_one_is_refused_at_its_field(signed_in, case_id):
    r = act(signed_in, case_id, "decision", {"decision-outcome": "partial", "decision-amount": "5.5.5",
                                             "decision-reasons": "Half of the parcel arrived, as both sides agree."})
    assert r.status_code == 422 and "Write the amount like 12.50." in r.get_data(as_text=True)


def buttons(html) -> list[str]:
    return [re.sub(r"\s+", " ", b).strip() for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]


def test_every_action_on_a_case_names_the_consumer_and_the_webshop_it_touches(app, services, signed_in, big_case):
    actions = [b for b in buttons(page(signed_in, f"/staff/cases/{big_case}")) if b not in ("Sign out",)]
    assert {"Send message to Sanne de Vries and Fietsenwinkel Utrecht",
            "Decide for Sanne de Vries at Fietsenwinkel Utrecht",
            "Add note to the case of Sanne de Vries at Fietsenwinkel Utrecht"} <= set(actions)
    propose(signed_in, big_case)
    approving = buttons(page(second_mediator(app, services), f"/staff/cases/{big_case}"))
    assert "Approve this decision for Sanne de Vries at Fietsenwinkel Utrecht" in approving
    for action in actions + [b for b in approving if b != "Sign out"]:
        assert "Sanne de Vries" in action and "Fietsenwinkel Utrecht" in action, action


@pytest.fixture
def big_case(services, api) -> str:
    return open_case(services, ship(api, lines=[factories.line(unit_price=60_000)])["id"])


def propose(browser, case_id):
    return act(browser, case_id, "decision", {
        "decision-outcome": "consumer", "decision-reasons": "No proof of delivery was sent in time by the webshop."})


def test_a_mediator_cannot_approve_their_own_proposal(signed_in, big_case):
    assert propose(signed_in, big_case).status_code == 303
    html = page(signed_in, f"/staff/cases/{big_case}")
    assert "Waiting for approval" in html and "You proposed this decision" in html
    assert "Approve this decision" not in html
    r = act(signed_in, big_case, "approval", {})
    assert r.status_code == 409 and "A second mediator must approve this decision; you proposed it." in r.get_data(as_text=True)
    assert "Waiting for approval" in page(signed_in, f"/staff/cases/{big_case}")


def test_a_second_mediator_approves_and_the_decision_takes_effect(app, services, signed_in, big_case, api):
    propose(signed_in, big_case)
    bram = second_mediator(app, services)
    html = page(bram, f"/staff/cases/{big_case}")
    assert "Approve this decision" in html and "Anna de Vries" in html
    r = act(bram, big_case, "approval", {})
    assert r.status_code == 303
    decision = api.get(f"/disputes/{big_case}").json["decision"]
    assert decision["outcome"] == "consumer" and decision["credited"] == 60_000


def test_a_second_mediator_can_send_a_proposal_back_with_why(app, services, signed_in, big_case):
    propose(signed_in, big_case)
    bram = second_mediator(app, services)
    r = act(bram, big_case, "send-back", {"send_back-message": "Ask the carrier for the GPS scan first."})
    assert r.status_code == 303
    html = page(bram, f"/staff/cases/{big_case}")
    assert "In review" in html and "Ask the carrier for the GPS scan first." in html
    assert "Sent the decision back" in html


def test_evidence_downloads_as_an_attachment_of_its_stored_type(signed_in, case_id):
    html = page(signed_in, f"/staff/cases/{case_id}")
    link = re.search(r'href="(/staff/cases/[^"]+/evidence/[^"]+)"', html).group(1)
    r = signed_in.get(link)
    assert r.status_code == 200 and r.data == PDF
    assert r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and "delivery-note.pdf" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in r.headers["Cache-Control"]


def test_evidence_of_another_case_is_not_found(signed_in, services, api, case_id):
    other = open_case(services, ship(api)["id"])
    html = page(signed_in, f"/staff/cases/{case_id}")
    evidence_id = re.search(r"/evidence/(evd_[a-z0-9]+)", html).group(1)
    r = signed_in.get(f"/staff/cases/{other}/evidence/{evidence_id}")
    assert r.status_code == 404 and r.mimetype == "text/html"


def test_the_consumers_history_warns_of_repeated_claims(signed_in, services, api, other_api):
    cases = [open_case(services, ship(shop)["id"]) for shop in (api, other_api, api)]
    html = page(signed_in, f"/staff/cases/{cases[-1]}")
    assert "Warning: possible abuse." in html
    history = html.split('id="history-h"')[1]
    assert "Boekhandel Groningen" in history and "Fietsenwinkel Utrecht" in history
    assert history.count("/staff/cases/dsp_") == 2


def test_no_warning_for_a_first_claim(signed_in, case_id):
    html = page(signed_in, f"/staff/cases/{case_id}")
    assert "possible abuse" not in html and "No other cases." in html


# --- a case opened by phone ---------------------------------------------------------------

def take_call(browser, invoice) -> str:
    """Find the caller as the intake does (number and postcode); the confirmed call's address."""
    r = browser.submit("/staff/cases/new", data={"invoice_number": invoice["number"], "postcode": "3511 AB"})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"]


def open_by_phone(browser, invoice, **data):
    call = take_call(browser, invoice)
    return browser.submit(call, f"{call}/case", {"reason": "damaged", "description": "The frame was bent.",
                                                 "contacted_merchant_on": ASKED_SHOP_ON.isoformat(), **data},
                          content_type="multipart/form-data")


def test_a_case_is_opened_for_a_consumer_who_phoned(signed_in, invoice, mediator, services, api):
    from io import BytesIO
    call = take_call(signed_in, invoice)
    assert 'enctype="multipart/form-data"' in page(signed_in, call)
    r = open_by_phone(signed_in, invoice, description="The frame was bent when the parcel arrived.",
                      evidence=(BytesIO(PDF), "photo-report.pdf"))
    assert r.status_code == 303, r.get_data(as_text=True)
    case_id = r.headers["Location"].rsplit("/", 1)[1]
    html = page(signed_in, r.headers["Location"])
    assert "Case opened about invoice" in html and "photo-report.pdf" in html
    assert "opened by a mediator for the consumer" in html
    with services.sessionmaker() as session:
        from bnpl.disputes.models import Dispute
        assert session.get(Dispute, case_id).opened_by == mediator
    assert api.get(f"/disputes/{case_id}").json["status"] == "awaiting_merchant"


def test_evidence_with_a_name_outside_latin_1_downloads(signed_in, invoice):
    from io import BytesIO
    r = open_by_phone(signed_in, invoice, evidence=(BytesIO(PDF), "schade-foto-照片.pdf"))
    assert r.status_code == 303, r.get_data(as_text=True)
    link = re.search(r'href="(/staff/cases/[^"]+/evidence/[^"]+)"', page(signed_in, r.headers["Location"])).group(1)
    download = signed_in.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert "filename*=UTF-8''schade-foto-%E7%85%A7%E7%89%87.pdf" in download.headers["Content-Disposition"]


def test_an_unknown_invoice_number_is_said_on_the_form(signed_in):
    r = signed_in.submit("/staff/cases/new", data={"invoice_number": "2099-999999", "postcode": "3511 AB"})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 404 and "Nobody matches these details." in html
    assert 'value="2099-999999"' in html  # kept for correcting


def test_a_file_that_is_not_evidence_is_refused_at_its_field(signed_in, invoice):
    from io import BytesIO
    r = open_by_phone(signed_in, invoice, evidence=(BytesIO(b"<html><script>alert(1)</script>"), "photo.jpg"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="evidence-error">photo.jpg: this is not a file we accept', html)


def test_too_early_to_open_is_explained(signed_in, invoice, uow):
    r = open_by_phone(signed_in, invoice, contacted_merchant_on=uow.today().isoformat())
    assert r.status_code == 409 and "Please give the webshop until" in r.get_data(as_text=True)


# --- statistics ---------------------------------------------------------------------------

def test_statistics_show_each_webshops_rate_and_outcomes(signed_in, case_id, api, other_api):
    ship(api)
    api.post(f"/disputes/{case_id}/responses", json={"message": "We agree, sorry.", "proposal": "accept"})
    html = page(signed_in, "/staff/statistics")
    row = re.search(r"<tr>\s*<th scope=\"row\">Fietsenwinkel Utrecht</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[:4] == ["2", "1", "50.00", "1"]  # invoices, cases, per 100, for the consumer
    assert cells[-1] == "0.0 h"  # answered at once


def test_statistics_for_a_chosen_period_and_a_wrong_one(signed_in, case_id):
    html = page(signed_in, "/staff/statistics?since=2026-01-01&until=2026-01-31")
    assert "No cases were opened in this period." in html
    r = signed_in.get("/staff/statistics?since=2026-02-01&until=2026-01-01")
    assert r.status_code == 422 and "The period starts after it ends." in r.get_data(as_text=True)
    r = signed_in.get("/staff/statistics?since=yesterday")
    assert r.status_code == 200 and "Not a valid date value." in r.get_data(as_text=True)


def promises(html: str) -> list[list[str]]:
    """The rows of the statistics' promises table: week, channel, asked, kept, missed, share, median."""
    table = re.search(r'<table class="stats promises">(.*?)</table>', html, re.S).group(1)
    return [[unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)]


def test_statistics_show_promises_kept_per_channel_and_week_for_the_chosen_period(signed_in, services, clock, api):
    invoice = ship(api)
    consumer = consumer_of(services, invoice["id"])
    thread = act_on(services, support.ask, consumer_id=consumer, subject="Where is my parcel?",
                    message="Still nothing.")
    clock.advance(hours=2)
    act_on(services, support.answer, thread_id=thread.id, staff_id="stf_anna", staff_name="Anna", message="Tomorrow.")
    clock.advance(days=7)
    act_on(services, support.ask, consumer_id=consumer, subject="And now?", message="Still nothing at all.")
    clock.advance(days=3)  # past the promise of one working day: missed
    signed_in.login()
    today = clock.now().date()

    html = page(signed_in, "/staff/statistics")
    assert "Promises kept" in html
    assert promises(html) == [["30-11-2026", "Portal", "1", "0", "1", "0 %", "–"],
                              ["23-11-2026", "Portal", "1", "1", "0", "100 %", "2 h"]]
    html = page(signed_in, f"/staff/statistics?since={(today - timedelta(days=5)).isoformat()}&until={today}")
    assert [row[0] for row in promises(html)] == ["30-11-2026"]  # only the questions asked in the period
    html = page(signed_in, "/staff/statistics?since=2026-01-01&until=2026-01-31")
    assert "No questions were asked in this period." in html


def test_statistics_for_a_day_outside_the_years_we_could_have_figures_for_say_so_at_the_field(signed_in):
    for query in ("until=0001-01-01", "since=9999-12-30&until=9999-12-31"):
        r = signed_in.get(f"/staff/statistics?{query}")
        assert r.status_code == 200 and "A day from 2000 to 2999." in r.get_data(as_text=True), query


def test_statistics_over_more_than_a_year_are_refused(signed_in):
    r = signed_in.get("/staff/statistics?since=2024-01-01&until=2026-01-01")
    assert r.status_code == 422 and "From at most 366 days before until" in r.get_data(as_text=True)


def test_every_page_keeps_to_the_content_security_policy(signed_in, case_id):
    for path in ("/staff/", f"/staff/cases/{case_id}", "/staff/cases/new", "/staff/statistics"):
        r = signed_in.get(path)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", path
        assert "Content-Security-Policy" in r.headers and r.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script" not in html and "<style" not in html and "style=" not in html, path
        forms = re.findall(r'<form [^>]*method="post".*?</form>', html, re.S)
        assert forms and all('csrf_token" type="hidden"' in form for form in forms), path
