"""marshmallow fields shared by the feature schemas: money in cents, VAT rates, addresses, problems."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from stdnum.eu import vat as eu_vat

from bnpl import geo


# Control characters and lone UTF-16 surrogates: neither can be stored or printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# A day someone asks figures for (statistics): a year typed wrong (0001, 9999) must be refused
# here, before date arithmetic overflows at the calendar's ends.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
PLAUSIBLE_DAY = validate.Range(min=FIRST_DAY, max=LAST_DAY)


class Text(fields.String):
    """Text without control characters (PostgreSQL cannot store NUL; none belong on an invoice)."""

    default_error_messages = {"control": "Contains a control character; send plain text."}

    def __init__(self, max_length: int | None = None, **kwargs):
        if max_length is not None:
            kwargs["validate"] = validate.Length(min=1, max=max_length)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(text):
            raise self.make_error("control")
        return text


class VatNumber(Text):
    """An EU VAT number, stored compact (NL123456789B01). python-stdnum would quietly
    zero-pad a short number into a valid-looking one; a number must be whole as sent."""

    default_error_messages = {"vat": "Not a valid EU VAT number (check the country prefix and digits)."}

    def __init__(self, **kwargs):
        super().__init__(20, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        as_sent = re.sub(r"[\s.-]", "", text).upper()
        if not eu_vat.is_valid(text) or eu_vat.compact(text) != as_sent:
            raise self.make_error("vat")
        return as_sent


# No consumer purchase comes near EUR 10 million; the bound keeps every sum of amounts
# well inside the database's integer columns.
MAX_AMOUNT_CENTS = 1_000_000_000


class Cents(fields.Integer):
    """An amount in minor units. Floats and strings are refused, not rounded: 19.99 is
    almost always a client sending euros where cents are meant."""

    default_error_messages = {
        "invalid": "Amounts are whole cents: send 1999 for 19.99.",
        "negative": "Must not be negative.",
        "too_large": "At most {maximum} cents.",
    }

    def __init__(self, *, allow_negative: bool = False, maximum: int = MAX_AMOUNT_CENTS, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.allow_negative, self.maximum = allow_negative, maximum
        self.metadata.setdefault("description", "Amount in minor units (cents).")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        if value < 0 and not self.allow_negative:
            raise self.make_error("negative")
        if abs(value) > self.maximum:
            raise self.make_error("too_large", maximum=self.maximum)
        return value


class Quantity(fields.Integer):
    default_error_messages = {"invalid": "A quantity is a whole number from 1 to 100000."}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
            raise self.make_error("invalid")
        return value


class VatRate(fields.Field):
    """A VAT percentage with at most two decimals (21, 9, 5.5); stored as basis points."""

    default_error_messages = {"invalid": "A VAT rate is a percentage like 21 or 5.5, with at most two decimals."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="number", example=21)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        try:
            rate = Decimal(str(value))
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not rate.is_finite() or rate.as_tuple().exponent < -2 or not 0 <= rate < 100:
            raise self.make_error("invalid")
        return int(rate * 100)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else vat_percent(value)


def vat_percent(value: int | Decimal) -> int | float:
    """A VAT rate as the API shows it (21, 5.5), from basis points (an int) or a percentage."""
    rate = Decimal(value) / 100 if isinstance(value, int) else Decimal(value)
    return int(rate) if rate == rate.to_integral_value() else float(rate)


class WithRelated:
    """An object as the API answers it, together with related objects another feature owns
    (a shipment with its invoice, a return with its credit notes)."""

    def __init__(self, obj, **related):
        self._obj = obj
        self.__dict__.update(related)

    def __getattr__(self, name):
        return getattr(self._obj, name)


class VatBreakdownSchema(Schema):
    rate = VatRate()
    net = fields.Integer()
    vat = fields.Integer()
    gross = fields.Integer()


# A postal address as orders (billing, shipping), merchants (the seller) and the portal take it.
class AddressSchema(Schema):
    street = Text(200, required=True)
    house_number = Text(20, required=True)
    postal_code = Text(20, required=True)
    city = Text(100, required=True)
    country = Text(2, required=True, metadata={"description": "ISO 3166-1 alpha-2, e.g. NL"})

    @validates_schema
    def _country_and_postcode(self, data, **kwargs):
        country = (data.get("country") or "").upper()
        if country not in geo.iso_countries():
            raise ValidationError("Not an ISO 3166-1 alpha-2 country code, like NL or BE.", "country")
        if data.get("postal_code"):
            try:
                geo.normalize_postal_code(country, data["postal_code"])
            except ValueError as exc:
                raise ValidationError(str(exc), "postal_code") from None

    @post_load
    def _normalize(self, data, **kwargs):
        data["country"] = data["country"].upper()
        data["postal_code"] = geo.normalize_postal_code(data["country"], data["postal_code"])
        return data


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class PageArgsSchema(Schema):
    """?limit= and ?cursor= of every list; a list's own filters extend it."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200),
                           metadata={"description": "1 to 200, default 50"})
    cursor = Text(load_default=None, metadata={"description": "next_cursor of the previous page"})


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The answer of a list: ``{"items": [...], "next_cursor": ...}``."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema)),
                             "next_cursor": fields.String(allow_none=True)}, name=name)
