"""Test harness: the real schema (alembic upgrade head, once), a clean database per test,
a fixed clock, and an API client per merchant.

SQLite by default; set BNPL_TEST_DATABASE_URL to run everything on PostgreSQL.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from bnpl.app import Services, create_app, load_models, wire
from bnpl.clock import FixedClock
from bnpl.config import Settings
from bnpl.db import make_engine, make_sessionmaker, upgrade
from bnpl.merchants import service as merchants
from bnpl.uow import unit_of_work

PG_URL = os.environ.get("BNPL_TEST_DATABASE_URL")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def pytest_collection_modifyitems(config, items):
    if PG_URL and PG_URL.startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set BNPL_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:  # a test database starts from nothing
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings.from_env({"BNPL_DATABASE_URL": database_url, "BNPL_SECRET_KEY": "test-secret",
                              "BNPL_INSTANCE_PATH": str(tmp_path / "instance"),
                              # The receivers and mail servers of the tests run on loopback.
                              "BNPL_WEBHOOKS_ALLOW_LOOPBACK": "1", "BNPL_TEST_MODE_MAIL": "send"})


@pytest.fixture(scope="session")
def _engine(database_url):
    """One engine for the whole run: SQLAlchemy caches compiled statements per engine, and a
    new engine per test spent most of a small test's time compiling the same SQL again."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def services(settings, clock, _engine):
    """A test's own settings, clock and emptied database, on the shared engine."""
    assert settings.database_url == _engine.url.render_as_string(hide_password=False)
    _empty_all_tables(_engine)
    wire()  # as build_services does: the features that hear events
    return Services(settings=settings, engine=_engine, sessionmaker=make_sessionmaker(_engine), clock=clock)


def _empty_all_tables(engine) -> None:
    metadata = load_models()
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def uow(services):
    with unit_of_work(services) as work:
        yield work


@pytest.fixture
def app(services):
    app = create_app(services=services)
    app.testing = True
    return app


_shared = {}


@pytest.fixture
def shared_app(services):
    """One Flask app for a directory of many small tests (building the routes and OpenAPI
    document cost more than most of them), bound to each test's own services. For tests that
    do not change settings the app reads at creation."""
    app = _shared.get("app")
    if app is None:
        app = _shared["app"] = create_app(services=services)
        app.testing = True
    app.extensions["bnpl"] = services
    yield app
    app.extensions["bnpl"] = None  # a test that forgot to ask for `app` fails loudly, not on old data


class ApiClient:
    """The merchant API as a webshop uses it: /api/v1 paths, Bearer key, JSON."""

    def __init__(self, client, key: str | None, merchant_id: str | None = None):
        self.client, self.key, self.merchant_id = client, key, merchant_id

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**base, **(headers or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


def make_merchant(services, name: str, *, livemode: bool = False, **settings):
    settings.setdefault("email", "contact@" + "".join(c for c in name.lower() if c.isalnum())[:40] + ".example")
    with unit_of_work(services) as work:
        created = merchants.create_merchant(work, name=name, livemode=livemode, **settings)
        return created.merchant.id, created.api_key


@pytest.fixture
def api(app, services) -> ApiClient:
    merchant_id, key = make_merchant(services, "Fietsenwinkel Utrecht")
    return ApiClient(app.test_client(), key, merchant_id)


@pytest.fixture
def other_api(app, services) -> ApiClient:
    merchant_id, key = make_merchant(services, "Boekhandel Groningen")
    return ApiClient(app.test_client(), key, merchant_id)
