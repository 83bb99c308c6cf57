"""`bnpl settlements run` as an operator uses it."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bnpl import cli
from bnpl.settlements.models import Settlement
from tests.settlements.conftest import at, credit, set_fee, ship


@pytest.fixture
def run(services, monkeypatch):
    monkeypatch.setattr(cli, "_services", lambda: services)  # the fixed clock of the tests

    def invoke(*args):
        return CliRunner().invoke(cli.main, ["settlements", "run", *args], catch_exceptions=False)
    return invoke


def stored(services):
    with services.sessionmaker() as session:
        return session.scalars(select(Settlement).order_by(Settlement.merchant_id)).all()


def test_run_settles_the_previous_month_by_default_with_one_line_per_merchant(run, api, other_api, services, clock):
    set_fee(services, api.merchant_id, 150)
    clock.set(at(2026, 11, 5))
    inv = ship(api, 1900)
    credit(api, inv["id"], 400)
    ship(other_api, 4000)
    clock.set(at(2026, 12, 1, 6))

    result = run()

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    mine = next(line for line in lines if "Fietsenwinkel Utrecht" in line)
    assert mine.startswith("2026-11  Fietsenwinkel Utrecht (") and ", test)" in mine
    assert "invoiced EUR 19.00  credited EUR 4.00  fee EUR 0.29  payable EUR 14.71  stl_" in mine
    assert "Boekhandel Groningen" in result.output and "payable EUR 40.00" in result.output
    assert len(stored(services)) == 2

    again = run("--month", "2026-11")
    assert again.exit_code == 0 and again.output == result.output  # the same rows, nothing new
    assert len(stored(services)) == 2


def test_run_refuses_a_month_that_has_not_ended(run, api, services):
    ship(api, 1000)  # today is 2026-11-23
    result = CliRunner().invoke(cli.main, ["settlements", "run", "--month", "2026-11"])
    assert result.exit_code == 1 and "has not ended yet" in result.output
    assert stored(services) == []


def test_run_says_so_when_there_is_nothing_to_settle(run):
    result = run("--month", "2026-10")
    assert result.exit_code == 0 and result.output == "Nothing to settle for 2026-10: no invoices or credit notes.\n"


@pytest.mark.parametrize("month", ["2026", "2026-13", "november", "2026-11-01"])
def test_run_refuses_what_is_not_a_month(run, month):
    result = CliRunner().invoke(cli.main, ["settlements", "run", "--month", month])
    assert result.exit_code != 0 and ("YYYY-MM" in result.output or "is not a month" in result.output)
