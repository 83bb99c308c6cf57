"""Every text on a document exists in every language we promise."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from babel.messages.pofile import read_po

from bnpl import i18n


# The catalogues we promise complete: what consumers and webshops read in Dutch and German, and
# the back office in Dutch (it speaks Dutch and English only).
CATALOGUES = [("nl", "messages"), ("de", "messages"), ("nl", "staff")]


def _catalogue(language: str, domain: str):
    with i18n.catalogue_path(language, domain).open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


def _forms(message) -> list[str]:
    """A message's text, or each of a plural's forms."""
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


@pytest.mark.parametrize("language, domain", CATALOGUES)
def test_every_message_is_translated(language, domain):
    untranslated = [message.id for message in _catalogue(language, domain)
                    if message.id and not all(_forms(message))]
    assert untranslated == []


@pytest.mark.parametrize("language, domain", CATALOGUES)
def test_placeholders_survive_translation(language, domain):
    for message in _catalogue(language, domain):
        if message.id:
            ids = message.id if isinstance(message.id, (tuple, list)) else [message.id]
            for text in _forms(message):
                assert sorted(_placeholders(ids[-1])) == sorted(_placeholders(text)), message.id


def test_the_back_office_catalogue_is_found_beside_the_consumers():
    assert i18n.translations("nl").gettext("Back to the queue") == "Terug naar de wachtrij"  # staff.po
    assert i18n.translations("nl").gettext("Returned goods") == "Geretourneerde artikelen"  # messages.po
    assert i18n.translations("de").gettext("Back to the queue") == "Back to the queue"  # no German back office


def _placeholders(text: str) -> list[str]:
    import re
    return re.findall(r"%\((\w+)\)s", text)


@pytest.mark.parametrize("preference, country, expected", [
    ("de", "NL", "de"), (None, "NL", "nl"), (None, "BE", "nl"), (None, "AT", "de"),
    (None, "FR", "en"), ("fr", "FR", "en"), (None, None, "en"),
])
def test_the_language_is_the_consumers_choice_else_the_billing_country(preference, country, expected):
    assert i18n.language_for(preference, country) == expected


@pytest.mark.parametrize("language, money, day", [
    ("nl", "€\xa01.234,56", "7 december 2026"),
    ("en", "€1,234.56", "7 December 2026"),
    ("de", "1.234,56\xa0€", "7. Dezember 2026"),
])
def test_money_and_dates_follow_the_language(language, money, day):
    assert i18n.format_money(123456, "EUR", language) == money
    assert i18n.format_date(date(2026, 12, 7), language) == day


@pytest.mark.parametrize("language, winter, summer", [
    ("nl", "7 december 2026 om 11:00", "7 juli 2026 om 12:00"),
    ("en", "7 December 2026 at 11:00", "7 July 2026 at 12:00"),
    ("de", "7. Dezember 2026 um 11:00 Uhr", "7. Juli 2026 um 12:00 Uhr"),
])
def test_a_deadline_is_shown_on_the_clock_of_the_business_timezone(language, winter, summer):
    assert i18n.format_datetime(datetime(2026, 12, 7, 10, tzinfo=timezone.utc), language, "Europe/Amsterdam") == winter
    assert i18n.format_datetime(datetime(2026, 7, 7, 10, tzinfo=timezone.utc), language, "Europe/Amsterdam") == summer


def test_a_system_reason_is_translated_and_a_merchants_own_is_not():
    assert i18n.translations("nl").gettext(i18n.N_("Returned goods")) == "Geretourneerde artikelen"
    assert i18n.translations("nl").gettext("Kapot aangekomen, 100% zeker") == "Kapot aangekomen, 100% zeker"
