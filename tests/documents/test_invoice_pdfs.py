"""Invoice and credit-note PDFs through the merchant API: what a consumer reads on them, the
EPC QR their banking app scans, the e-invoices a business books, and who may fetch them.

Expected figures are derived from the API's own JSON and formatted with ``bnpl.i18n``, so
these tests check that the document shows what the invoice says, in the consumer's language.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

import pypdfium2 as pdfium
import pytest
import zxingcpp
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from bnpl import i18n
from bnpl.config import Provider
from bnpl.documents import jobs
from bnpl.documents import service as documents
from bnpl.documents.models import Document
from bnpl.merchants import service as merchants
from bnpl.merchants.models import Merchant
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import ApiClient, make_merchant

PROVIDER = Provider()
CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


# --- helpers --------------------------------------------------------------------------------

def create_order(api, **overrides) -> dict:
    r = api.post("/orders", json=factories.order(**overrides))
    assert r.status_code == 201, r.json
    assert r.json["status"] == "accepted", r.json["decision"]
    return r.json


def shipped_invoice(api, **order_overrides) -> dict:
    """An order shipped whole; its invoice as the API shows it."""
    order = create_order(api, **order_overrides)
    r = api.post(f"/orders/{order['id']}/shipments", json={})
    assert r.status_code == 201, r.json
    return r.json["invoice"]


def receive_return(api, order_id: str, lines: list[dict]) -> dict:
    r = api.post(f"/orders/{order_id}/returns", json={"lines": lines, "status": "received"})
    assert r.status_code == 201, r.json
    return r.json


def fetch_pdf(api, path: str) -> bytes:
    r = api.get(path)
    assert r.status_code == 200, r.data[:500]
    assert r.mimetype == "application/pdf"
    return r.data


@lru_cache(maxsize=None)
def page_text(pdf: bytes) -> str:
    """Page 1's text, with no-break spaces (Babel puts one after €) as plain spaces."""
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\xa0", " ")


@lru_cache(maxsize=None)
def qr_codes(pdf: bytes) -> tuple[str, ...]:
    """The text of every QR code on page 1, as a banking app's camera would read it."""
    image = pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil()
    return tuple(code.text for code in zxingcpp.read_barcodes(image)
                 if code.format == zxingcpp.BarcodeFormat.QRCode)


def epc_amount(field: str) -> Decimal:
    """EPC069-12 AT-04: "EUR" then at most two decimals after a dot ("EUR12.3" is the
    standard's own example), between 0.01 and 999999999.99."""
    assert re.fullmatch(r"EUR\d{1,9}(\.\d{1,2})?", field), field
    amount = Decimal(field[3:])
    assert Decimal("0.01") <= amount <= Decimal("999999999.99")
    return amount


def render_requested(services) -> int:
    """What the renderer job does off the request path after a shipment or credit."""
    return jobs.render_documents(services)


def money(cents: int, language: str = "nl") -> str:
    return i18n.format_money(cents, "EUR", language).replace("\xa0", " ")


def long_date(iso: str, language: str = "nl") -> str:
    return i18n.format_date(date.fromisoformat(iso), language)


def stored_documents(services, subject_id: str) -> list[Document]:
    with unit_of_work(services) as uow:
        return list(uow.session.scalars(
            select(Document).where(Document.subject_id == subject_id).order_by(Document.created_at, Document.id)))


def business_consumer(**overrides) -> dict:
    return factories.consumer(type="business", company_name="Spaak B.V.", vat_number="NL004495445B01",
                              **overrides)


# --- what the invoice shows -----------------------------------------------------------------

