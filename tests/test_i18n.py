"""Every text on a document exists in every language we promise."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from babel.messages.pofile import read_po

from bnpl import i18n


@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_message_is_translated(language):
    with (i18n._CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    untranslated = [message.id for message in catalogue if message.id and not message.string]
    assert untranslated == []


@pytest.mark.parametrize("language", ["nl", "de"])
def test_placeholders_survive_translation(language):
    with (i18n._CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    for message in catalogue:
        if message.id:
            assert sorted(_placeholders(message.id)) == sorted(_placeholders(message.string)), message.id


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
