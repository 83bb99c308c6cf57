"""The consumer's own data rights in the portal: download everything (data.json and the PDFs)
and erase it, refused with the reasons while money is open."""
from __future__ import annotations

import io
import json
import zipfile

from bnpl.documents.jobs import render_documents
from tests.portal.conftest import EMAIL, text
from tests.privacy.conftest import pay
from tests.privacy.test_erasure import RETAINED, where_found


def test_a_consumer_downloads_all_their_data_with_the_pdfs(signed_in, invoice, services):
    render_documents(services)

    r = signed_in.get("/portal/your-data/download")

    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "attachment" in r.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(r.data)) as archive:
        data = json.loads(archive.read("data.json"))
        assert f"invoices/{invoice['number']}.pdf" in archive.namelist()
    assert data["email"] == EMAIL and [i["number"] for i in data["invoices"]] == [invoice["number"]]


def test_the_page_says_why_erasure_must_wait(signed_in, invoice, services):
    page = text(signed_in.get("/portal/your-data"))
    assert invoice["number"] in page and "Download" in page

    r = signed_in.submit("/portal/your-data", "/portal/your-data/erase", {"erase-confirm": "y"})

    assert r.status_code == 409 and invoice["number"] in text(r)
    assert ("consumers", "email") in where_found(services, EMAIL)  # nothing changed


def test_once_paid_the_consumer_erases_their_data_and_is_signed_out(signed_in, invoice, services):
    pay(services, invoice)

    r = signed_in.submit("/portal/your-data", "/portal/your-data/erase", {"erase-confirm": "y"})

    assert r.status_code == 200 and "kept for fiscal retention" in text(r)
    assert where_found(services, EMAIL) == set()
    assert where_found(services, "Sanne de Vries") <= RETAINED
    assert signed_in.get("/portal/").status_code == 303  # the device was forgotten too


def test_erasure_needs_the_box_ticked(signed_in, invoice, services):
    pay(services, invoice)
    r = signed_in.submit("/portal/your-data", "/portal/your-data/erase", {})
    assert r.status_code == 422 and where_found(services, EMAIL)


def test_an_invoice_number_and_postcode_do_not_open_the_whole_account(browser, invoice):
    browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                   {"invoice-number": invoice["number"], "invoice-postal_code": "3511 AB"})
    assert browser.get("/portal/your-data/download").status_code == 403
    assert browser.submit("/portal/", "/portal/your-data/erase", {"erase-confirm": "y"}).status_code == 403


def test_the_reasons_read_in_the_readers_language(signed_in, invoice):
    page = text(signed_in.get("/portal/your-data", headers={"Accept-Language": "nl"}))
    assert f"factuur {invoice['number']} bij Fietsenwinkel Utrecht heeft nog € 19,99 open" in page.replace("\xa0", " ")