def test_the_invoice_pdf_shows_number_due_date_amount_reference_and_iban_in_dutch_for_a_dutch_consumer(api):
    invoice = shipped_invoice(api, lines=factories.three_lines())
    r = api.get(f"/invoices/{invoice['id']}/pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    text = page_text(r.data)
    assert invoice["number"] in text
    assert long_date(invoice["due_date"]) in text  # "9 december 2026"
    assert f"Te betalen\n{money(invoice['balance'])}" in text  # "€ 53,99"
    assert invoice["payment_reference"] in text
    assert "NL91 ABNA 0417 1643 00" in text  # the provider's IBAN, grouped in fours
    assert "Factuur" in text and "Vervaldatum" in text
    assert "KvK 12345678" in text  # the footer: who collects, with its registration


@pytest.mark.parametrize("consumer, country, vat_rate, language, label", [
    ({"language": "de"}, "NL", 21, "de", "Rechnung"),  # the consumer's own choice wins
    ({}, "BE", 21, "nl", "Factuur"),
    ({}, "DE", 19, "de", "Rechnung"),
    ({}, "FR", 20, "en", "Invoice"),
], ids=["preference-de", "BE-nl", "DE-de", "FR-en"])
def test_the_pdf_speaks_the_consumers_language_else_that_of_the_billing_country(
        api, consumer, country, vat_rate, language, label):
    invoice = shipped_invoice(api, consumer=factories.consumer(**consumer),
                              billing_address=factories.address(country=country),
                              lines=[factories.line(vat_rate=vat_rate, unit_price=2468)])
    text = page_text(fetch_pdf(api, f"/invoices/{invoice['id']}/pdf"))
    assert f"{label}\n{invoice['number']}" in text  # the title above the number
    assert long_date(invoice["due_date"], language) in text
    assert money(invoice["balance"], language) in text


def test_the_same_invoice_downloads_as_the_same_bytes_and_etag_and_revalidates_with_304(api):
    invoice = shipped_invoice(api)
    first = api.get(f"/invoices/{invoice['id']}/pdf")
    second = api.get(f"/invoices/{invoice['id']}/pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"] == f'"{hashlib.sha256(first.data).hexdigest()}"'

    cached = api.get(f"/invoices/{invoice['id']}/pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == first.headers["ETag"]


def test_the_epc_qr_pays_the_balance_to_the_provider_with_the_rf_reference(api):
    invoice = shipped_invoice(api, lines=factories.three_lines())
    [payload] = qr_codes(fetch_pdf(api, f"/invoices/{invoice['id']}/pdf"))
    fields = payload.split("\n")
    assert fields[0] == "BCD"  # service tag
    assert fields[1] == "002"  # version (BIC optional)
    assert fields[2] in ("1", "2")  # character set: UTF-8 or ISO 8859-1
    assert fields[3] == "SCT"  # SEPA credit transfer
    assert fields[4] == PROVIDER.bic
    assert fields[5] == PROVIDER.name
    assert fields[6] == PROVIDER.iban
    assert epc_amount(fields[7]) == Decimal(invoice["balance"]).scaleb(-2) == Decimal("53.99")
    assert fields[7] == "EUR53.99"
    assert fields[8] == ""  # no purpose code
    assert fields[9] == invoice["payment_reference"]  # structured creditor reference
    assert fields[10:] in ([], [""], ["", ""])  # no unstructured remittance text, nor any other


# --- credits --------------------------------------------------------------------------------

def test_a_received_return_gives_a_credit_note_pdf_and_a_new_invoice_version_beside_the_first(
        api, services, clock):
    order = create_order(api, lines=factories.three_lines())
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]
    render_requested(services)
    first = api.get(f"/invoices/{invoice['id']}/pdf")
    clock.advance(hours=1)  # the goods come back the same day

    note = receive_return(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])["credit_notes"][0]
    assert render_requested(services) == 2  # the credit note, and the invoice with its new balance
    now = api.get(f"/invoices/{invoice['id']}").json
    assert now["balance"] == invoice["total"] - note["total"] == 3400

    note_text = page_text(fetch_pdf(api, f"/credit-notes/{note['id']}/pdf"))
    assert f"Creditnota\n{note['number']}" in note_text
    assert f"Bij factuur {invoice['number']}" in note_text
    assert f"Gecrediteerd: {money(note['total'])}" in note_text
    assert "Nog te betalen" in note_text
    assert f"Te betalen\n{money(now['balance'])}" in note_text

    # The invoice, re-fetched with the old validator, is a new version with the credit on it.
    second = api.get(f"/invoices/{invoice['id']}/pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    text = page_text(second.data)
    assert f"Creditnota {note['number']}" in text
    assert "Nog te betalen" in text
    assert f"Te betalen\n{money(now['balance'])}" in text
    [payload] = qr_codes(second.data)
    assert epc_amount(payload.split("\n")[7]) == Decimal(now["balance"]).scaleb(-2) == Decimal("34.00")

    # The version first sent is still stored, byte for byte.
    versions = stored_documents(services, invoice["id"])
    assert len(versions) == 2
    assert versions[0].sha256 == hashlib.sha256(first.data).hexdigest() == first.headers["ETag"].strip('"')
    assert versions[1].sha256 == hashlib.sha256(second.data).hexdigest()
    with unit_of_work(services) as uow:
        assert documents.pdf_bytes(uow, versions[0]) == first.data


def test_a_pdf_rendered_on_demand_by_a_get_is_stored(api, services):
    invoice = shipped_invoice(api)  # the renderer job has not run yet
    r = api.get(f"/invoices/{invoice['id']}/pdf")
    assert r.status_code == 200
    assert [d.sha256 for d in stored_documents(services, invoice["id"])] == [r.headers["ETag"].strip('"')]


def test_a_fully_credited_invoice_has_no_qr_and_says_nothing_is_left_to_pay(api):
    order = create_order(api, lines=factories.three_lines())
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]
    receive_return(api, order["id"], [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 2},
                                      {"reference": "SKU-3", "quantity": 1}])
    assert api.get(f"/invoices/{invoice['id']}").json["balance"] == 0

    pdf = fetch_pdf(api, f"/invoices/{invoice['id']}/pdf")
    text = page_text(pdf)
    assert "Er staat niets meer open" in text
    assert f"Factuur {invoice['number']} is voldaan." in text
    assert "Te betalen" not in text and "Scan met uw bankapp" not in text
    assert qr_codes(pdf) == ()


