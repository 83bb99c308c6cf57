"""Countries and postal codes: what an address may contain."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from stdnum.exceptions import ValidationError
from stdnum.nl import postcode as nl_postcode

# CLDR knows some territories that are not ISO 3166-1 countries.
_NOT_ISO = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_ISO)


def normalize_postal_code(country: str, code: str) -> str:
    """Postal codes in their national format; raises ValueError with the reason."""
    code = code.strip().upper()
    if country == "NL":
        try:
            return nl_postcode.validate(code)
        except ValidationError:
            raise ValueError("Not a Dutch postcode; it looks like 1234 AB.") from None
    if not code:
        raise ValueError("A postal code is required.")
    return code
