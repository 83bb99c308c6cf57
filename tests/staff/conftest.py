"""The back office as a browser uses it: a cookie session, forms with CSRF tokens (on, as in
production), and staff accounts with quick password hashes."""
from __future__ import annotations

import re
from html import unescape

import pytest
from argon2 import PasswordHasher

from bnpl.staff import service
from bnpl.staff.views import LANGUAGE_COOKIE
from bnpl.uow import unit_of_work

PASSWORD = "correct horse battery"
PRODUCTION_HASHER = service.HASHER  # taken before any test swaps it


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    # The production parameters cost ~0.2 s a hash; test_accounts checks them separately.
    monkeypatch.setattr(service, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_member(services, email="anna@bnpl.example", *, role="mediator", name="Anna de Vries",
                password=PASSWORD) -> str:
    with unit_of_work(services) as uow:
        return service.create_member(uow, email=email, name=name, role=role, password=password).id


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return unescape(match.group(1))


class StaffBrowser:
    """A test client that fills in forms the way a browser would: the CSRF token comes from
    the page the form is on. It reads the back office in English (chosen, as a member may;
    tests/staff/test_languages.py reads it in Dutch, the default)."""

    def __init__(self, client, language="en"):
        self.client = client
        if language:
            client.set_cookie(LANGUAGE_COOKIE, language, path="/staff")

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def submit(self, page, action=None, data=None, **kw):
        """GET ``page``, take its CSRF token, POST ``data`` to ``action`` (default: the page)."""
        token = csrf_token(self.client.get(page).get_data(as_text=True))
        return self.client.post(action or page, data={"csrf_token": token, **(data or {})}, **kw)

    def login(self, email="anna@bnpl.example", password=PASSWORD, next=None):
        page = "/staff/login" + (f"?next={next}" if next else "")
        return self.submit(page, "/staff/login", {"email": email, "password": password,
                                                  **({"next": next} if next else {})})


@pytest.fixture
def browser(app) -> StaffBrowser:
    return StaffBrowser(app.test_client())


@pytest.fixture
def mediator(services) -> str:
    return make_member(services)


@pytest.fixture
def signed_in(browser, mediator) -> StaffBrowser:
    r = browser.login()
    assert r.status_code == 303, r.get_data(as_text=True)
    return browser