def test_the_amounts_in_the_lines_and_totals_tables_are_real_text(api):
    order = create_order(api, lines=factories.three_lines())
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]
    note = receive_return(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])["credit_notes"][0]
    text = page_text(fetch_pdf(api, f"/invoices/{invoice['id']}/pdf"))
    assert f"Totaal {money(invoice['total'])}" in text
    assert f"{money(-note['total'])}" in text  # the credit, deducted
    assert f"Nog te betalen {money(invoice['total'] - note['total'])}" in text


# --- e-invoices for business customers -----------------------------------------------------

def test_a_business_invoice_pdf_embeds_valid_factur_x_with_its_number_and_total(api, services):
    factories.give_legal_details(api)  # a business invoice needs them
    invoice = shipped_invoice(api, consumer=business_consumer(), lines=factories.three_lines())
    render_requested(services)
    pdf = fetch_pdf(api, f"/invoices/{invoice['id']}/pdf")
    filename, xml = get_facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII) == invoice["number"]
    totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", CII)
    assert Decimal(totals.findtext("ram:GrandTotalAmount", namespaces=CII)) == Decimal(invoice["total"]).scaleb(-2)
    assert "NL004495445B01" in page_text(pdf)
    assert [d.profile for d in stored_documents(services, invoice["id"])] == ["factur-x en16931"]


def test_a_business_invoice_is_available_as_valid_ubl(api):
    factories.give_legal_details(api)  # a business invoice needs them
    invoice = shipped_invoice(api, consumer=business_consumer())
    r = api.get(f"/invoices/{invoice['id']}/ubl")
    assert r.status_code == 200
    assert r.mimetype == "application/xml"
    assert xml_check_xsd(r.data, flavor="ubl-2.1-invoice")
    ubl = etree.fromstring(r.data)
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    assert ubl.findtext(f"{{{cbc}}}ID") == invoice["number"]


def test_a_business_credit_note_pdf_embeds_a_factur_x_credit_note(api):
    factories.give_legal_details(api)  # a business invoice needs them
    order = create_order(api, consumer=business_consumer(), lines=factories.three_lines())
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]
    note = receive_return(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])["credit_notes"][0]
    _, xml = get_facturx_xml_from_pdf(fetch_pdf(api, f"/credit-notes/{note['id']}/pdf"))
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII) == note["number"]
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII) == "381"
    assert invoice["number"] in xml.decode()


