"""EN 16931 e-invoices (Factur-X CII and UBL 2.1): valid against the official XSDs, and
carrying the figures a receiver's bookkeeping reads, exactly as our documents show them.

The EN 16931 schematron is not run: the factur-x library runs it only on a Saxon HTTP
server, and tests stay offline. The business rules a receiver relies on most (per-rate
VAT, sums of line nets, totals) are checked here by xpath instead.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from facturx import xml_check_xsd
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from stdnum import iban, iso11649
from stdnum.eu import vat

from bnpl.documents import einvoice
from bnpl.documents.content import Applied, DocumentView, Line, Party, Payee, VatLine
from bnpl.money import vat_breakdown, vat_included

SELLER_VAT = "NL808661863B01"
BUYER_VAT = "NL004495445B01"
IBAN = "NL91ABNA0417164300"
PAYMENT_REFERENCE = "RF18539007547034"
ISSUED, DUE = date(2026, 11, 23), date(2026, 12, 9)
ADDRESS = {"street": "Damrak", "house_number": "70", "postal_code": "1012 LM", "city": "Amsterdam",
           "country": "NL"}


def line(description: str, quantity: int, unit_price_cents: int, vat_rate_bp: int) -> Line:
    return Line(description, quantity, unit_price_cents, vat_rate_bp, quantity * unit_price_cents)


# Awkward cents: rounding VAT per line would give 1042 at 21 % and 109 at 9 %, but VAT is
# rounded once per rate (1041 and 110), so line nets only add up when VAT is allocated.
LINES = (
    line("T-shirt", 3, 1999, 2100),
    line("Sticker", 1, 1, 2100),
    line("Button", 1, 3, 2100),
    line("Book", 2, 333, 900),
    line("Bookmark", 1, 333, 900),
    line("Postcard", 1, 333, 900),
)


def vat_lines(lines) -> tuple[VatLine, ...]:
    """Per rate, the way an invoice computes it (Invoice.vat_breakdown)."""
    breakdown = vat_breakdown((Decimal(item.vat_rate_bp) / 100, item.total_cents) for item in lines)
    return tuple(VatLine(rate_bp=int(v.rate * 100), net_cents=v.net, vat_cents=v.vat, gross_cents=v.gross)
                 for v in breakdown)


def view(**overrides) -> DocumentView:
    """An invoice from a Dutch webshop to a Dutch business, nothing paid or credited yet."""
    lines = overrides.pop("lines", LINES)
    total = sum(item.total_cents for item in lines)
    fields = dict(
        kind="invoice", subject_id="inv_1", number="2026-000042", livemode=True, language="nl",
        currency="EUR", issue_date=ISSUED, due_date=DUE, order_reference="ORDER-1001",
        invoice_number="2026-000042", invoice_issue_date=ISSUED, invoice_total_cents=total,
        seller=Party(name="Fietsenwinkel BV", address=ADDRESS, vat_number=SELLER_VAT, coc_number="12345678"),
        buyer=Party(name="Jan Jansen", company_name="Jansen Installaties BV", address=ADDRESS,
                    vat_number=BUYER_VAT, email="jan@jansen.example"),
        is_business=True, lines=lines, vat_lines=vat_lines(lines), total_cents=total, applied=(),
        balance_cents=total, payment_reference=PAYMENT_REFERENCE,
        payee=Payee(name="Pay Later BV", iban=IBAN, bic="ABNANL2A", address="Herengracht 1, Amsterdam",
                    country="NL", email="billing@paylater.example", vat_number=None, coc_number="87654321"),
        portal_url="https://paylater.example/portal",
    )
    fields.update(overrides)
    return DocumentView(**fields)


def credit_note(**overrides) -> DocumentView:
    """A returned T-shirt, less part of an amount credited before."""
    lines = (line("T-shirt", 1, 1999, 2100), line("Less the amount credited before", 1, -500, 2100))
    total = sum(item.total_cents for item in lines)
    invoice_total = sum(item.total_cents for item in LINES)
    return view(kind="credit_note", subject_id="cn_1", number="CN-2026-000007", issue_date=date(2026, 12, 1),
                lines=lines, vat_lines=vat_lines(lines), total_cents=total, invoice_total_cents=invoice_total,
                applied=(Applied("credit_note", "CN-2026-000007", date(2026, 12, 1), total),),
                balance_cents=invoice_total - total, reason="Returned", **overrides)


def test_the_test_identifiers_are_valid():
    assert vat.is_valid(SELLER_VAT) and vat.is_valid(BUYER_VAT)
    assert iban.is_valid(IBAN) and iso11649.is_valid(PAYMENT_REFERENCE)


# --- reading the XML as a receiver does ----------------------------------------------------

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
CII_TOTALS = SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
UBL_TOTALS = "/*/cac:LegalMonetaryTotal"
TERMS = {
    "cii": {
        "number": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID",
        "type": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode",
        "issue_date": "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
        "due_date": SETTLEMENT + "/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
        "currency": SETTLEMENT + "/ram:InvoiceCurrencyCode",
        "order_reference": "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        "preceding_invoice": SETTLEMENT + "/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
        "line_nets": CII_TOTALS + "/ram:LineTotalAmount",
        "net": CII_TOTALS + "/ram:TaxBasisTotalAmount",
        "vat": CII_TOTALS + "/ram:TaxTotalAmount[@currencyID='EUR']",
        "gross": CII_TOTALS + "/ram:GrandTotalAmount",
        "paid": CII_TOTALS + "/ram:TotalPrepaidAmount",
        "due": CII_TOTALS + "/ram:DuePayableAmount",
        "seller_vat": "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
        "seller_country": "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID",
        "buyer_name": "//ram:BuyerTradeParty/ram:Name",
        "buyer_vat": "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
        "payee": SETTLEMENT + "/ram:PayeeTradeParty/ram:Name",
        "means": SETTLEMENT + "/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
        "iban": SETTLEMENT + "/ram:SpecifiedTradeSettlementPaymentMeans"
                             "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
        "payment_reference": SETTLEMENT + "/ram:PaymentReference",
    },
    "ubl": {
        "number": "/*/cbc:ID",
        "type": "/*/cbc:InvoiceTypeCode | /*/cbc:CreditNoteTypeCode",
        "issue_date": "/*/cbc:IssueDate",
        "due_date": "/*/cbc:DueDate",
        "currency": "/*/cbc:DocumentCurrencyCode",
        "order_reference": "/*/cac:OrderReference/cbc:ID",
        "preceding_invoice": "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
        "line_nets": UBL_TOTALS + "/cbc:LineExtensionAmount",
        "net": UBL_TOTALS + "/cbc:TaxExclusiveAmount",
        "vat": "/*/cac:TaxTotal/cbc:TaxAmount[@currencyID='EUR']",
        "gross": UBL_TOTALS + "/cbc:TaxInclusiveAmount",
        "paid": UBL_TOTALS + "/cbc:PrepaidAmount",
        "due": UBL_TOTALS + "/cbc:PayableAmount",
        "seller_vat": "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
        "seller_country": "/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress"
                          "/cac:Country/cbc:IdentificationCode",
        "buyer_name": "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        "buyer_vat": "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
        "payee": "/*/cac:PayeeParty/cac:PartyName/cbc:Name",
        "means": "/*/cac:PaymentMeans/cbc:PaymentMeansCode",
        "iban": "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
        "payment_reference": "/*/cac:PaymentMeans/cbc:PaymentID",
    },
}
VAT_ROWS = {  # BG-23: rate, taxable amount, tax amount, category
    "cii": (SETTLEMENT + "/ram:ApplicableTradeTax",
            ("ram:RateApplicablePercent", "ram:BasisAmount", "ram:CalculatedAmount", "ram:CategoryCode")),
    "ubl": ("/*/cac:TaxTotal/cac:TaxSubtotal",
            ("cac:TaxCategory/cbc:Percent", "cbc:TaxableAmount", "cbc:TaxAmount", "cac:TaxCategory/cbc:ID")),
}
LINE_ROWS = {  # BG-25: rate, net amount, quantity, net unit price
    "cii": ("//ram:IncludedSupplyChainTradeLineItem",
            ("ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
             "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
             "/ram:LineTotalAmount",
             "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
             "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount")),
    "ubl": ("/*/cac:InvoiceLine | /*/cac:CreditNoteLine",
            ("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", "cbc:LineExtensionAmount",
             "cbc:InvoicedQuantity | cbc:CreditedQuantity", "cac:Price/cbc:PriceAmount")),
}
DATE_FORMAT = {"cii": "%Y%m%d", "ubl": "%Y-%m-%d"}
GENERATE = {"cii": einvoice.cii_xml, "ubl": einvoice.ubl_xml}
XSD = {"cii": {"flavor": "factur-x", "level": "en16931"}, "ubl": {"flavor": "ubl-2.1-invoice"}}
syntaxes = pytest.mark.parametrize("syntax", ["cii", "ubl"])


class Read:
    def __init__(self, syntax: str, document: DocumentView):
        self.syntax = syntax
        self.root = etree.fromstring(GENERATE[syntax](document))

    def __getitem__(self, term: str) -> str | None:
        found = self.root.xpath(TERMS[self.syntax][term], namespaces=NS)
        assert len(found) <= 1, term
        return found[0].text if found else None

    def date(self, day: date) -> str:
        return day.strftime(DATE_FORMAT[self.syntax])

    def rows(self, table: dict) -> list[tuple[str, ...]]:
        rows, columns = table[self.syntax]
        return [tuple(row.xpath(column, namespaces=NS)[0].text for column in columns)
                for row in self.root.xpath(rows, namespaces=NS)]


def euros(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):f}"


def percent(rate_bp: int) -> str:
    return f"{Decimal(rate_bp).scaleb(-2):f}"


def line_nets_per_rate(read: Read) -> dict[str, Decimal]:
    per_rate = defaultdict(Decimal)
    for rate, net, _, _ in read.rows(LINE_ROWS):
        per_rate[rate] += Decimal(net)
    return dict(per_rate)


def nets_per_rate(document: DocumentView) -> dict[str, Decimal]:
    return {percent(v.rate_bp): Decimal(euros(v.net_cents)) for v in document.vat_lines}


# --- validity --------------------------------------------------------------------------

def test_the_cii_is_valid_factur_x_en16931():
    assert xml_check_xsd(einvoice.cii_xml(view()), flavor="factur-x", level="en16931")


def test_the_ubl_is_a_valid_ubl_21_invoice():
    assert xml_check_xsd(einvoice.ubl_xml(view()), flavor="ubl-2.1-invoice")


# --- what a receiver books -------------------------------------------------------------

@syntaxes
def test_the_header_names_the_invoice_its_dates_and_currency(syntax):
    read = Read(syntax, view())
    assert (read["number"], read["type"], read["currency"]) == ("2026-000042", "380", "EUR")
    assert (read["issue_date"], read["due_date"]) == (read.date(ISSUED), read.date(DUE))
    assert read["order_reference"] == "ORDER-1001"
    assert read["preceding_invoice"] is None


@syntaxes
def test_the_totals_are_net_vat_and_the_gross_the_shopper_saw(syntax):
    read = Read(syntax, view())
    assert read["line_nets"] == read["net"] == "61.82"  # 49.60 at 21 % + 12.22 at 9 %
    assert read["vat"] == "11.51"  # 10.41 + 1.10, each rounded once on its rate's gross
    assert read["gross"] == read["due"] == euros(7333)
    assert read["paid"] is None


@syntaxes
def test_payments_count_as_paid_and_lower_the_amount_due(syntax):
    earlier = Applied("payment", "pay_1", ISSUED, 1000)
    read = Read(syntax, view(applied=(earlier,), balance_cents=6333))
    assert (read["gross"], read["paid"], read["due"]) == ("73.33", "10.00", "63.33")


@syntaxes
def test_a_credit_note_is_not_counted_as_paid_it_is_its_own_document(syntax):
    # The buyer books the credit note (type 381) too: counting it here would book it twice.
    credit = Applied("credit_note", "CN-2026-000001", ISSUED, 1000)
    read = Read(syntax, view(applied=(credit,), balance_cents=6333))
    assert (read["gross"], read["paid"], read["due"]) == ("73.33", None, "73.33")


@syntaxes
def test_the_vat_per_rate_is_the_documents_breakdown_unchanged(syntax):
    document = view()
    assert Read(syntax, document).rows(VAT_ROWS) == [
        (percent(v.rate_bp), euros(v.net_cents), euros(v.vat_cents), "S")
        for v in document.vat_lines]
    assert [(v.net_cents, v.vat_cents) for v in document.vat_lines] == [(4960, 1041), (1222, 110)]


@syntaxes
def test_a_zero_rate_is_zero_rated(syntax):
    read = Read(syntax, view(lines=(line("Gift card", 1, 1000, 0),)))
    assert read.rows(VAT_ROWS) == [("0.00", "10.00", "0.00", "Z")]


@syntaxes
def test_the_line_nets_at_each_rate_add_up_to_that_rates_net(syntax):
    document = view()
    assert line_nets_per_rate(Read(syntax, document)) == nets_per_rate(document)


@syntaxes
def test_a_line_shows_its_quantity_and_net_unit_price(syntax):
    rows = Read(syntax, view()).rows(LINE_ROWS)
    assert rows[0] == ("21.00", "49.57", "3", "16.5233")  # 59.97 incl. VAT, less 10.40
    assert rows[3] == ("9.00", "6.11", "2", "3.055")


@syntaxes
def test_seller_buyer_and_where_to_pay(syntax):
    read = Read(syntax, view())
    assert (read["seller_vat"], read["buyer_vat"], read["buyer_name"]) == (
        SELLER_VAT, BUYER_VAT, "Jansen Installaties BV")
    assert (read["payee"], read["means"], read["iban"], read["payment_reference"]) == (
        "Pay Later BV", "58", IBAN, PAYMENT_REFERENCE)


@syntaxes
def test_a_consumer_is_named_in_person_without_a_vat_number(syntax):
    read = Read(syntax, view(is_business=False, buyer=Party(name="Jan Jansen", address=ADDRESS)))
    assert (read["buyer_name"], read["buyer_vat"]) == ("Jan Jansen", None)


# --- credit notes ----------------------------------------------------------------------

@syntaxes
def test_a_credit_note_is_type_381_and_refers_to_its_invoice(syntax):
    read = Read(syntax, credit_note())
    assert (read["number"], read["type"]) == ("CN-2026-000007", "381")
    assert read["preceding_invoice"] == "2026-000042"
    assert (read["gross"], read["due"], read["paid"], read["due_date"]) == ("14.99", "14.99", None, None)


def test_a_credit_note_is_valid_and_a_ubl_creditnote_document():
    xml = einvoice.ubl_xml(credit_note())
    assert etree.QName(etree.fromstring(xml)).localname == "CreditNote"
    assert xml_check_xsd(xml, flavor="ubl-2.1-creditnote")
    assert xml_check_xsd(einvoice.cii_xml(credit_note()), flavor="factur-x", level="en16931")


@syntaxes
def test_a_deduction_is_a_negative_quantity_at_a_positive_price(syntax):
    rows = Read(syntax, credit_note()).rows(LINE_ROWS)
    assert [(net, quantity, price) for _, net, quantity, price in rows] == [
        ("16.52", "1", "16.52"), ("-4.13", "-1", "4.13")]  # 19.99 - 3.47 and -5.00 + 0.87


# --- a merchant who left details out ---------------------------------------------------

@syntaxes
def test_a_seller_without_address_or_vat_number_still_gives_valid_xml(syntax):
    document = view(seller=Party(name="Fietsenwinkel"))
    xml = GENERATE[syntax](document)
    assert xml_check_xsd(xml, **XSD[syntax])
    read = Read(syntax, document)
    assert (read["seller_vat"], read["seller_country"]) == (None, "NL")  # the provider's country


# --- allocation of each rate's VAT over its lines --------------------------------------

RATES = st.sampled_from([2100, 900, 0])
LINE = st.builds(line, st.just("item"), st.integers(1, 20), st.integers(-5_000, 500_000), RATES)


@given(st.lists(LINE, min_size=1, max_size=12))
def test_line_nets_add_up_per_rate_and_each_takes_its_fair_share_of_vat(lines):
    document = view(lines=tuple(lines))
    data = einvoice.en16931_data(document)
    nets = defaultdict(int)
    for item, row in zip(lines, data["BG-25"]):
        net = round(Decimal(row["BT-131"]) * 100)
        nets[item.vat_rate_bp] += net
        vat_line = next(v for v in document.vat_lines if v.rate_bp == item.vat_rate_bp)
        gross_at_rate = vat_line.gross_cents
        fair = Fraction(vat_line.vat_cents * item.total_cents, gross_at_rate) if gross_at_rate else 0
        assert abs((item.total_cents - net) - fair) < 1
        assert Decimal(row["BT-146"]) >= 0
        price_rounding = abs(Decimal(row["BT-129"]) * Decimal(row["BT-146"]) - Decimal(row["BT-131"]))
        assert price_rounding <= item.quantity * Decimal("0.00005")  # 4 decimals in the unit price
    assert nets == {v.rate_bp: v.net_cents for v in document.vat_lines}
    assert Decimal(data["BT-106"]) == sum(Decimal(row["BT-131"]) for row in data["BG-25"])
    assert Decimal(data["BT-106"]) + Decimal(data["BT-110"]) == Decimal(data["BT-112"])


@syntaxes
@settings(max_examples=15, deadline=None)
@given(lines=st.lists(LINE, min_size=1, max_size=6))
def test_any_lines_give_valid_xml_whose_line_nets_add_up_per_rate(syntax, lines):
    document = view(lines=tuple(lines))
    assert xml_check_xsd(GENERATE[syntax](document), **XSD[syntax])
    assert line_nets_per_rate(Read(syntax, document)) == nets_per_rate(document)


def test_rounding_vat_per_line_would_not_add_up_for_the_fixture():
    per_line = defaultdict(int)
    for item in LINES:
        per_line[item.vat_rate_bp] += vat_included(item.total_cents, Decimal(item.vat_rate_bp) / 100)
    assert dict(per_line) != {v.rate_bp: v.vat_cents for v in view().vat_lines}
