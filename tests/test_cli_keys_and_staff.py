"""`bnpl merchants keys create|revoke` and `bnpl staff deactivate|unlock|reset-password`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bnpl.cli import main
from tests.conftest import ApiClient


@pytest.fixture
def run(services, settings):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}

    def invoke(*args, **extra_env):
        return CliRunner().invoke(main, list(args), env={**env, **extra_env}, catch_exceptions=False)
    return invoke


def test_keys_create_prints_a_working_key_once(run, app):
    merchant = json.loads(run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--test", "--json").output)
    result = run("merchants", "keys", "create", "Boekhandel", "--name", "warehouse", "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["api_key"].startswith("bnpl_test_") and made["merchant_id"] == merchant["id"]
    assert ApiClient(app.test_client(), made["api_key"]).get("/merchant").status_code == 200


def test_a_live_key_from_the_command_line_needs_an_approved_webshop(run):
    run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--test")
    result = run("merchants", "keys", "create", "Boekhandel", "--live")
    assert result.exit_code != 0 and "approved" in result.output


def test_keys_revoke_by_prefix_and_the_key_answers_401(run, app):
    created = json.loads(run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--test", "--json").output)
    client = ApiClient(app.test_client(), created["api_key"])
    assert client.get("/merchant").status_code == 200
    result = run("merchants", "keys", "revoke", created["api_key"][:14])
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output
    assert client.get("/merchant").status_code == 401


# --- staff accounts -------------------------------------------------------------------------

@pytest.fixture
def member(run):
    result = run("staff", "create", "anna@bnpl.example", "--role", "mediator",
                 BNPL_STAFF_PASSWORD="correct horse battery")
    assert result.exit_code == 0, result.output


def test_staff_deactivate_then_sign_in_fails(run, member, services):
    from bnpl.staff import service
    from bnpl.uow import unit_of_work

    result = run("staff", "deactivate", "Anna@bnpl.example")
    assert result.exit_code == 0 and "deactivated" in result.output
    with unit_of_work(services) as uow, pytest.raises(service.SignInFailed):
        service.sign_in(uow, email="anna@bnpl.example", password="correct horse battery")


def test_staff_reset_password_and_unlock(run, member, services):
    from bnpl.staff import service
    from bnpl.uow import unit_of_work

    result = run("staff", "reset-password", "anna@bnpl.example", BNPL_STAFF_PASSWORD="another long password")
    assert result.exit_code == 0, result.output
    with unit_of_work(services) as uow:
        assert service.sign_in(uow, email="anna@bnpl.example", password="another long password")
    assert run("staff", "unlock", "anna@bnpl.example").exit_code == 0
    assert "No staff account" in run("staff", "unlock", "nobody@bnpl.example").output