def test_a_consumers_invoice_pdf_carries_no_embedded_xml(api, services):
    invoice = shipped_invoice(api)
    render_requested(services)
    pdf = fetch_pdf(api, f"/invoices/{invoice['id']}/pdf")
    assert PdfReader(io.BytesIO(pdf)).attachments == {}
    assert [d.profile for d in stored_documents(services, invoice["id"])] == ["pdf"]


# --- who may fetch them ----------------------------------------------------------------------

def _assert_not_found(r):
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"
    assert r.json["status"] == 404


def test_another_merchant_gets_404_for_this_merchants_pdfs_and_ubl(api, other_api, services):
    factories.give_legal_details(api)  # a business invoice needs them
    order = create_order(api, consumer=business_consumer(), lines=factories.three_lines())
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).json["invoice"]
    note = receive_return(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])["credit_notes"][0]
    for path in (f"/invoices/{invoice['id']}/pdf", f"/invoices/{invoice['id']}/ubl",
                 f"/credit-notes/{note['id']}/pdf"):
        _assert_not_found(other_api.get(path))
    assert stored_documents(services, invoice["id"]) == []  # nothing was rendered for them
    assert stored_documents(services, note["id"]) == []


def test_the_same_merchants_live_key_gets_404_for_its_test_mode_pdf(api, app, services):
    invoice = shipped_invoice(api)
    with unit_of_work(services) as uow:
        live_key = merchants.issue_api_key(uow, merchant=uow.session.get(Merchant, api.merchant_id), livemode=True)
    live = ApiClient(app.test_client(), live_key, api.merchant_id)
    _assert_not_found(live.get(f"/invoices/{invoice['id']}/pdf"))


@pytest.mark.parametrize("path", ["/invoices/inv_unknown/pdf", "/invoices/inv_unknown/ubl",
                                  "/credit-notes/crn_unknown/pdf"])
def test_unknown_ids_are_404(api, path):
    _assert_not_found(api.get(path))


# --- test mode ---------------------------------------------------------------------------

def test_a_test_mode_invoice_says_it_is_not_a_real_invoice(api):
    invoice = shipped_invoice(api)
    assert invoice["livemode"] is False
    assert "TESTMODUS – GEEN ECHTE FACTUUR" in page_text(fetch_pdf(api, f"/invoices/{invoice['id']}/pdf"))


def test_a_live_invoice_has_no_test_mode_banner(app, services):
    merchant_id, key = make_merchant(services, "Kaaswinkel Gouda", livemode=True)
    live = ApiClient(app.test_client(), key, merchant_id)
    invoice = shipped_invoice(live)
    assert invoice["livemode"] is True
    text = page_text(fetch_pdf(live, f"/invoices/{invoice['id']}/pdf"))
    assert invoice["number"] in text
    assert "TESTMODUS" not in text


def test_a_long_totals_label_wraps_before_its_amount_never_under_it(api, services, clock):
    """The credit-note line of the totals ("Credit note CN-… of 7 December 2026") ran under its
    amount; every character of a totals label must end left of where the amounts begin."""
    order = create_order(api, lines=factories.three_lines())
    api.post(f"/orders/{order['id']}/shipments", json={})
    note = receive_return(api, order["id"], [{"reference": "SKU-1", "quantity": 1}])["credit_notes"][0]
    render_requested(services)
    page = pdfium.PdfDocument(fetch_pdf(api, f"/credit-notes/{note['id']}/pdf"))[0]
    text = page.get_textpage()
    chars = [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    label = f"Creditnota {note['number']}"
    whole = "".join(c for c, _ in chars)
    start = whole.index(label, whole.index("Bij factuur") + 1)  # the totals' line, not the heading
    end = whole.index("2026", start + len(label)) + 4
    amount = whole.index("-", end)  # "€ -19,99"
    label_right = max(box[2] for _, box in chars[start:end] if _.strip())
    amount_left = chars[amount][1][0]
    assert label_right < amount_left, (label_right, amount_left)
