"""Languages, translations and number/date formatting for documents, e-mail and pages.

Source strings are English; Dutch and German live in gettext catalogues under
``bnpl/translations/<lang>/LC_MESSAGES/messages.po`` (edit them with any PO editor).
Amounts and dates are formatted by Babel with the locale's own conventions.
"""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bnpl.money import MINOR_UNITS

LANGUAGES = ("nl", "en", "de")
DEFAULT_LANGUAGE = "en"
# Whom we address in which language when they did not say: by billing country.
_COUNTRY_LANGUAGE = {"NL": "nl", "BE": "nl", "SR": "nl", "AW": "nl", "CW": "nl", "SX": "nl",
                     "DE": "de", "AT": "de", "CH": "de", "LI": "de", "LU": "de"}
_LOCALES = {"nl": "nl_NL", "en": "en_IE", "de": "de_DE"}  # en_IE: euro amounts, day-month dates
_CATALOGUES = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Mark a text the system stores (a credit note's reason) for translation when shown."""
    return message


class Said(str):
    """A sentence for people, in English, that keeps its template and parts: a page says it in
    its reader's language (bnpl.web.language.Refusals); the API, a log or a mail to a webshop
    get the English sentence, which it is."""

    template: str
    params: dict

    def __new__(cls, template: str, params: dict):
        sentence = super().__new__(cls, template % params if params else template)
        sentence.template, sentence.params = template, params
        return sentence


def said(template: str, /, **params) -> Said:
    """A service's sentence (a refusal), its varying parts as ``%(name)s``, for translation where
    it is shown. ``scripts/translations.py`` extracts ``said("...")`` into the catalogues."""
    return Said(template, params)


def language_for(preference: str | None, country: str | None) -> str:
    """The consumer's own choice first, else the language of the billing country."""
    if preference in LANGUAGES:
        return preference
    return _COUNTRY_LANGUAGE.get((country or "").upper(), DEFAULT_LANGUAGE)


# Gettext domains, each a catalogue per language: ``messages`` holds what consumers and webshops
# read (nl, de); ``staff`` the back office's words (nl only: the back office speaks Dutch and
# English). A message is looked up in the first catalogue that has it.
DOMAINS = ("messages", "staff")


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The compiled catalogues for a language (English is the source and needs none)."""
    found = NullTranslations()
    if language == "en":
        return found
    for domain in reversed(DOMAINS):
        po = catalogue_path(language, domain)
        if po.exists():
            with po.open("rb") as handle:
                catalogue = read_po(handle, locale=language, domain=domain)
            buffer = io.BytesIO()
            write_mo(buffer, catalogue)
            buffer.seek(0)
            compiled = Translations(fp=buffer, domain=domain)
            compiled.add_fallback(found)
            found = compiled
    return found


def catalogue_path(language: str, domain: str = "messages") -> Path:
    return _CATALOGUES / language / "LC_MESSAGES" / f"{domain}.po"


@lru_cache(maxsize=None)
def locale(language: str) -> Locale:
    return Locale.parse(_LOCALES.get(language, _LOCALES[DEFAULT_LANGUAGE]))


def format_money(cents: int, currency: str, language: str) -> str:
    """``€ 1.234,56`` (nl), ``€1,234.56`` (en), ``1.234,56 €`` (de)."""
    amount = Decimal(cents).scaleb(-MINOR_UNITS.get(currency, 2))
    return numbers.format_currency(amount, currency, locale=locale(language))


def format_date(day: date, language: str) -> str:
    """``7 december 2026``, ``7 December 2026``, ``7. Dezember 2026``."""
    return dates.format_date(day, format="long", locale=locale(language))


def format_datetime(instant: datetime, language: str, timezone: str) -> str:
    """A moment (a deadline) on the clock of the given timezone: ``7 december 2026 om 11:00``,
    ``7 December 2026 at 11:00``, ``7. Dezember 2026 um 11:00 Uhr``."""
    local = instant.astimezone(ZoneInfo(timezone))
    return translations(language).gettext(N_("%(date)s at %(time)s")) % {
        "date": format_date(local.date(), language),
        "time": dates.format_time(local, "HH:mm", locale=locale(language))}


def format_percent(rate_bp: int, language: str) -> str:
    """A VAT rate in basis points as ``21%``, ``9%`` or ``5,5%``."""
    return numbers.format_decimal(Decimal(rate_bp).scaleb(-2), format="#,##0.##", locale=locale(language)) + "%"


def format_number(value: int | float | str | Decimal, language: str, pattern: str = "#,##0.##") -> str:
    """A number as the language writes it: ``1.234,5`` (nl), ``1,234.5`` (en); ``pattern`` fixes the decimals."""
    return numbers.format_decimal(Decimal(str(value)), format=pattern, locale=locale(language))
