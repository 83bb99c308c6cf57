"""Taking a person's data out of stored values: used by erasure, whoever holds the value."""
from __future__ import annotations

import re

ERASED = "[erased]"
# A needle shorter than this would match inside ids and amounts, not just the person's data.
MIN_NEEDLE = 5


def needles(values) -> set[str]:
    """The strings worth looking for: lower case, long enough to mean the person."""
    return {str(v).strip().lower() for v in values if v and len(str(v).strip()) >= MIN_NEEDLE}


def scrub(value, found: set[str]):
    """``value`` (JSON-like) with every string that contains one of ``found`` replaced."""
    if isinstance(value, dict):
        return {key: scrub(item, found) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, found) for item in value]
    if isinstance(value, str) and any(needle in value.lower() for needle in found):
        return ERASED
    return value


def scrub_text(text: str | None, found: set[str]) -> str | None:
    """Free text (a mediator's reasons) with each occurrence of the person's data replaced,
    the rest kept: why a case ended stays readable."""
    if not text:
        return text
    for needle in sorted(found, key=len, reverse=True):
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def mask_iban(iban: str | None) -> str | None:
    """Country and last four, as a bank statement's reader needs to tell accounts apart."""
    if not iban:
        return iban
    compact = iban.replace(" ", "")
    return f"{compact[:2]}…{compact[-4:]}"
