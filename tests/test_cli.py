"""The `bnpl` command as an operator uses it."""
import json
import re

import pytest
from click.testing import CliRunner

from bnpl.cli import main


@pytest.fixture
def run(services, settings):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}

    def invoke(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return invoke


def test_init_db_is_safe_to_run_again(run):
    result = run("init-db")
    assert result.exit_code == 0 and "up to date" in result.output


def test_merchants_create_prints_a_key_once_and_stores_only_its_hash(run, services):
    from sqlalchemy import select
    from bnpl.merchants.models import ApiKey

    result = run("merchants", "create", "Fietsenwinkel De Spaak", "--email", "shop@example.com", "--test", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["api_key"].startswith("bnpl_test_") and created["livemode"] is False
    with services.sessionmaker() as session:
        stored = session.scalars(select(ApiKey.key_hash)).all()
    assert stored == [ApiKey.hash(created["api_key"])]
    assert created["api_key"] not in stored


def test_a_live_key_by_default_and_settings_from_options(run):
    result = run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--payout-iban", "NL91ABNA0417164300",
                 "--invoice-term-days", "30")
    assert result.exit_code == 0, result.output
    assert "bnpl_live_" in result.output


def test_a_wrong_iban_gets_schwiftys_reason_and_creates_nothing(run, services):
    from sqlalchemy import func, select
    from bnpl.merchants.models import Merchant

    result = run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--payout-iban", "NL91ABNA0417164301")
    assert result.exit_code != 0
    assert "payout_iban: Not a valid IBAN: Invalid checksum digits" in result.output
    with services.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Merchant)) == 0


def test_demo_fills_an_empty_database_and_prints_where_to_look(run, app):
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "/docs" in result.output
    keys = re.findall(r"bnpl_test_[A-Za-z0-9]+", result.output)
    assert len(set(keys)) == 2
    client = app.test_client()
    auth = {"Authorization": f"Bearer {keys[0]}"}
    statuses = {o["status"] for o in client.get("/api/v1/orders", headers=auth).json["items"]}
    assert statuses == {"shipped", "partially_shipped", "declined", "verification_required"}
    declined = [o for o in client.get("/api/v1/orders?status=declined", headers=auth).json["items"]]
    assert {o["decision"]["reasons"][0]["code"] for o in declined} == {"overdue_invoices", "amount_above_limit"}
    waiting = client.get("/api/v1/merchant", headers=auth).json["pending_changes"]
    assert [(c["setting"], c["to"]) for c in waiting] == [("order_limit", 400_000)]  # for the admin's Changes page
    again = run("demo", "--if-empty")
    assert again.exit_code == 0 and "already has data" in again.output


def test_returns_flag_overdue_runs_one_pass(run):
    result = run("returns", "flag-overdue")
    assert result.exit_code == 0 and "0 overdue return(s) flagged." in result.output


def test_a_merchant_made_on_the_command_line_is_in_the_audit_log_by_its_name(run, services):
    from bnpl.audit import service as audit
    from bnpl.uow import unit_of_work

    assert run("merchants", "create", "Boekhandel", "--email", "shop@example.com", "--invoice-term-days", "30").exit_code == 0
    with unit_of_work(services) as uow:
        [entry] = audit.entries(uow)
    assert (entry.action, entry.data["name"], entry.data["livemode"]) == ("merchant.created", "Boekhandel", True)
