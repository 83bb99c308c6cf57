"""The portal as a browser uses it: a device cookie, forms with CSRF tokens (on, as in
production), pages in the reader's language. One Flask app for the whole directory (as in
tests/disputes/conftest.py): what a test depends on, its database, settings and clock, is
still its own."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bnpl.notifications.models import OutboxMessage
from tests.payments.flows import ship

EMAIL = "sanne.devries@example.nl"
POSTCODE = "3511 AB"


@pytest.fixture
def app(shared_app):
    return shared_app


def csrf_token(html: str) -> str:
    match = re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return unescape(match.group(1))


def text(response) -> str:
    """The page's text, entities resolved, tags and runs of white space as one space."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


class Browser:
    """A test client that fills in forms the way a browser would: the CSRF token comes from
    the page the form is on, fields are named as the page names them."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def page(self, path, status=200) -> str:
        r = self.client.get(path)
        assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:3000])
        return r.get_data(as_text=True)

    def submit(self, page, action=None, data=None, **kw):
        """GET ``page``, take its CSRF token, POST ``data`` to ``action`` (default: the page)."""
        token = csrf_token(self.page(page))
        return self.client.post(action or page, data={"csrf_token": token, **(data or {})}, **kw)

    def post_without_token(self, action, data=None):
        return self.client.post(action, data=data or {})

    def device_cookie(self):
        return self.client.get_cookie("bnpl_portal_device", path="/portal")


@pytest.fixture
def browser(app) -> Browser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"  # the pages' texts as the tests read them
    return Browser(client)


def sign_in_link(browser, services, email=EMAIL) -> str:
    """Ask for a link on the sign-in page; the path of the link that was e-mailed."""
    r = browser.submit("/portal/sign-in", "/portal/sign-in/email", {"link-email": email})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in/sent"), r.get_data(as_text=True)
    with services.sessionmaker() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in")
                                  .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())).first()
    return urlsplit(message.payload["link"]).path


def sign_in(browser, services, email=EMAIL) -> Browser:
    link = sign_in_link(browser, services, email)
    r = browser.submit(link)
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/"), r.get_data(as_text=True)[:2000]
    return browser


@pytest.fixture
def invoice(api) -> dict:
    return ship(api)


@pytest.fixture
def signed_in(browser, services, invoice) -> Browser:
    return sign_in(browser, services)


@pytest.fixture
def stranger_invoice(other_api) -> dict:
    """An invoice of someone else, at another webshop."""
    from tests import factories

    return ship(other_api, consumer=factories.consumer(email="jan.jansen@example.nl", name="Jan Jansen"),
                billing_address=factories.address(postal_code="9711 AA", city="Groningen"))
