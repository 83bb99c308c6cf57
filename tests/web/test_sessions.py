"""The cookie session: read from a request that carries one, not even prepared for one that does
not (every API call)."""
from __future__ import annotations

from flask import request, session
from flask.sessions import SecureCookieSessionInterface


def test_a_request_without_a_session_cookie_gets_an_empty_session_without_a_serializer(app, monkeypatch):
    built = []
    real = SecureCookieSessionInterface.get_signing_serializer
    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer",
                        lambda self, app: (built.append(1), real(self, app))[1])
    with app.test_request_context("/api/v1/orders"):
        opened = app.session_interface.open_session(app, request)
        assert dict(opened) == {} and not opened.modified
    assert built == []


def test_a_session_cookie_is_still_read_and_a_forged_one_is_not(app):
    @app.get("/_test/session/<value>")
    def _set(value):
        session["seen"] = value
        return "set"

    @app.get("/_test/session")
    def _get():
        return session.get("seen", "nothing")

    client = app.test_client()
    assert client.get("/_test/session/fiets").status_code == 200
    assert client.get("/_test/session").get_data(as_text=True) == "fiets"
    stranger = app.test_client()
    stranger.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), "forged.value.here")
    assert stranger.get("/_test/session").get_data(as_text=True) == "nothing"
