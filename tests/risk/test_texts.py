"""Every reason has a plain text for the webshop (en) and the consumer (nl, en, de); a
webshop's text names nothing but this order's own amounts and its own limit."""
import re

import pytest

from bnpl.risk import texts

PARAMS = {"amount": 12_345, "limit": 250_000, "minimum_age": 18, "days": 14, "webshops": 3}
CODES = sorted(texts.TEXTS)


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("audience", ["webshop", "nl", "en", "de"])
def test_every_reason_has_a_text_for_every_audience(code, audience):
    text = texts.text(code, PARAMS, audience=audience, currency="EUR")
    assert text and "{" not in text


@pytest.mark.parametrize("code", CODES)
def test_a_webshop_text_uses_only_what_the_webshop_may_see(code):
    placeholders = set(re.findall(r"{(\w+)}", texts.TEXTS[code][texts.WEBSHOP]))
    assert placeholders <= {"amount", "limit", "minimum_age"}


@pytest.mark.parametrize("code", CODES)
def test_the_three_languages_are_three_texts(code):
    assert len({texts.TEXTS[code][language] for language in ("nl", "en", "de")}) == 3


@pytest.mark.parametrize("audience, expected", [
    ("webshop", "The order total €123.45 is more than the consumer may currently have open with us."),
    ("nl", "Het bedrag van € 123,45 is hoger dan uw bestedingsruimte op dit moment."),
    ("en", "The amount of €123.45 is more than your spending room at the moment."),
    ("de", "Der Betrag von 123,45 € übersteigt derzeit Ihren Ausgaberahmen."),
])
def test_amounts_are_written_the_way_each_language_writes_them(audience, expected):
    text = texts.text("above_room", {"amount": 12_345}, audience=audience, currency="EUR")
    assert text.replace("\xa0", " ").startswith(expected)


def test_every_code_the_decision_can_give_has_texts():
    import inspect

    from bnpl.risk import decision

    given = set(re.findall(r'Reason\("(\w+)"', inspect.getsource(decision)))
    assert given and given <= set(texts.TEXTS)
