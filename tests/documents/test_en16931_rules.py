"""Our Factur-X (CII) and UBL against the official EN 16931 rules (CEN's Schematron, run by
tests/documents/schematron.py): a business invoice needs the seller's VAT number (BR-S-02) and an
identifier of the seller (BR-CO-26), which is why a webshop without its legal details may not
issue one (orders refuse the business order)."""
from __future__ import annotations

import pytest
from lxml import etree

from bnpl.documents import einvoice
from bnpl.documents.content import Party
from tests.documents.schematron import failed_asserts
from tests.documents.test_einvoice import ADDRESS, NS, credit_note, view

WRITE = {"cii": einvoice.cii_xml, "ubl": einvoice.ubl_xml}


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_business_invoice_of_a_seller_with_legal_details_meets_every_fatal_rule(syntax):
    assert failed_asserts(syntax, WRITE[syntax](view())) == set()


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_credit_note_meets_every_fatal_rule(syntax):
    assert failed_asserts(syntax, WRITE[syntax](credit_note())) == set()


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_without_the_sellers_vat_number_and_registration_br_s_02_and_br_co_26_fail(syntax):
    bare = view(seller=Party(name="Fietsenwinkel", address=ADDRESS, vat_number=None, coc_number=None))
    assert {"BR-S-02", "BR-CO-26"} <= failed_asserts(syntax, WRITE[syntax](bare))


@pytest.mark.parametrize("syntax, seller_name", [
    ("cii", "//ram:SellerTradeParty/ram:Name"),
    ("ubl", "//cac:AccountingSupplierParty//cac:PartyLegalEntity/cbc:RegistrationName"),
])
def test_the_runner_fails_a_document_that_breaks_a_rule(syntax, seller_name):
    """Without the seller's name (BT-27) a document breaks BR-06: the runner can say no."""
    root = etree.fromstring(WRITE[syntax](view()))
    for element in root.xpath(seller_name, namespaces=NS):
        element.getparent().remove(element)
    assert "BR-06" in failed_asserts(syntax, etree.tostring(root))


# --- end to end: what the API hands out for a real business order --------------------------

def test_the_factur_x_and_ubl_of_a_shipped_business_order_meet_every_fatal_rule(api, services):
    from facturx import get_facturx_xml_from_pdf

    from tests import factories
    from tests.documents.test_invoice_pdfs import business_consumer, fetch_pdf, render_requested, shipped_invoice

    factories.give_legal_details(api)
    invoice = shipped_invoice(api, consumer=business_consumer(), lines=factories.three_lines())
    render_requested(services)
    _, cii = get_facturx_xml_from_pdf(fetch_pdf(api, f"/invoices/{invoice['id']}/pdf"))
    ubl = api.get(f"/invoices/{invoice['id']}/ubl").data
    assert failed_asserts("cii", cii) == set()
    assert failed_asserts("ubl", ubl) == set()
