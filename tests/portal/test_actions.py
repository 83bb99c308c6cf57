"""The self-service actions, each through its feature's own service: what the consumer does
on the page is what the webshop then sees through the merchant API. Someone else's case is
not found."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta, timezone

from bnpl.disputes import service as disputes
from bnpl.dunning import service as dunning
from bnpl.portal import service as portal
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import ASKED_SHOP_ON, MEDIATOR, PDF, act, open_case, pdf_file
from tests.payments.flows import invoice as merchant_view, ship
from tests.portal.conftest import EMAIL, sign_in, text


def action(invoice_id: str, name: str) -> str:
    return f"/portal/invoices/{invoice_id}/{name}"


# --- a return -------------------------------------------------------------------------------

def test_a_reported_return_pauses_the_invoice_and_tells_the_webshop(signed_in, api):
    inv = ship(api, lines=factories.three_lines())
    page = signed_in.page(action(inv["id"], "return"))
    assert '<label for="return-line_1">Article SKU-2' in page and 'max="2"' in page

    r = signed_in.submit(action(inv["id"], "return"), data={
        "return-line_0": "0", "return-line_1": "2", "return-line_2": "", "return-carrier": "PostNL",
        "return-tracking_code": "3SABC123"})

    assert r.status_code == 303 and r.headers["Location"].endswith(f"/portal/invoices/{inv['id']}")
    assert "your return is reported" in text(signed_in.get(r.headers["Location"]))
    after = merchant_view(api, inv["id"])
    assert (after["status"], after["paused"], after["pause_reason"]) == ("paused", True, "return")
    lines = {line["reference"]: line for line in api.get(f"/orders/{inv['order_id']}").json["lines"]}
    assert lines["SKU-2"]["returned_quantity"] == 2 and lines["SKU-1"]["returned_quantity"] == 0
    [event] = [e for e in api.get("/events").json["items"] if e["type"] == "return.announced"]
    assert (event["data"]["carrier"], event["data"]["tracking_code"]) == ("PostNL", "3SABC123")


def test_a_return_without_any_article_is_refused_on_the_page(signed_in, api, invoice):
    r = signed_in.submit(action(invoice["id"], "return"), data={"return-line_0": "0"})
    assert r.status_code == 422 and "Choose what you sent back, and how many." in text(r)
    assert merchant_view(api, invoice["id"])["paused"] is False


def test_returning_more_than_was_received_is_refused_at_the_field(signed_in, api, invoice):
    r = signed_in.submit(action(invoice["id"], "return"), data={"return-line_0": "3"})
    assert r.status_code == 422
    assert re.search(r'id="return-line_0-error">Choose a number from 0 to 1.',
                     r.get_data(as_text=True))


# --- an extension ---------------------------------------------------------------------------

def test_the_free_extension_shows_the_new_due_date_first_and_moves_it(signed_in, api, invoice):
    due = date.fromisoformat(invoice["due_date"])
    new = due + timedelta(days=14)
    page = text(signed_in.get(action(invoice["id"], "extension")))
    assert f"New due date {long(new)}" in page and f"Move the due date to {long(new)}" in page

    r = signed_in.submit(action(invoice["id"], "extension"))

    assert r.status_code == 303
    assert f"your new due date is {long(new)}" in text(signed_in.get(r.headers["Location"]))
    after = merchant_view(api, invoice["id"])
    assert after["due_date"] == new.isoformat()
    assert [(e["requested_by"], e["days"]) for e in after["extensions"]] == [("consumer", 14)]


def test_a_second_extension_is_not_offered_and_says_why(signed_in, api, invoice):
    assert signed_in.submit(action(invoice["id"], "extension")).status_code == 303

    r = signed_in.get(action(invoice["id"], "extension"))

    html = r.get_data(as_text=True)
    assert f"Invoice {invoice['number']} was already extended once." in text(r)
    assert "Move the due date" not in html
    again = signed_in.submit(action(invoice["id"], "return"), action(invoice["id"], "extension"))
    assert again.status_code == 409 and "already extended once" in text(again)
    assert len(merchant_view(api, invoice["id"])["extensions"]) == 1


def test_after_the_due_date_the_extension_is_refused_and_a_plan_suggested(browser, services, clock, invoice):
    clock.set(datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=1), time(10),
                               tzinfo=timezone.utc))
    page = text(sign_in(browser, services).get(action(invoice["id"], "extension")))
    assert f"The due date of invoice {invoice['number']} has passed" in page
    assert "See if a payment plan helps." in page


def test_the_extension_follows_the_configured_days(signed_in, services, api, invoice):
    import dataclasses

    services.settings = dataclasses.replace(services.settings, consumer_extension_days=7)
    new = date.fromisoformat(invoice["due_date"]) + timedelta(days=7)
    assert f"New due date {long(new)}" in text(signed_in.get(action(invoice["id"], "extension")))
    services.settings = dataclasses.replace(services.settings, consumer_extension_days=0)
    assert "Extensions are not offered." in text(signed_in.get(action(invoice["id"], "extension")))


def long(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


# --- a payment plan -------------------------------------------------------------------------

def test_a_payment_plan_shows_the_instalments_before_it_starts(signed_in, api, services, clock):
    inv = ship(api, lines=[factories.line(unit_price=10_000)])
    page = text(signed_in.get(action(inv["id"], "plan") + "?instalments=3"))
    first_due = dunning.first_instalment_due(today=clock.now().date(), invoice_due=date.fromisoformat(inv["due_date"]))
    expected = dunning.plan_preview(10_000, 3, first_due)
    assert [part["amount"] for part in expected] == [3334, 3333, 3333]
    for part in expected:
        assert f"{long(date.fromisoformat(part['due_date']))} €{part['amount'] // 100}.{part['amount'] % 100:02d}" in page

    r = signed_in.submit(action(inv["id"], "plan") + "?instalments=3", action(inv["id"], "plan"),
                         {"plan-instalments": "3"})

    assert r.status_code == 303
    after = merchant_view(api, inv["id"])
    assert (after["paused"], after["pause_reason"]) == (True, "payment_plan")
    [plan] = api.get(f"/invoices/{inv['id']}/payment-plans").json["items"]
    assert [part["amount"] for part in plan["instalments"]] == [3334, 3333, 3333]
    invoice_page = text(signed_in.get(f"/portal/invoices/{inv['id']}"))
    assert "You pay in monthly instalments" in invoice_page
    assert "Your payment plan" in invoice_page and "Pay in monthly instalments" not in invoice_page
    for part in expected:  # the plan's own dates and amounts, on the invoice from now on
        assert f"{long(date.fromisoformat(part['due_date']))} €{part['amount'] // 100}.{part['amount'] % 100:02d}" in invoice_page


def test_a_plan_on_an_invoice_on_hold_is_refused_with_the_reason(signed_in, api, invoice):
    api.post(f"/orders/{invoice['order_id']}/returns",
             json={"status": "announced", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    r = signed_in.submit(action(invoice["id"], "plan") + "?instalments=2", action(invoice["id"], "plan"),
                         {"plan-instalments": "2"})
    assert r.status_code == 409 and "a payment plan can start once that pause ends" in text(r)
    assert "(a return)" in text(r)


# --- a dispute ------------------------------------------------------------------------------

def dispute_form(**changes) -> dict:
    return {"dispute-reason": "damaged", "dispute-description": "The frame arrived bent and cannot be ridden.",
            "dispute-contacted_merchant_on": ASKED_SHOP_ON.isoformat(), **changes}


def test_opening_a_dispute_with_evidence_shows_the_case_and_the_webshop_sees_it(signed_in, api, invoice):
    page = signed_in.page(action(invoice["id"], "dispute"))
    assert 'enctype="multipart/form-data"' in page and "It arrived damaged" in page

    r = signed_in.submit(action(invoice["id"], "dispute"), data={
        **dispute_form(), "dispute-line_0": "1", "dispute-evidence": (io.BytesIO(PDF), "photo-of-frame.pdf")},
        content_type="multipart/form-data")

    assert r.status_code == 303 and "/portal/cases/" in r.headers["Location"]
    case_id = r.headers["Location"].rsplit("/", 1)[1]
    case = text(signed_in.get(f"/portal/cases/{case_id}"))
    assert "Waiting for the webshop's answer" in case and "photo-of-frame.pdf" in case
    assert "Dispute opened: It arrived damaged" in case
    seen = api.get(f"/disputes/{case_id}").json
    assert (seen["status"], seen["reason"], seen["invoice_id"]) == ("awaiting_merchant", "damaged", invoice["id"])
    assert merchant_view(api, invoice["id"])["pause_reason"] == "dispute"


def test_too_early_to_open_a_dispute_says_until_when(signed_in, api, invoice):
    r = signed_in.submit(action(invoice["id"], "dispute"),
                         data=dispute_form(**{"dispute-contacted_merchant_on": "2026-11-20"}))
    assert r.status_code == 409
    assert "Please give the webshop until 27 November 2026 to answer you (5 working days" in text(r)
    assert api.get("/disputes").json["items"] == []


def test_a_dispute_without_what_happened_is_refused_at_the_fields(signed_in, invoice):
    r = signed_in.submit(action(invoice["id"], "dispute"), data=dispute_form(**{
        "dispute-description": "bad", "dispute-contacted_merchant_on": ""}))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="dispute-description-error">Tell us in a sentence or two what went wrong' in html
    assert 'id="dispute-contacted_merchant_on-error">Tell us the day you asked the webshop about this.' in html


def test_a_file_that_is_not_evidence_is_refused_at_its_field(signed_in, invoice):
    r = signed_in.submit(action(invoice["id"], "dispute"), data={
        **dispute_form(), "dispute-evidence": (io.BytesIO(b"<html>hi</html>"), "photo.jpg")},
        content_type="multipart/form-data")
    assert r.status_code == 422
    assert re.search(r'id="dispute-evidence-error">photo.jpg: this is not a file we accept', r.get_data(as_text=True))


def test_a_second_dispute_points_to_the_running_one(signed_in, services, invoice):
    case_id = open_case(services, invoice["id"])
    r = signed_in.submit(action(invoice["id"], "return"), action(invoice["id"], "dispute"), dispute_form())
    assert r.status_code == 409 and f'href="/portal/cases/{case_id}"' in r.get_data(as_text=True)


def test_a_case_again_after_a_decision_needs_what_is_new_and_waits_for_a_mediator(signed_in, services, api, invoice):
    first = open_case(services, invoice["id"])
    api.post(f"/disputes/{first}/responses", json={"message": "We have a signature.", "proposal": "reject"})
    act(services, disputes.decide, dispute_id=first, actor=MEDIATOR, outcome="merchant",
        reasons="The carrier's record shows a signature at the consumer's door.")
    r = signed_in.submit(action(invoice["id"], "dispute"), data=dispute_form())
    assert r.status_code == 422 and 'id="dispute-new_facts-error">A case about invoice' in r.get_data(as_text=True)
    r = signed_in.submit(action(invoice["id"], "dispute"), data=dispute_form(**{
        "dispute-new_facts": "The carrier now writes that the parcel went to number 14, not mine."}))
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "a mediator decides whether the case is opened again" in text(signed_in.get(r.headers["Location"]))
    assert merchant_view(api, invoice["id"])["paused"] is False


# --- a case ---------------------------------------------------------------------------------

def test_the_case_page_shows_the_shared_timeline_never_staff_notes(signed_in, services, invoice):
    case_id = open_case(services, invoice["id"], evidence=[pdf_file("receipt.pdf")])
    act(services, disputes.add_note, dispute_id=case_id, actor=MEDIATOR, message="Looks like the third claim.")

    r = signed_in.get(f"/portal/cases/{case_id}")

    page = text(r)
    assert r.status_code == 200 and "The parcel never arrived at my address." in page
    assert "Looks like the third claim." not in page
    [href] = re.findall(r'href="(/portal/cases/[^"]+/evidence/[^"]+)"', r.get_data(as_text=True))
    download = signed_in.get(href)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_someone_elses_case_and_evidence_are_not_found(signed_in, services, invoice, stranger_invoice):
    theirs = open_case(services, stranger_invoice["id"], evidence=[pdf_file("theirs.pdf")])
    mine = open_case(services, invoice["id"], evidence=[pdf_file("mine.pdf")])
    with services.sessionmaker() as session:
        from bnpl.disputes.models import Evidence
        their_file = session.query(Evidence).filter_by(dispute_id=theirs).one().id
    for path in (f"/portal/cases/{theirs}", f"/portal/cases/{theirs}/withdraw",
                 f"/portal/cases/{theirs}/evidence/{their_file}", f"/portal/cases/{mine}/evidence/{their_file}"):
        r = signed_in.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html", path
    for path in (f"/portal/cases/{theirs}/reply", f"/portal/cases/{theirs}/withdraw"):
        r = signed_in.submit(f"/portal/cases/{mine}", path, {"reply-message": "Mine now."})
        assert r.status_code == 404, path
    assert signed_in.get(f"/portal/cases/{mine}").status_code == 200


def test_answering_a_mediators_question_moves_the_case_on(signed_in, services, api, invoice):
    case_id = open_case(services, invoice["id"])
    api.post(f"/disputes/{case_id}/responses", json={"message": "Delivered with signature.", "proposal": "reject"})
    act(services, disputes.ask, dispute_id=case_id, actor=MEDIATOR, party="consumer",
        message="Do you have a photo of the parcel?")
    page = text(signed_in.get(f"/portal/cases/{case_id}"))
    assert "Waiting for your answer" in page and "Please answer by" in page and "Answer the mediator" in page

    r = signed_in.submit(f"/portal/cases/{case_id}", f"/portal/cases/{case_id}/reply", {
        "reply-message": "Here it is.", "reply-evidence": (io.BytesIO(PDF), "parcel.pdf")},
        content_type="multipart/form-data")

    assert r.status_code == 303
    seen = api.get(f"/disputes/{case_id}").json
    assert seen["status"] == "in_review"
    assert seen["timeline"][-1]["kind"] == "consumer_replied" and seen["timeline"][-1]["message"] == "Here it is."


def test_an_empty_reply_is_refused_at_its_field(signed_in, services, invoice):
    case_id = open_case(services, invoice["id"])
    r = signed_in.submit(f"/portal/cases/{case_id}", f"/portal/cases/{case_id}/reply", {"reply-message": " "})
    assert r.status_code == 422 and 'id="reply-message-error">Write a message.' in r.get_data(as_text=True)


def test_withdrawing_asks_first_and_lets_the_invoice_run_again(signed_in, services, api, invoice):
    case_id = open_case(services, invoice["id"])
    confirm = text(signed_in.get(f"/portal/cases/{case_id}/withdraw"))
    assert f"Withdraw the dispute about invoice {invoice['number']}?" in confirm

    r = signed_in.submit(f"/portal/cases/{case_id}/withdraw")

    assert r.status_code == 303
    assert api.get(f"/disputes/{case_id}").json["status"] == "withdrawn"
    after = merchant_view(api, invoice["id"])
    assert (after["status"], after["paused"]) == ("open", False)
    assert "You withdrew it" in text(signed_in.get(f"/portal/cases/{case_id}"))
    again = signed_in.submit(f"/portal/cases/{case_id}", f"/portal/cases/{case_id}/withdraw")
    assert again.status_code == 409


# --- the billing address --------------------------------------------------------------------

def test_the_address_form_starts_from_the_newest_invoice_and_changes_every_open_one(signed_in, api, other_api,
                                                                                    invoice):
    also = ship(other_api)
    page = signed_in.page("/portal/address")
    assert 'value="Oudegracht"' in page and 'value="3511 AB"' in page and '<option selected value="NL">' in page

    assert page.count('name="address-invoices"') == 2 and page.count(" checked>") == 2  # all, unless unticked
    r = signed_in.submit("/portal/address", data={
        "address-street": "Vismarkt", "address-house_number": "3", "address-postal_code": "9712cb",
        "address-city": "Groningen", "address-country": "NL", "address-invoices": [invoice["id"], also["id"]]})

    assert r.status_code == 303
    assert "changed for the 2 invoices" in text(signed_in.get("/portal/"))
    for client, inv in ((api, invoice), (other_api, also)):
        address = merchant_view(client, inv["id"])["billed_to"]["address"]
        assert (address["street"], address["postal_code"], address["city"]) == ("Vismarkt", "9712 CB", "Groningen")
        assert any(e["type"] == "invoice.billing_address_changed" for e in client.get("/events").json["items"])


def test_the_consumer_chooses_which_webshops_invoices_go_to_the_new_address(signed_in, api, other_api, invoice):
    also = ship(other_api)
    address = {"address-street": "Vismarkt", "address-house_number": "3", "address-postal_code": "9712 CB",
               "address-city": "Groningen", "address-country": "NL"}

    none = signed_in.submit("/portal/address", data=address)
    assert none.status_code == 422 and "Choose at least one invoice" in text(none)
    r = signed_in.submit("/portal/address", data={**address, "address-invoices": [also["id"]]})

    assert r.status_code == 303
    assert merchant_view(other_api, also["id"])["billed_to"]["address"]["street"] == "Vismarkt"
    assert merchant_view(api, invoice["id"])["billed_to"]["address"]["street"] == "Oudegracht"


def test_the_postcode_printed_before_an_address_change_still_opens_the_invoice(signed_in, browser, app, invoice):
    r = signed_in.submit("/portal/address", data={
        "address-street": "Vismarkt", "address-house_number": "3", "address-postal_code": "9712 CB",
        "address-city": "Groningen", "address-country": "NL"})
    assert r.status_code == 303
    from tests.portal.conftest import Browser
    for postcode in ("3511 AB", "9712 CB"):  # the PDF's old one, and the new one
        other = Browser(app.test_client())
        r = other.submit("/portal/sign-in", "/portal/sign-in/invoice",
                         {"invoice-number": invoice["number"], "invoice-postal_code": postcode})
        assert r.status_code == 303, postcode


def test_a_wrong_postcode_is_refused_at_its_field(signed_in, api, invoice):
    r = signed_in.submit("/portal/address", data={
        "address-street": "Vismarkt", "address-house_number": "3", "address-postal_code": "97123",
        "address-city": "Groningen", "address-country": "NL"})
    assert r.status_code == 422
    assert 'id="address-postal_code-error">Not a Dutch postcode; it looks like 1234 AB.' in r.get_data(as_text=True)
    assert merchant_view(api, invoice["id"])["billed_to"]["address"]["street"] == "Oudegracht"


def test_an_invoice_number_and_postcode_do_not_change_the_address(browser, api, invoice):
    """Both are printed on paper others may see: moving where the invoices go needs the link."""
    browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                   {"invoice-number": invoice["number"], "invoice-postal_code": "3511 AB"})
    r = browser.submit("/portal/address", data={
        "address-street": "Vismarkt", "address-house_number": "3", "address-postal_code": "9712 CB",
        "address-city": "Groningen", "address-country": "NL"})
    assert r.status_code == 403 and "sign in with the link" in r.get_data(as_text=True)
    assert merchant_view(api, invoice["id"])["billed_to"]["address"]["street"] == "Oudegracht"


def test_a_return_reported_from_one_invoice_comes_off_that_invoice(api, services, browser):
    created = api.post("/orders", json=factories.order(lines=[factories.line("SKU-1", 2)])).json
    first = api.post(f"/orders/{created['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).json
    second = api.post(f"/orders/{created['id']}/shipments", json={}).json
    sign_in(browser, services)
    with unit_of_work(services) as uow:
        viewer = portal.Viewer(email=EMAIL, livemode=False)
        ret = portal.report_return(uow, viewer=viewer, invoice_id=second["invoice"]["id"],
                                   lines=[{"reference": "SKU-1", "quantity": 1}])
    assert {line.invoice_id for line in ret.lines} == {second["invoice"]["id"]}
    assert api.get(f"/invoices/{first['invoice']['id']}").json["status"] == "open"
    assert api.get(f"/invoices/{second['invoice']['id']}").json["status"] == "paused"
