"""Identifiers written differently by one person normalize to one value; how strong each kind is."""
import pytest

from bnpl.risk import identifiers
from bnpl.risk.identifiers import Identifier


@pytest.mark.parametrize("written, normalized", [
    ("Sanne@Example.NL", "sanne@example.nl"),
    (" sanne+shop1@example.nl ", "sanne@example.nl"),
    ("sanne.de.vries@gmail.com", "sannedevries@gmail.com"),
    ("Sanne.De.Vries+bol@googlemail.com", "sannedevries@gmail.com"),
    ("sanne.de.vries@example.nl", "sanne.de.vries@example.nl"),  # dots matter outside Gmail
    ("not-an-address", None),
    ("+tag@example.nl", None),
])
def test_email(written, normalized):
    assert identifiers.normalize_email(written) == normalized


@pytest.mark.parametrize("written, country, normalized", [
    ("+31 6 1234 5678", "NL", "+31612345678"),
    ("+31 (0)6-12345678", "NL", "+31612345678"),
    ("06-12345678", "NL", "+31612345678"),
    ("0031612345678", "DE", "+31612345678"),
    ("0170 1234567", "DE", "+491701234567"),
    ("0612345678", "US", None),      # a national number of a country we know no code of
    ("12", "NL", None),
    (None, "NL", None),
])
def test_phone_is_e164(written, country, normalized):
    assert identifiers.normalize_phone(written, country) == normalized


@pytest.mark.parametrize("address, key", [
    ({"postal_code": "3511 AB", "house_number": "12a", "country": "NL"}, "NL:3511AB:12a"),
    ({"postal_code": "3511ab", "house_number": "12 A", "country": "nl"}, "NL:3511AB:12a"),
    ({"postal_code": "3511AB", "house_number": "12-a", "country": "NL"}, "NL:3511AB:12a"),
    ({"postal_code": "", "house_number": "12", "country": "NL"}, None),
])
def test_address_is_postcode_and_house_number(address, key):
    assert identifiers.address_key(address) == key


@pytest.mark.parametrize("kind, strength", [
    ("consumer", "strong"), ("email", "strong"), ("phone", "strong"), ("iban", "strong"), ("device", "strong"),
    ("address", "medium"), ("delivery", "medium"),
])
def test_strength_per_kind(kind, strength):
    assert Identifier(kind, "x").strength == strength


ADDRESS = {"street": "Oudegracht", "house_number": "12a", "postal_code": "3511 AB", "city": "Utrecht", "country": "NL"}
HOTEL = {**ADDRESS, "house_number": "1", "postal_code": "1012 AB", "city": "Amsterdam"}


@pytest.mark.parametrize("shipping, context, delivery", [
    (None, {}, None),
    (HOTEL, {}, "NL:1012AB:1"),
    (HOTEL, {"delivery_method": "home"}, "NL:1012AB:1"),
    (HOTEL, {"delivery_method": "pickup_point"}, None),  # a pick-up point says nothing about who it is
    (HOTEL, {"delivery_method": "store"}, None),
])
def test_an_order_is_known_by_its_identifiers(shipping, context, delivery):
    found = identifiers.of_order(consumer_id="con_1", consumer={"email": "S@x.nl", "phone": "0612345678"},
                                 billing_address=ADDRESS, shipping_address=shipping,
                                 context={**context, "device_id": "dev-1"})
    by_kind = {i.kind: i.value for i in found}
    assert by_kind.pop("delivery", None) == delivery
    assert by_kind == {"consumer": "con_1", "email": "s@x.nl", "phone": "+31612345678", "address": "NL:3511AB:12a",
                       "device": "dev-1"}
