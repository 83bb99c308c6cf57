"""`bnpl consumers erase EMAIL`: what no law requires us to keep is removed; the invoices and
their payments stay for the 7-year fiscal retention, with personal data reduced to the name and
address the invoice was issued to; refused while a debt is open or a dispute runs."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bnpl.app import load_models
from bnpl.cli import main
from bnpl.errors import Conflict
from bnpl.privacy import service as privacy
from bnpl.uow import unit_of_work
from tests.privacy.conftest import EMAIL, IBAN, NAME, PHONE, pay

# What fiscal retention keeps: the invoice as issued (to whom, at which address) and its PDF.
RETAINED = {("invoices", "billed_to"), ("documents", "content")}


def where_found(services, needle: str) -> set[tuple[str, str]]:
    """Every (table, column) of the whole database where ``needle`` occurs, any case."""
    found = set()
    with services.sessionmaker() as session:
        for table in load_models().sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if needle.lower() in _text(value).lower():
                        found.add((table.name, column))
    return found


def _text(value) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else json.dumps(value, default=str)


def erase(services):
    with unit_of_work(services) as uow:
        return privacy.erase(uow, email=EMAIL, actor="support@bnpl.example")


def test_erasure_is_refused_while_a_debt_is_open_and_says_which(purchases, services):
    with pytest.raises(Conflict) as refused:
        erase(services)

    assert purchases["open"]["number"] in refused.value.detail
    assert "Boekhandel Groningen" in refused.value.detail
    assert where_found(services, EMAIL)  # nothing was touched


def test_after_erasure_only_the_retained_invoice_knows_the_name(purchases, services):
    # The search finds what is there: the stored API response, the sign-in link, the bank's record.
    assert {("idempotency_keys", "body"), ("portal_sign_in_links", "email")} <= where_found(services, EMAIL)
    assert where_found(services, IBAN) and where_found(services, PHONE)
    pay(services, purchases["open"])

    erase(services)

    assert where_found(services, EMAIL) == set()
    assert where_found(services, IBAN) == set()
    assert where_found(services, PHONE) == set()
    assert where_found(services, NAME) <= RETAINED


def test_the_invoices_and_their_payments_stay_for_fiscal_retention(purchases, services, api):
    pay(services, purchases["open"])
    erase(services)

    kept = api.get(f"/invoices/{purchases['paid']['id']}").json
    assert (kept["number"], kept["total"], kept["status"]) == (purchases["paid"]["number"],
                                                               purchases["paid"]["total"], "paid")
    assert kept["billed_to"]["name"] == NAME and "email" not in kept["billed_to"]
    assert [p["amount"] for p in kept["payments"]] == [purchases["paid"]["total"]]


def test_the_command_erases_and_tells_what_was_kept(purchases, services, monkeypatch):
    pay(services, purchases["open"])
    monkeypatch.setenv("BNPL_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("BNPL_SECRET_KEY", "test-secret")

    result = CliRunner().invoke(main, ["consumers", "erase", EMAIL])

    assert result.exit_code == 0, result.output
    assert "kept for fiscal retention until" in result.output
    assert where_found(services, EMAIL) == set()


def test_the_command_refuses_with_the_reason(purchases, services, monkeypatch):
    monkeypatch.setenv("BNPL_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("BNPL_SECRET_KEY", "test-secret")

    result = CliRunner().invoke(main, ["consumers", "erase", EMAIL])

    assert result.exit_code == 1 and purchases["open"]["number"] in result.output


def test_the_erasure_is_in_the_audit_log_without_the_address(purchases, services):
    from bnpl.audit import service as audit

    pay(services, purchases["open"])
    erase(services)

    with unit_of_work(services) as uow:
        [entry] = [e for e in audit.entries(uow) if e.action == "consumer.erased"]
        assert entry.actor == "support@bnpl.example" and len(entry.data["consumers"]) == 1


def test_a_running_dispute_blocks_and_a_closed_one_loses_its_texts_and_evidence(purchases, services):
    from bnpl.disputes import service as disputes
    from bnpl.disputes.models import Evidence
    from tests.disputes.cases import consumer_of, open_case, pdf_file

    invoice = purchases["open"]
    case = open_case(services, invoice["id"], evidence=[pdf_file("parcel-sanne-de-vries.pdf")],
                     description=f"Nothing arrived. {NAME}, call me at {PHONE}.")
    pay(services, invoice)  # the debt is gone; the case still runs

    with pytest.raises(Conflict) as refused:
        erase(services)
    assert f"the dispute about invoice {invoice['number']} is still running" in refused.value.detail

    with unit_of_work(services) as uow:
        disputes.withdraw(uow, consumer_id=consumer_of(services, invoice["id"]), dispute_id=case,
                          message=f"Found it at the neighbours, {NAME}")
    erase(services)

    assert where_found(services, PHONE) == set() and where_found(services, NAME) <= RETAINED
    with services.sessionmaker() as session:
        assert session.scalars(select(Evidence)).all() == []


def test_the_command_can_check_first_and_changes_nothing(purchases, services, monkeypatch):
    monkeypatch.setenv("BNPL_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("BNPL_SECRET_KEY", "test-secret")

    blocked = CliRunner().invoke(main, ["consumers", "erase", EMAIL, "--check"])
    pay(services, purchases["open"])
    free = CliRunner().invoke(main, ["consumers", "erase", EMAIL, "--check"])

    assert blocked.exit_code == 1 and purchases["open"]["number"] in blocked.output
    assert free.exit_code == 0 and "can be erased now" in free.output
    assert ("consumers", "email") in where_found(services, EMAIL)
