"""One Flask app for the many small cases here instead of one per test (building its routes
and OpenAPI document cost more than most tests). What a test depends on is still its own: the
database emptied before it, its settings and its clock, in the Services the app is bound to.
"""
from __future__ import annotations

import pytest


@pytest.fixture
def app(shared_app):
    return shared_app
