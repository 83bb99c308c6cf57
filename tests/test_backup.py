"""Backups as docs/deployment.md gives them: `pg_dump -Fc` and `pg_restore` into an empty
database give back every row, and the restored database is ready (schema at the newest migration)."""
from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bnpl.app import load_models
from bnpl.db import make_engine, make_sessionmaker
from bnpl.monitoring import service as monitoring
from bnpl.uow import UnitOfWork
from tests.payments.flows import ship

pytestmark = pytest.mark.postgres


def _pg(url, *args) -> list[str]:
    """Connection options for the PostgreSQL client tools."""
    return [*args, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in load_models().sorted_tables}


def test_a_dump_restores_every_row_into_a_ready_database(api, services, clock, tmp_path):
    ship(api)
    url = make_url(services.settings.database_url)
    restored = url.set(database=f"{url.database}_restore")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dump = tmp_path / "bnpl.dump"
    subprocess.run(_pg(url, "pg_dump", "-Fc", "-f", str(dump), url.database), env=env, check=True)
    subprocess.run(_pg(url, "dropdb", "--if-exists", restored.database), env=env, check=True)
    subprocess.run(_pg(url, "createdb", restored.database), env=env, check=True)
    engine = make_engine(restored.render_as_string(hide_password=False))
    try:
        subprocess.run(_pg(url, "pg_restore", "--no-owner", "-d", restored.database, str(dump)), env=env, check=True)

        assert _counts(engine) == _counts(services.engine) and _counts(engine)["invoices"] == 1
        with make_sessionmaker(engine)() as session:
            uow = UnitOfWork(session=session, clock=clock, settings=services.settings)
            assert monitoring.readiness(uow)["migrations"] == "ok"
    finally:
        engine.dispose()
        subprocess.run(_pg(url, "dropdb", "--if-exists", restored.database), env=env, check=True)
