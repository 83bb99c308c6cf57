"""The identifiers an order is known by, normalized so that one person writing them in
different ways is still one person, and how much each one says about who someone is.

A STRONG identifier (the consumer record, an e-mail address, a phone number, an IBAN, a
device id) is taken as the person: two people found under one strong identifier are merged.
An address is MEDIUM: people at one front door are linked for the signals (velocity, earlier
fraud at that address) but not merged, since families, students and flat-sharers share one.
A city or an IP address is no identifier at all (an IP is kept with the decision only).
"""
from __future__ import annotations

from dataclasses import dataclass

STRONG, MEDIUM = "strong", "medium"

CONSUMER, EMAIL, PHONE, IBAN, DEVICE, ADDRESS, DELIVERY = (
    "consumer", "email", "phone", "iban", "device", "address", "delivery")
# ADDRESS is a billing address; DELIVERY a home delivery address (never a pick-up point).
STRENGTH = {CONSUMER: STRONG, EMAIL: STRONG, PHONE: STRONG, IBAN: STRONG, DEVICE: STRONG,
            ADDRESS: MEDIUM, DELIVERY: MEDIUM}
# What the mediators' abuse history links cases by (a delivery address is not one of them:
# a pick-up point or an office would link strangers).
HISTORY_KINDS = (EMAIL, PHONE, ADDRESS, IBAN, DEVICE)
MAX_VALUE = 300

_GMAIL = {"gmail.com", "googlemail.com"}
_COUNTRY_CALLING_CODES = {"NL": "31", "BE": "32", "DE": "49", "AT": "43", "FR": "33", "LU": "352"}


@dataclass(frozen=True, order=True)
class Identifier:
    kind: str
    value: str

    @property
    def strength(self) -> str:
        return STRENGTH[self.kind]


def normalize_email(email: str | None) -> str | None:
    """Sanne.de.Vries+shop@gmail.com and sannedevries@googlemail.com reach one mailbox:
    case and plus tags never matter, and at Gmail neither do the dots."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def normalize_phone(phone: str | None, country: str | None) -> str | None:
    """E.164: +31 6 1234 5678, +31 (0)6-12345678, 06-12345678 and 0031612345678 are one
    number, +31612345678. A national number needs a country we know the calling code of."""
    if not phone:
        return None
    text = phone.strip().replace("(0)", "")
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0") and (code := _COUNTRY_CALLING_CODES.get((country or "").upper())):
        number = code + digits[1:]
    else:
        return None
    return f"+{number}" if 8 <= len(number) <= 15 else None


def address_key(address: dict | None) -> str | None:
    """One key per front door: country, postcode and house number (12a, 12 A and 12-a alike)."""
    if not address:
        return None
    postal = "".join(ch for ch in (address.get("postal_code") or "") if ch.isalnum()).upper()
    number = "".join(ch for ch in str(address.get("house_number") or "") if ch.isalnum()).lower()
    if not postal or not number:
        return None
    return f"{(address.get('country') or '').upper()}:{postal}:{number}"


def normalize_iban(iban: str | None) -> str | None:
    compact = "".join((iban or "").split()).upper()
    return compact or None


def normalize_device(device_id: str | None) -> str | None:
    device = (device_id or "").strip()
    return device[:MAX_VALUE] or None


def of_order(*, consumer_id: str, consumer: dict, billing_address: dict, shipping_address: dict | None,
             context: dict) -> list[Identifier]:
    """Everything this order identifies its buyer by. A delivery address counts only for a
    delivery home: a parcel for a pick-up point, a shop or a hotel says nothing about who it is."""
    country = billing_address.get("country")
    found = [Identifier(CONSUMER, consumer_id),
             _maybe(EMAIL, normalize_email(consumer.get("email"))),
             _maybe(PHONE, normalize_phone(consumer.get("phone"), country)),
             _maybe(ADDRESS, address_key(billing_address)),
             _maybe(DEVICE, normalize_device(context.get("device_id")))]
    if shipping_address and context.get("delivery_method", "home") == "home":
        found.append(_maybe(DELIVERY, address_key(shipping_address)))
    return sorted({i for i in found if i is not None})


def _maybe(kind: str, value: str | None) -> Identifier | None:
    return Identifier(kind, value[:MAX_VALUE]) if value else None
