"""EN 16931 e-invoices from a document view: Factur-X (CII) and UBL 2.1.

Both syntaxes come from one data dict keyed by EN 16931 business terms, which the
factur-x library turns into XML and checks against the official XSD. Its schematron
check is switched off: the library runs it only by posting to a Saxon HTTP server, and
generating a document must never depend on the network.

Our lines carry VAT-inclusive amounts and VAT is computed once per rate; EN 16931 lines
carry net amounts. Each rate's VAT is therefore spread over its lines in whole cents, so
the per-rate figures stay exactly as computed and the line nets add up to them.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from facturx import generate_cii_xml, generate_ubl_xml, xml_check_xsd
from lxml import etree

from bnpl.documents.content import DocumentView, Line, Party, VatLine
from bnpl.money import MINOR_UNITS

INVOICE = "380"
CREDIT_NOTE = "381"
SEPA_CREDIT_TRANSFER = "58"
UNIT = "C62"  # UN/ECE rec. 20 "one": our quantities are plain counts
KVK_SCHEME = "0106"  # ISO 6523 ICD of the Dutch Chamber of Commerce (KvK) register
EMAIL_SCHEME = "EM"  # EAS code: the electronic address is an e-mail address
PRICE_PLACES = Decimal("0.0001")  # Factur-X and UBL allow 4 decimals in a unit price
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def cii_xml(view: DocumentView) -> bytes:
    """Factur-X XML at level EN16931, checked against its XSD by the library."""
    xml = generate_cii_xml(en16931_data(view), level="en16931", check_xsd=False, check_schematron=False)
    root = _without_nil(etree.fromstring(xml))
    xml_check_xsd(root, flavor="factur-x", level="en16931")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def ubl_xml(view: DocumentView) -> bytes:
    """UBL 2.1 Invoice, or CreditNote for a credit note, checked against its XSD."""
    return generate_ubl_xml(en16931_data(view), level="en16931", check_xsd=True, check_schematron=False)


def _without_nil(root: etree._Element) -> etree._Element:
    # We know no delivery details, and the library writes the then empty (and required)
    # ApplicableHeaderTradeDelivery as xsi:nil, which the XSD rejects; empty is valid.
    for element in root.iter():
        if len(element) == 0 and not element.text:
            element.attrib.pop(XSI_NIL, None)
    etree.cleanup_namespaces(root)
    return root


def en16931_data(view: DocumentView) -> dict:
    """The document as EN 16931 business terms, in the factur-x library's dict format.

    A new dict each call: the library rewrites the dict it is given."""
    return _without_empty({
        "BT-1": view.number,
        "BT-2": view.issue_date,
        "BT-3": CREDIT_NOTE if view.is_credit_note else INVOICE,
        "BT-5": view.currency,
        # A credit note's due date is the invoice's, not a date this document sets.
        "BT-9": None if view.is_credit_note else view.due_date,
        "BT-13": view.order_reference,
        "BG-1": [{"BT-22": view.reason}] if view.reason else None,
        "BG-3": _preceding_invoice(view),
        "BG-4": seller(view),
        "BG-7": buyer(view),
        "BG-10": payee(view),
        **payment_instructions(view),
        "BG-23": [vat_breakdown(view, vat_line) for vat_line in view.vat_lines],
        "BG-25": [invoice_line(view, position, line, net)
                  for position, (line, net) in enumerate(zip(view.lines, line_nets(view)), start=1)],
        **document_totals(view),
    })


def _preceding_invoice(view: DocumentView) -> list | None:
    if not view.is_credit_note:
        return None
    return [{"BT-25": view.invoice_number, "BT-26": view.invoice_issue_date}]


# --- parties ----------------------------------------------------------------------------

def seller(view: DocumentView) -> dict:
    """The webshop. What a merchant did not give us is left out, never made up; only the
    country is filled in, because CII and UBL require it (BT-40): a merchant without an
    address signed up with us, so the provider's country is the best fact we have."""
    party = view.seller
    address = party.address or {"country": view.payee.country}
    legal_name = party.company_name or party.name
    return _without_empty({
        "name": legal_name,  # BT-27 is the registered name; the shop's name is its trading name
        "biz_name": party.name if party.name != legal_name else None,
        "vat_identifier": party.vat_number,
        **_legal_registration(party.coc_number, address.get("country")),
        **_electronic_address(party),
        **_postal_address(address),
    })


def buyer(view: DocumentView) -> dict:
    """The consumer; a business buyer by its company name and VAT number (BT-48)."""
    party = view.buyer
    is_company = view.is_business and bool(party.company_name)
    return _without_empty({
        "name": party.company_name if is_company else party.name,
        "vat_identifier": party.vat_number if view.is_business else None,
        "contacts": [{"name": party.name}] if is_company else None,
        **_electronic_address(party),
        **_postal_address(party.address or {}),
    })


def payee(view: DocumentView) -> dict:
    """The provider, who collects the money in the seller's stead (BR-17: named)."""
    return _without_empty({
        "name": view.payee.name,
        **_legal_registration(view.payee.coc_number, view.payee.country),
    })


def _legal_registration(number: str | None, country: str | None) -> dict:
    # The scheme is known only for a Dutch registration; elsewhere the number stands alone.
    return {"legal_identifier": number,
            "legal_identifier_schemeid": KVK_SCHEME if number and country == "NL" else None}


def _electronic_address(party: Party) -> dict:
    if not party.email:
        return {}
    return {"einvoicing_addr": party.email, "einvoicing_addr_schemeid": EMAIL_SCHEME}


