"""The harness of tests/conftest.py, made cheaper for the many small cases here: one engine and
one Flask app for the whole directory instead of one per test.

Most of a dispute test's CPU time went into compiling SQL (SQLAlchemy caches compiled
statements per engine, and every test had a new engine) and building the app (its routes and
OpenAPI document). What a test depends on is still its own: the database emptied before it, its
settings and its clock, in a Services object of its own that the app is bound to.
"""
from __future__ import annotations

import pytest

from bnpl.app import Services, create_app
from bnpl.db import make_engine, make_sessionmaker
from tests.conftest import _empty_all_tables


@pytest.fixture(scope="session")
def _engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def services(settings, clock, _engine):
    assert settings.database_url == _engine.url.render_as_string(hide_password=False)
    _empty_all_tables(_engine)
    return Services(settings=settings, engine=_engine, sessionmaker=make_sessionmaker(_engine), clock=clock)


_built = {}


@pytest.fixture
def app(services):
    app = _built.get("app")
    if app is None:
        app = _built["app"] = create_app(services=services)
        app.testing = True
    app.extensions["bnpl"] = services
    yield app
    app.extensions["bnpl"] = None  # a test that forgot to ask for `app` fails loudly, not on old data
