"""A webshop taken on by the provider (the back office's onboarding) is written to in the
language chosen for it: one we write merchant mail in, Dutch when none was chosen; any other
value is refused at its field, and the audit log says which language it got."""
from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from bnpl.audit import service as audit
from bnpl.errors import InvalidInput
from bnpl.merchants import service as merchants
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.uow import unit_of_work
from tests.outbox import deliver_outbox

STAFF = "staff Erik Admin (erik@bnpl.example)"
CONTACT = "info@ezelsoor.example"
IDENTITY = {"email": CONTACT, "legal_name": "Het Ezelsoor V.O.F.", "vat_number": "NL004495445B01",
            "address": {"street": "Vismarkt", "house_number": "44", "postal_code": "9711KT", "city": "Groningen",
                        "country": "NL"}}


def onboard(services, **options) -> str:
    with unit_of_work(services) as uow:
        return merchants.onboard(uow, name="Boekhandel Het Ezelsoor", identity=IDENTITY, actor=STAFF,
                                 **options).merchant.id


def mails_to_contact(services) -> list[OutboxMessage]:
    with unit_of_work(services) as uow:
        return list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == CONTACT,
                                                                    OutboxMessage.channel == EMAIL)))


def test_a_webshop_taken_on_in_german_gets_its_mails_in_german(services, settings):
    merchant_id = onboard(services, language="de")
    with unit_of_work(services) as uow:  # approved: its first live key is made, and the webshop told
        prefix = merchants.approve(uow, merchant_id=merchant_id, actor=STAFF).key.prefix

    [row] = mails_to_contact(services)
    assert (row.kind, row.language) == ("api_key_change", "de")
    assert deliver_outbox(services) == {"delivered": 1}
    with (settings.instance_path / "outbox" / f"{row.id}.eml").open("rb") as handle:
        written = email.message_from_binary_file(handle, policy=email.policy.default)
    assert written["To"] == CONTACT
    assert written["Subject"] == f"Live-API-Schlüssel {prefix}… erstellt"
    body = written.get_body(("plain",)).get_content()
    assert body.startswith("Hallo Boekhandel Het Ezelsoor,")
    assert f'Ein neuer Live-API-Schlüssel wurde erstellt ("first live key"): Er beginnt mit {prefix}.' in body
    assert "A new live API key" not in body and "Mit freundlichen Grüßen" in body


def test_a_webshop_taken_on_without_a_choice_is_written_to_in_dutch(services):
    merchant_id = onboard(services)
    with unit_of_work(services) as uow:
        assert merchants.get_merchant(uow, merchant_id=merchant_id).language == "nl"
        merchants.approve(uow, merchant_id=merchant_id, actor=STAFF)
    assert [row.language for row in mails_to_contact(services)] == ["nl"]


@pytest.mark.parametrize("language", ["fr", "NL", "german", "de "])
def test_a_language_we_do_not_write_in_is_refused_at_its_field_and_nothing_is_taken_on(services, language):
    with pytest.raises(InvalidInput) as refused:
        onboard(services, language=language)
    assert refused.value.extra["errors"] == {
        "language": ["Choose one of the languages we write to webshops in: nl, en, de."]}
    with unit_of_work(services) as uow:
        assert merchants.all_merchants(uow) == []


def test_a_wrong_language_is_told_together_with_the_other_fields_errors(services):
    with pytest.raises(InvalidInput) as refused:
        with unit_of_work(services) as uow:
            merchants.onboard(uow, name="Boekhandel", identity={**IDENTITY, "vat_number": "NL123"}, actor=STAFF,
                              language="fr")
    assert sorted(refused.value.extra["errors"]) == ["language", "vat_number"]


@pytest.mark.parametrize("chosen, recorded", [({"language": "de"}, "de"), ({}, "nl")])
def test_the_audit_row_says_the_language_it_was_taken_on_with(services, chosen, recorded):
    merchant_id = onboard(services, **chosen)
    with unit_of_work(services) as uow:
        [entry] = [e for e in audit.entries(uow, merchant_id=merchant_id) if e.action == "merchant.created"]
    assert (entry.actor, entry.data["language"]) == (STAFF, recorded)
    assert ("language" in entry.data["settings"]) == bool(chosen)  # named among the fields filled in, as they are
