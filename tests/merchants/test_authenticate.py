"""Authenticating a request: one statement reads the key and its merchant; the merchant becomes an
object of the session only when the request asks for it, equal to what the ORM loads."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event, inspect, select, update

from bnpl.errors import Unauthorized
from bnpl.merchants import service as merchants
from bnpl.merchants.models import ApiKey, Merchant
from bnpl.uow import unit_of_work
from tests.conftest import make_merchant


@pytest.fixture
def statements(services):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement != "BEGIN IMMEDIATE":
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    yield seen
    event.remove(services.engine, "before_cursor_execute", count)


def _detailed_merchant(services):
    merchant_id, key = make_merchant(services, "Fietsenwinkel Utrecht", email="shop@fiets.example")
    with unit_of_work(services) as uow:
        uow.session.execute(update(Merchant).where(Merchant.id == merchant_id).values(
            legal_name="Fiets B.V.", address={"line1": "Oudegracht 1", "city": "Utrecht", "country": "NL"},
            vat_number="NL123456789B01", approved_at=datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc),
            approved_by="admin", logo=b"\x89PNG", logo_type="image/png"))
        uow.session.execute(update(ApiKey).where(ApiKey.merchant_id == merchant_id).values(
            last_used_at=uow.now()))  # used just now: no write of its last use
    return merchant_id, key


def test_the_merchant_read_with_the_key_is_the_merchant_the_orm_loads_and_costs_no_statement(services, statements):
    merchant_id, key = _detailed_merchant(services)
    with services.sessionmaker() as session:
        loaded = session.get(Merchant, merchant_id)
        expected = {prop.key: getattr(loaded, prop.key) for prop in inspect(Merchant).column_attrs}
    with unit_of_work(services) as uow:
        statements.clear()
        scope = merchants.authenticate(uow, api_key=key)
        assert len(statements) == 1 and not uow.commit_early
        merchant = merchants.get_merchant(uow, merchant_id=scope.merchant_id)
        assert merchants.get_merchant(uow, merchant_id=scope.merchant_id) is merchant
        assert len(statements) == 1
        assert uow.session.scalar(select(Merchant).where(Merchant.id == merchant_id)) is merchant
        assert {prop.key: getattr(merchant, prop.key) for prop in inspect(Merchant).column_attrs} == expected
        assert merchant.approved_at.tzinfo is not None and merchant.logo == b"\x89PNG"  # the logo, on demand
        assert len(statements) == 3
        merchant.name = "Fietsenwinkel Utrecht-Oost"  # an object of the session: changes are written
    with services.sessionmaker() as session:
        assert session.get(Merchant, merchant_id).name == "Fietsenwinkel Utrecht-Oost"


def test_a_later_transaction_reads_the_merchant_afresh(services):
    merchant_id, key = _detailed_merchant(services)
    with unit_of_work(services) as uow:
        merchants.authenticate(uow, api_key=key)
        uow.commit()  # SQLite: a second writer waits for this transaction to end
        with unit_of_work(services) as other:
            other.session.execute(update(Merchant).where(Merchant.id == merchant_id).values(transit_days=9))
        assert merchants.get_merchant(uow, merchant_id=merchant_id).transit_days == 9


def test_a_revoked_or_unknown_key_is_refused(services):
    merchant_id, key = _detailed_merchant(services)
    with unit_of_work(services) as uow:
        uow.session.execute(update(ApiKey).where(ApiKey.merchant_id == merchant_id).values(revoked_at=uow.now()))
    for sent in (key, key[:-1] + ("x" if key[-1] != "x" else "y"), "bnpl_test_", None, "sk_" + key):
        with unit_of_work(services) as uow, pytest.raises(Unauthorized):
            merchants.authenticate(uow, api_key=sent)
