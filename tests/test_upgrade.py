"""The upgrade path (docs/deployment.md): a database filled by the previous release's own
`bnpl init-db` and `bnpl demo` is upgraded by this release's migrations and then served.

The previous release runs from its git tree (git archive) on this environment's packages."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bnpl.app import build_services, create_app
from bnpl.clock import SystemClock
from bnpl.config import Settings
from bnpl.db import make_engine, upgrade
from bnpl.documents.jobs import render_documents
from bnpl.dunning.jobs import run_dunning
from bnpl.monitoring import service as monitoring
from bnpl.notifications.jobs import deliver_mail
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]
# The release before this one: bump it when a release is cut (there are no tags yet; this is
# main as issue 21 began).
PREVIOUS_RELEASE = "567830b"


def _previous_release(tmp_path) -> Path:
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                      capture_output=True).returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this clone's history")
    tree = tmp_path / "previous"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _old_bnpl(tree: Path, env: dict, *args) -> str:
    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); import bnpl.cli; bnpl.cli.main()"
    done = subprocess.run([sys.executable, "-c", code, str(tree), *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def database_url_for_upgrade(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'previous.sqlite3'}"
        return
    url = make_url(PG_URL)
    upgraded = url.set(database=f"{url.database}_upgrade")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    pg = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", upgraded.database], env=env, check=True)
    subprocess.run(["createdb", *pg, upgraded.database], env=env, check=True)
    yield upgraded.render_as_string(hide_password=False)
    make_engine(upgraded.render_as_string(hide_password=False)).dispose()
    subprocess.run(["dropdb", *pg, "--if-exists", upgraded.database], env=env, check=True)


def test_the_previous_releases_demo_database_upgrades_and_is_served(tmp_path, database_url_for_upgrade):
    tree = _previous_release(tmp_path)
    env = {**os.environ, "BNPL_DATABASE_URL": database_url_for_upgrade, "BNPL_SECRET_KEY": "upgrade",
           "BNPL_INSTANCE_PATH": str(tmp_path / "instance")}
    _old_bnpl(tree, env, "init-db")
    key = re.search(r"bnpl_test_\w+", _old_bnpl(tree, env, "demo"))[0]

    engine = make_engine(database_url_for_upgrade)
    with engine.connect() as conn:
        before = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    assert {before} != monitoring.code_heads()  # there is something to upgrade

    upgrade(database_url_for_upgrade)

    services = build_services(Settings.from_env(env), SystemClock())
    try:
        client = create_app(services=services).test_client()
        orders = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}"})
        assert orders.status_code == 200 and orders.json["items"], orders.json
        ready = client.get("/readyz").json
        assert (ready["checks"]["database"], ready["checks"]["migrations"]) == ("ok", "ok"), ready
        # Today's passes run over the previous release's rows without failing.
        render_documents(services)
        run_dunning(services)
        deliver_mail(services)
    finally:
        services.engine.dispose()
