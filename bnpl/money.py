"""Money as integer minor units with an ISO 4217 currency, and VAT arithmetic.

Rounding rule (documented in the API): a line's ``unit_price`` includes VAT, so the gross
amount of every line is exact (``unit_price * quantity``). VAT is computed once per rate
on the sum of the gross amounts at that rate, ``vat = gross * rate / (100 + rate)``,
rounded half up to the cent; the net amount is ``gross - vat``. Rounding per rate, not
per line, keeps the invoice total equal to what the shopper saw and limits rounding
differences to at most half a cent per rate (EU VAT directive art. 226 permits it).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

# ISO 4217 minor-unit exponents for the codes anyone is likely to configure; a code
# outside this table is not a currency this software can handle correctly.
MINOR_UNITS = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
    "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "JPY": 0, "ISK": 0,
}


def is_iso_currency(code: str) -> bool:
    return code in MINOR_UNITS


@dataclass(frozen=True, order=True)
class Money:
    cents: int
    currency: str

    def __post_init__(self):
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money needs integer minor units, got {self.cents!r}")

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(self.cents * factor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def format(self) -> str:
        exp = MINOR_UNITS.get(self.currency, 2)
        value = Decimal(self.cents).scaleb(-exp)
        return f"{self.currency} {value:.{exp}f}"


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat_included(gross_cents: int, rate: Decimal) -> int:
    """The VAT contained in a VAT-inclusive amount, rounded half up (away from zero)."""
    return round_half_up(Decimal(gross_cents) * rate / (Decimal(100) + rate))


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    gross: int
    vat: int

    @property
    def net(self) -> int:
        return self.gross - self.vat


def vat_breakdown(lines: Iterable[tuple[Decimal, int]]) -> list[VatLine]:
    """Group (rate, gross cents) pairs per rate, highest rate first, VAT rounded per rate."""
    gross_per_rate: dict[Decimal, int] = {}
    for rate, gross in lines:
        gross_per_rate[rate] = gross_per_rate.get(rate, 0) + gross
    return [
        VatLine(rate=rate, gross=gross, vat=vat_included(gross, rate))
        for rate, gross in sorted(gross_per_rate.items(), reverse=True)
    ]
