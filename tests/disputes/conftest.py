"""One Flask app for the many small cases here instead of one per test (building its routes
and OpenAPI document cost more than most tests). What a test depends on is still its own: the
database emptied before it, its settings and its clock, in the Services the app is bound to.
"""
from __future__ import annotations

import pytest

from bnpl.app import create_app

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
