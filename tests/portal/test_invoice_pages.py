"""What a signed-in consumer sees: the purchases of every webshop grouped by what needs
attention, one invoice with its money trail and timeline, its PDF, and how to pay it (the
local payment provider's redirect flow, a transfer with QR, a direct-debit mandate).
Someone else's invoice is not found, whatever id is in the address."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from bnpl.consumers import service as consumers
from bnpl.consumers.models import Consumer
from bnpl.uow import unit_of_work
from sqlalchemy import select
from tests import factories
from tests.conftest import ApiClient, make_merchant
from tests.disputes.cases import open_case
from tests.dunning.passes import daily
from tests.payments.flows import invoice as merchant_view, ship
from tests.portal.conftest import sign_in, text


def test_purchases_are_grouped_by_what_needs_attention(signed_in, services, api, other_api, clock, invoice):
    on_hold = ship(other_api)
    r = other_api.post(f"/orders/{on_hold['order_id']}/returns",
                       json={"status": "announced", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    assert r.status_code == 201, r.json
    settled = ship(api)
    paid = api.post(f"/invoices/{settled['id']}/checkouts", json={}).json
    api.client.post(urlsplit(paid["redirect_url"]).path, data={"decision": "pay"})
    disputed = ship(api)
    open_case(services, disputed["id"])
    clock.set(datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=2), time(10),
                               tzinfo=timezone.utc))

    html = signed_in.page("/portal/")
    groups = {name: text_of(html, f'id="{name}-h"') for name in ("attention", "on_hold", "settled")}

    assert invoice["number"] in groups["attention"]
    assert f"Overdue: it was due on {day(invoice['due_date'])}" in groups["attention"]
    assert on_hold["number"] in groups["on_hold"] and "Boekhandel Groningen" in groups["on_hold"]
    assert "You reported a return; the webshop has not received it yet." in groups["on_hold"]
    assert disputed["number"] in groups["on_hold"] and "Waiting for the webshop's answer" in groups["on_hold"]
    assert settled["number"] in groups["settled"] and "Paid" in groups["settled"]
    assert "€0.00" in groups["settled"] and "€19.99" in groups["attention"]


def text_of(html: str, marker: str) -> str:
    """The text of the <section> whose heading carries ``marker``."""
    start = html.index(marker)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</section>", start)]).split()).replace("&#39;", "'")


def day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def test_the_invoice_page_shows_lines_vat_payments_and_the_timeline(signed_in, api):
    inv = ship(api, lines=factories.three_lines())

    page = text(signed_in.get(f"/portal/invoices/{inv['id']}"))

    assert f"Invoice {inv['number']}" in page and "Fietsenwinkel Utrecht" in page
    assert "Article SKU-2 2 €4.50 9% €9.00" in page
    assert "Total, VAT included €53.99" in page
    assert "21% €37.18 €7.81 €44.99" in page and "9% €8.26 €0.74 €9.00" in page
    assert f"Invoice {inv['number']} issued" in page
    assert "RF" in page and "Download the invoice (PDF)" in page
    assert "Report a return" in page and "Ask for more time to pay" in page and "Open a dispute" in page


def test_someone_elses_invoice_is_a_not_found_page_on_every_address(signed_in, stranger_invoice):
    inv = stranger_invoice["id"]
    for path in (f"/portal/invoices/{inv}", f"/portal/invoices/{inv}/pdf", f"/portal/invoices/{inv}/pay",
                 f"/portal/invoices/{inv}/return", f"/portal/invoices/{inv}/extension",
                 f"/portal/invoices/{inv}/plan", f"/portal/invoices/{inv}/plan?instalments=3",
                 f"/portal/invoices/{inv}/dispute", "/portal/invoices/inv_does_not_exist"):
        r = signed_in.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html", path
        assert "There is no such invoice in your purchases." in text(r), path
        assert stranger_invoice["number"] not in r.get_data(as_text=True), path


def test_posting_to_someone_elses_invoice_changes_nothing(signed_in, other_api, stranger_invoice):
    inv = stranger_invoice["id"]
    actions = {"checkout": {"checkout-method": "ideal"},
               "mandate": {"mandate-account_holder": "S de Vries", "mandate-iban": "NL91ABNA0417164300"},
               "return": {"return-line_0": "1"}, "extension": {}, "plan": {"plan-instalments": "3"},
               "dispute": {"dispute-reason": "damaged", "dispute-description": "Broken on arrival, sorry.",
                           "dispute-contacted_merchant_on": "2026-11-16"}}
    for action, data in actions.items():
        r = signed_in.submit("/portal/", f"/portal/invoices/{inv}/{action}", data)
        assert r.status_code == 404 and r.mimetype == "text/html", (action, r.get_data(as_text=True)[:500])
    after = merchant_view(other_api, inv)
    assert (after["status"], after["paused"], after["extensions"], after["due_date"]) == (
        "open", False, [], stranger_invoice["due_date"])
    assert other_api.get("/disputes").json["items"] == []


def test_the_pdf_is_the_stored_invoice(signed_in, api, invoice):
    r = signed_in.get(f"/portal/invoices/{invoice['id']}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["ETag"] == api.get(f"/invoices/{invoice['id']}/pdf").headers["ETag"]
    assert f'filename="{invoice["number"]}.pdf"' in r.headers["Content-Disposition"]  # named as on the invoice
    again = signed_in.get(f"/portal/invoices/{invoice['id']}/pdf", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_a_credit_note_is_listed_with_its_pdf_only_on_its_own_invoice(signed_in, api, invoice):
    r = api.post(f"/orders/{invoice['order_id']}/returns",
                 json={"status": "received", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    assert r.status_code == 201, r.json
    [note] = merchant_view(api, invoice["id"])["credit_notes"]
    other = ship(api)

    page = signed_in.page(f"/portal/invoices/{invoice['id']}")

    path = f"/portal/invoices/{invoice['id']}/credit-notes/{note['id']}/pdf"
    assert f'href="{path}"' in page and f"Credit note {note['number']}" in text_from(page)
    assert "Credited: nothing to pay" in text_from(page)
    assert signed_in.get(f"/portal/invoices/{other['id']}/credit-notes/{note['id']}/pdf").status_code == 404
    assert signed_in.get(f"/portal/invoices/{invoice['id']}/credit-notes/crn_nope/pdf").status_code == 404


def text_from(html: str) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_fees_are_itemised_with_their_legal_basis(browser, services, clock, invoice):
    due = date.fromisoformat(invoice["due_date"])
    for offset in range(31):
        daily(services, due + timedelta(days=offset))
    clock.set(datetime.combine(due + timedelta(days=30), time(10), tzinfo=timezone.utc))

    page = text(sign_in(browser, services).get(f"/portal/invoices/{invoice['id']}"))

    assert "Collection costs (art. 6:96 BW, the Dutch scale for extrajudicial collection costs): €40.00" in page
    assert "Computed as: collection costs on a principal of EUR 19.99" in page
    assert "Reminder sent (free of charge)" in page and "Letter: pay by" in page


# --- paying ---------------------------------------------------------------------------------

def test_the_pay_page_shows_iban_reference_amount_and_a_qr_code(signed_in, invoice):
    r = signed_in.get(f"/portal/invoices/{invoice['id']}/pay")
    html, page = r.get_data(as_text=True), text(r)

    assert "To pay: €19.99" in page
    assert "NL91 ABNA 0417 1643 00" in page
    reference = invoice["payment_reference"]
    assert " ".join(reference[i:i + 4] for i in range(0, len(reference), 4)) in page
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" width="225"', html)
    methods = re.findall(r'name="checkout-method" value="(\w+)"', html)
    assert methods == ["ideal", "bancontact", "card"]


def test_the_method_used_last_is_offered_first(signed_in, services, invoice):
    with unit_of_work(services) as uow:
        consumer_id = uow.session.scalar(select(Consumer.id).where(Consumer.email == "sanne.devries@example.nl"))
        consumers.remember_payment_method(uow, consumer_id=consumer_id, method="card")

    html = signed_in.page(f"/portal/invoices/{invoice['id']}/pay")

    assert re.findall(r'name="checkout-method" value="(\w+)"', html) == ["card", "ideal", "bancontact"]


def test_paying_through_the_local_provider_comes_back_to_a_paid_invoice(signed_in, api, invoice):
    r = signed_in.submit(f"/portal/invoices/{invoice['id']}/pay", f"/portal/invoices/{invoice['id']}/checkout",
                         {"checkout-method": "bancontact"})
    assert r.status_code == 303
    bank = urlsplit(r.headers["Location"]).path
    assert bank.startswith("/payments/local/")
    page = signed_in.get(bank)
    assert page.status_code == 200 and "€\xa019,99" in page.get_data(as_text=True)  # the bank speaks Dutch to her

    back = signed_in.client.post(bank, data={"decision": "pay"})

    assert back.status_code == 303 and urlsplit(back.headers["Location"]).path == f"/portal/invoices/{invoice['id']}"
    after = text(signed_in.get(urlsplit(back.headers["Location"]).path))
    assert "Paid" in after and "Payment received: €19.99 by Bancontact" in after
    assert merchant_view(api, invoice["id"])["status"] == "paid"
    assert "There is nothing left to pay on this invoice." in text(signed_in.get(f"/portal/invoices/{invoice['id']}/pay"))


def test_paying_an_invoice_with_nothing_left_to_pay_is_explained(signed_in, api, invoice):
    api.post(f"/orders/{invoice['order_id']}/returns",
             json={"status": "received", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    token_page = f"/portal/invoices/{invoice['id']}/extension"
    r = signed_in.submit(token_page, f"/portal/invoices/{invoice['id']}/checkout", {"checkout-method": "ideal"})
    assert r.status_code == 409 and "there is nothing to pay" in text(r)


def test_a_wrong_iban_is_explained_at_its_field(signed_in, invoice):
    r = signed_in.submit(f"/portal/invoices/{invoice['id']}/pay", f"/portal/invoices/{invoice['id']}/mandate",
                         {"mandate-account_holder": "Sanne de Vries", "mandate-iban": "NL91ABNA0417164301"})

    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'id="mandate-iban" [^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="mandate-iban"', html)
    assert re.search(r'id="mandate-iban-error">Not a valid IBAN: [^<]+<', html)


def test_a_mandate_for_a_right_iban_is_confirmed(signed_in, services, invoice):
    from bnpl.payments.models import Mandate

    r = signed_in.submit(f"/portal/invoices/{invoice['id']}/pay", f"/portal/invoices/{invoice['id']}/mandate",
                         {"mandate-account_holder": "Sanne de Vries", "mandate-iban": "NL91 ABNA 0417 1643 00"})

    assert r.status_code == 303 and r.headers["Location"].endswith(f"/portal/invoices/{invoice['id']}")
    assert "we will collect this invoice from your account" in text(signed_in.get(r.headers["Location"]))
    with services.sessionmaker() as session:
        [mandate] = session.scalars(select(Mandate)).all()
    assert (mandate.iban, mandate.account_holder, mandate.status) == ("NL91ABNA0417164300", "Sanne de Vries", "active")


def test_a_live_invoice_offers_no_online_payment_the_provider_cannot_take(app, services, browser):
    merchant_id, key = make_merchant(services, "Echte Winkel", livemode=True)
    live = ship(ApiClient(app.test_client(), key, merchant_id))
    sign_in(browser, services)
    page = browser.page(f"/portal/invoices/{live['id']}/pay")
    assert "Pay online" not in page and live["payment_reference"][:4] in page  # the transfer is still there


def test_a_test_order_in_a_strangers_name_does_not_reach_their_portal(app, api, services, browser):
    live_id, live_key = make_merchant(services, "Echte Winkel", livemode=True)
    live = ApiClient(app.test_client(), live_key, live_id)
    real = ship(live)
    planted = ship(api)  # `api` is a test-mode key: anyone can create one with any e-mail address
    sign_in(browser, services)
    page = browser.page("/portal/")
    assert real["number"] in page and planted["number"] not in page
    assert browser.get(f"/portal/invoices/{planted['id']}").status_code == 404


def test_test_purchases_alone_are_shown_as_test_mode(api, services, browser, invoice):
    sign_in(browser, services)
    page = browser.page("/portal/")
    assert invoice["number"] in page and "Test mode" in page
