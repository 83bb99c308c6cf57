"""Migrations carry existing data forward, not only the empty schema."""
from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from bnpl.db import alembic_config
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """A database of its own: the session's test database is already at head."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    server = make_url(PG_URL)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{server.database}_migrations"
    with admin.connect() as db:
        db.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        db.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as db:
        db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_invoices_issued_before_documents_get_their_seller_and_order_reference(empty_database):
    url = empty_database
    command.upgrade(alembic_config(url), "0003")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO merchants (id, name, created_at, invoice_term_days, transit_days, "
                        "order_limit_cents, return_pause_days) VALUES ('mer_1', 'Fietsenwinkel', '2026-01-01', 14, 2, 250000, 28)"))
        db.execute(text("INSERT INTO consumers (id, livemode, email, created_at) VALUES ('con_1', false, 'a@b.nl', '2026-01-01')"))
        db.execute(text("INSERT INTO orders (id, merchant_id, livemode, merchant_reference, consumer_id, status, currency, "
                        "total_cents, consumer, billing_address, decision, created_at) VALUES ('ord_1', 'mer_1', false, 'WEB-1', "
                        "'con_1', 'shipped', 'EUR', 100, '{}', '{}', '{}', '2026-01-01')"))
        db.execute(text("INSERT INTO invoices (id, number, payment_reference, merchant_id, livemode, order_id, shipment_id, "
                        "consumer_id, status, currency, total_cents, billed_to, term_days, issued_at, due_date, created_at) "
                        "VALUES ('inv_1', 'TEST-2026-000001', 'RF00', 'mer_1', false, 'ord_1', 'shp_1', 'con_1', 'open', 'EUR', 100, "
                        "'{}', 14, '2026-01-01', '2026-01-15', '2026-01-01')"))
    command.upgrade(alembic_config(url), "head")

    with engine.connect() as db:
        seller, reference = db.execute(text("SELECT seller, order_reference FROM invoices")).one()
    engine.dispose()
    assert (json.loads(seller) if isinstance(seller, str) else seller) == {"name": "Fietsenwinkel", "legal_name": "Fietsenwinkel"}
    assert reference == "WEB-1"


def test_webshops_with_a_live_key_before_approvals_existed_stay_approved(empty_database):
    url = empty_database
    command.upgrade(alembic_config(url), "0014")
    engine = create_engine(url)
    with engine.begin() as db:
        for merchant_id, live in (("mer_live", True), ("mer_test", False)):
            db.execute(text("INSERT INTO merchants (id, name, created_at, invoice_term_days, transit_days, "
                            "order_limit_cents, return_pause_days) VALUES (:id, :id, '2026-01-01', 14, 2, 250000, 28)"),
                       {"id": merchant_id})
            db.execute(text("INSERT INTO api_keys (id, merchant_id, livemode, key_hash, prefix, created_at) "
                            "VALUES (:key, :id, :live, :key, 'bnpl_x', '2026-01-01')"),
                       {"key": f"key_{merchant_id}", "id": merchant_id, "live": live})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as db:
        approved = dict(db.execute(text("SELECT id, approved_at IS NOT NULL FROM merchants")).all())
    engine.dispose()
    assert approved == {"mer_live": True, "mer_test": False}


def test_invoice_pages_keep_room_for_a_changed_rows_new_version(empty_database):
    """An invoice is changed in place (paid, a dunning level, paused): with room on its page the
    new version stays there (migration 0029)."""
    if empty_database.startswith("sqlite"):
        pytest.skip("a PostgreSQL storage parameter: SQLite rewrites a changed row's page anyway")
    command.upgrade(alembic_config(empty_database), "head")
    engine = create_engine(empty_database)
    with engine.connect() as db:
        options = db.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'invoices'")).scalar()
    engine.dispose()
    assert "fillfactor=80" in options
    command.downgrade(alembic_config(empty_database), "0028")
