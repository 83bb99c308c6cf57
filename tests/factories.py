"""Request bodies a webshop would send, with overrides for the case at hand."""
from __future__ import annotations

import itertools
import zlib

_refs = itertools.count(1)


def line(reference="SKU-1", quantity=1, unit_price=1999, vat_rate=21, description=None, **extra):
    return {"reference": reference, "description": description or f"Article {reference}",
            "quantity": quantity, "unit_price": unit_price, "vat_rate": vat_rate, **extra}


def address(**overrides):
    return {"street": "Oudegracht", "house_number": "12a", "postal_code": "3511 AB",
            "city": "Utrecht", "country": "NL", **overrides}


def consumer(**overrides):
    return {"email": "sanne.devries@example.nl", "name": "Sanne de Vries", "type": "person", **overrides}


def order(lines=None, **overrides):
    shopper = overrides.pop("consumer", None) or consumer()
    return {
        "merchant_reference": f"WEB-{next(_refs):05d}",
        "currency": "EUR",
        "consumer": shopper,
        "billing_address": address(house_number=front_door(shopper["email"])),
        "lines": lines if lines is not None else [line()],
        **overrides,
    }


def front_door(email: str) -> str:
    """Each test shopper lives behind their own front door (Sanne at 12a), as people do: risk
    asks people who share a door with other shoppers that week to identify first."""
    if email == consumer()["email"]:
        return address()["house_number"]
    return str(20 + zlib.crc32(email.encode()) % 900)


def three_lines():
    return [line("SKU-1", 1, 1999, 21), line("SKU-2", 2, 450, 9), line("SKU-3", 1, 2500, 21)]


# A seller's legal details, which a business invoice needs (EN 16931 BR-S-02, BR-CO-26).
SELLER = {"legal_name": "Fietsenwinkel Utrecht B.V.", "vat_number": "NL808661863B01", "coc_number": "30123456",
          "address": {"street": "Oudegracht", "house_number": "1", "postal_code": "3511AA", "city": "Utrecht",
                      "country": "NL"}}


def give_legal_details(api) -> None:
    """The webshop sets its legal details, as it must before it may invoice businesses."""
    answer = api.patch("/merchant", json=SELLER)
    assert answer.status_code == 200, answer.json