def _postal_address(address: dict) -> dict:
    street = " ".join(str(part) for part in (address.get("street"), address.get("house_number")) if part)
    return {"addr_l1": street, "postcode": address.get("postal_code"), "city": address.get("city"),
            "country_code": address.get("country")}


def payment_instructions(view: DocumentView) -> dict:
    """SEPA credit transfer to the provider's account, with the RF creditor reference."""
    return {
        "BT-81": SEPA_CREDIT_TRANSFER,
        "BT-83": view.payment_reference,
        "BT-84": view.payee.iban,
        "BT-85": view.payee.name,
        "BT-86": view.payee.bic,
    }


# --- amounts ----------------------------------------------------------------------------

def document_totals(view: DocumentView) -> dict:
    """BG-22. Without document-level allowances or charges the line nets (BT-106) are the
    total without VAT (BT-109). Only payments count as paid (BT-113): a credit note is its
    own document (type 381) that the buyer books too, so counting it here would book the
    credit twice. A credit note is due in full."""
    net = view.net_cents
    vat = view.total_cents - net
    paid = 0 if view.is_credit_note else sum(a.amount_cents for a in view.applied if a.kind == "payment")
    due = view.total_cents - paid
    return {
        "BT-106": _amount(view, net),
        "BT-109": _amount(view, net),
        "BT-110": _amount(view, vat),
        "BT-112": _amount(view, view.total_cents),
        "BT-113": _amount(view, paid) if paid else None,
        "BT-115": _amount(view, due),
    }


def vat_breakdown(view: DocumentView, vat_line: VatLine) -> dict:
    """BG-23 exactly as computed on the gross sum. Its VAT may differ by a cent from
    net x rate (BR-CO-17), which EN 16931 tolerates."""
    return {
        "BT-116": _amount(view, vat_line.net_cents),
        "BT-117": _amount(view, vat_line.vat_cents),
        "BT-118": vat_category(vat_line.rate_bp),
        "BT-119": _percent(vat_line.rate_bp),
    }


def vat_category(rate_bp: int) -> str:
    # A 0 % rate on a Dutch domestic sale is zero-rated, not exempt.
    return "S" if rate_bp > 0 else "Z"


def invoice_line(view: DocumentView, position: int, line: Line, net_cents: int) -> dict:
    """BG-25 with net amounts. A deduction ("less the amount credited before") is a
    negative quantity: EN 16931 forbids a negative price (BR-27)."""
    quantity = abs(line.quantity) * (-1 if net_cents < 0 else 1)
    return {
        "BT-126": str(position),
        "BT-129": str(quantity),
        "BT-130": UNIT,
        "BT-131": _amount(view, net_cents),
        "BT-146": _unit_price(view, abs(net_cents), abs(line.quantity)),
        "BT-151": vat_category(line.vat_rate_bp),
        "BT-152": _percent(line.vat_rate_bp),
        "BT-153": line.description,
    }


def line_nets(view: DocumentView) -> list[int]:
    """Each line's net amount in cents: its rate's VAT spread over the lines at that rate
    in proportion to their gross totals (largest remainder), so the nets at a rate add up
    to that rate's net amount exactly (BR-S-08, BR-CO-10)."""
    if {line.vat_rate_bp for line in view.lines} - {vat_line.rate_bp for vat_line in view.vat_lines}:
        raise ValueError("a line's VAT rate is missing from the VAT breakdown")
    vat_per_line = [0] * len(view.lines)
    for vat_line in view.vat_lines:
        at_rate = [i for i, line in enumerate(view.lines) if line.vat_rate_bp == vat_line.rate_bp]
        gross = [view.lines[i].total_cents for i in at_rate]
        if sum(gross) != vat_line.gross_cents:
            raise ValueError(f"lines at {vat_line.rate_bp} bp add up to {sum(gross)}, "
                             f"not the {vat_line.gross_cents} of the VAT breakdown")
        for i, share in zip(at_rate, largest_remainder(vat_line.vat_cents, gross)):
            vat_per_line[i] = share
    return [line.total_cents - vat for line, vat in zip(view.lines, vat_per_line)]


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """Split whole cents in proportion to the weights; the cents lost to rounding down go
    to the largest fractions, the earlier weight first on a tie."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)  # nothing to weigh by: a zero gross carries no VAT
    exact = [Fraction(amount * weight, total) for weight in weights]
    shares = [math.floor(part) for part in exact]
    by_fraction = sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])
    for i in by_fraction[:amount - sum(shares)]:
        shares[i] += 1
    return shares


def _amount(view: DocumentView, cents: int) -> str:
    return f"{Decimal(cents).scaleb(-MINOR_UNITS[view.currency]):f}"


def _unit_price(view: DocumentView, net_cents: int, quantity: int) -> str:
    """Net unit price (BT-146): whole cents when it divides evenly, else 4 decimals."""
    exponent = MINOR_UNITS[view.currency]
    price = (Decimal(net_cents).scaleb(-exponent) / quantity).quantize(PRICE_PLACES, ROUND_HALF_UP)
    cents = price.quantize(Decimal(1).scaleb(-exponent))
    return f"{cents if cents == price else price.normalize():f}"


def _percent(rate_bp: int) -> str:
    return f"{Decimal(rate_bp).scaleb(-2):f}"


def _without_empty(terms: dict) -> dict:
    # A term we have no value for is left out, not written as an empty element.
    return {key: value for key, value in terms.items() if value not in (None, "", [], {})}
