"""Every webshop has a contact address: disputes (with deadlines that lose a case when missed),
requested changes and switched-off webhooks are told there. `bnpl merchants create` asks for it
(--email), PATCH /merchant can change it but never remove it, and each change is audited."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bnpl.audit import service as audit
from bnpl.cli import main
from bnpl.merchants.models import Merchant
from bnpl.uow import unit_of_work


@pytest.fixture
def run(services, settings):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}
    return lambda *args: CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def merchant_count(services) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Merchant))


def test_merchants_create_without_email_fails_and_creates_nothing(run, services):
    result = run("merchants", "create", "Boekhandel", "--test")
    assert result.exit_code != 0
    assert "email: A merchant needs a contact e-mail address (--email)" in result.output
    assert merchant_count(services) == 0


@pytest.mark.parametrize("address", ["boekhandel", "boek@", "  "])
def test_merchants_create_with_a_wrong_email_fails_and_creates_nothing(run, services, address):
    result = run("merchants", "create", "Boekhandel", "--email", address, "--test")
    assert result.exit_code != 0
    assert "email:" in result.output
    assert merchant_count(services) == 0


def test_merchants_create_stores_the_contact_address(run, services, app):
    result = run("merchants", "create", "Boekhandel", "--email", " winkel@boekhandel.example ", "--test", "--json")
    assert result.exit_code == 0, result.output
    key = json.loads(result.output)["api_key"]
    shown = app.test_client().get("/api/v1/merchant", headers={"Authorization": f"Bearer {key}"}).json
    assert shown["email"] == "winkel@boekhandel.example"


def test_patch_changes_the_contact_address_audited_and_told_to_the_old_one(api, services):
    old = api.get("/merchant").json["email"]
    answer = api.patch("/merchant", json={"email": "finance@fietsenwinkel.example"})
    assert answer.status_code == 200 and answer.json["email"] == "finance@fietsenwinkel.example"
    with unit_of_work(services) as uow:
        changed = [e for e in audit.entries(uow) if e.action == "merchant.settings_changed"]
    assert [(e.merchant_id, e.data["changed"]) for e in changed] == [(api.merchant_id, ["email"])]
    assert changed[0].actor.startswith("merchant key bnpl_test_")
    events = [e for e in api.get("/events").json["items"] if e["type"] == "merchant.contact_changed"]
    assert [e["data"] for e in events] == [{"previous_email": old, "email": "finance@fietsenwinkel.example"}]


@pytest.mark.parametrize("value", [None, "", "not-an-address"])
def test_patch_cannot_remove_or_spoil_the_contact_address(api, value):
    before = api.get("/merchant").json["email"]
    answer = api.patch("/merchant", json={"email": value})
    assert answer.status_code == 422 and "email" in answer.json["errors"]
    assert api.get("/merchant").json["email"] == before


# --- the language of the mails to that address ------------------------------------------------

def test_a_webshop_is_written_to_in_dutch_unless_it_chooses(api):
    assert api.get("/merchant").json["language"] == "nl"
    assert api.patch("/merchant", json={"language": "de"}).json["language"] == "de"
    refused = api.patch("/merchant", json={"language": "fr"})
    assert refused.status_code == 422 and "language" in refused.json["errors"]
    assert api.get("/merchant").json["language"] == "de"


def test_merchants_create_takes_the_language(run, app):
    result = run("merchants", "create", "Boekhandel", "--email", "winkel@boekhandel.example", "--language", "en",
                 "--test", "--json")
    assert result.exit_code == 0, result.output
    key = json.loads(result.output)["api_key"]
    shown = app.test_client().get("/api/v1/merchant", headers={"Authorization": f"Bearer {key}"}).json
    assert shown["language"] == "en"
