"""Signing in and out of the back office, and what protects its pages."""
from __future__ import annotations

from dataclasses import replace

import pytest

from werkzeug.exceptions import Forbidden

from bnpl.app import create_app
from tests.staff.conftest import PASSWORD, csrf_token, make_member


def test_the_login_page_is_a_form_with_labels_and_a_csrf_token(browser):
    r = browser.get("/staff/login")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert '<label for="email">E-mail address</label>' in html and '<label for="password">Password</label>' in html
    assert csrf_token(html)


def test_signing_in_leads_to_the_queue_with_name_role_and_sign_out(signed_in):
    r = signed_in.get("/staff/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Anna de Vries" in html and "mediator" in html
    assert 'action="/staff/logout"' in html
    for path in ("/staff/", "/staff/statistics", "/staff/cases/new"):
        assert f'href="{path}"' in html


def test_a_wrong_password_is_refused_on_the_page(browser, mediator):
    r = browser.login(password="not the password")
    html = r.get_data(as_text=True)
    assert r.status_code == 401 and "The e-mail address or the password is not right." in html
    assert browser.get("/staff/").status_code == 303  # still signed out


def test_an_unknown_email_gets_the_same_page_as_a_wrong_password(browser, mediator):
    wrong = browser.login(password="not the password")
    unknown = browser.login(email="nobody@bnpl.example", password="not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or the password is not right."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_until_fifteen_minutes_later(browser, mediator, clock):
    for _ in range(4):
        assert browser.login(password="not the password").status_code == 401
    locked = browser.login(password="not the password")
    assert locked.status_code == 423 and "locked" in locked.get_data(as_text=True)
    assert browser.login().status_code == 423  # the right password does not open it now
    clock.advance(minutes=15)
    assert browser.login().status_code == 303


def test_the_session_is_renewed_at_sign_in(browser, mediator):
    browser.get("/staff/login")
    with browser.client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    browser.login()
    with browser.client.session_transaction() as sess:
        assert "planted" not in sess and sess["staff_session"] and sess.permanent


def test_a_page_sends_a_signed_out_visitor_to_the_login_and_back(browser, mediator):
    r = browser.get("/staff/statistics?x=1")
    assert r.status_code == 303
    assert r.headers["Location"] == "/staff/login?next=/staff/statistics?x%3D1"
    login_page = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert 'value="/staff/statistics?x=1"' in login_page
    r = browser.login(next="/staff/statistics?x=1")
    assert r.status_code == 303 and r.headers["Location"] == "/staff/statistics?x=1"


@pytest.mark.parametrize("target", [
    "https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "\\\\evil.example",
    "/staff/\r\nLocation: https://evil.example", "javascript:alert(1)", "/portal/", "/staffroom",
    "http:/staff/",
])
def test_next_only_leads_inside_the_back_office(browser, mediator, target):
    r = browser.login(next=target)
    assert r.status_code == 303 and r.headers["Location"] == "/staff/"


def test_sign_out_is_a_post_with_a_csrf_token(signed_in):
    assert signed_in.get("/staff/logout").status_code == 405
    assert signed_in.client.post("/staff/logout").status_code == 400  # no token
    r = signed_in.submit("/staff/", "/staff/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/staff/login"
    assert "You are signed out." in signed_in.get("/staff/login").get_data(as_text=True)
    assert signed_in.get("/staff/").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(browser, mediator):
    r = browser.client.post("/staff/login", data={"email": "anna@bnpl.example", "password": PASSWORD})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "The form could not be accepted" in r.get_data(as_text=True)
    with browser.client.session_transaction() as sess:
        assert "staff_session" not in sess


def test_a_token_from_another_session_is_refused(app, browser, mediator):
    other = app.test_client()
    token = csrf_token(other.get("/staff/login").get_data(as_text=True))
    r = browser.client.post("/staff/login", data={"csrf_token": token, "email": "anna@bnpl.example",
                                                  "password": PASSWORD})
    assert r.status_code == 400


def test_the_merchant_api_needs_no_csrf_token(api):
    assert api.get("/orders").status_code == 200


def test_a_session_ends_after_twelve_hours(signed_in, clock):
    clock.advance(hours=11, minutes=59)
    assert signed_in.get("/staff/").status_code == 200
    clock.advance(minutes=1)
    r = signed_in.get("/staff/")
    assert r.status_code == 303 and r.headers["Location"].startswith("/staff/login")
    with signed_in.client.session_transaction() as sess:
        assert "staff_session" not in sess


def test_a_member_made_inactive_is_signed_out(signed_in, services, mediator):
    from bnpl.staff.models import StaffMember
    with services.sessionmaker() as session:
        session.get(StaffMember, mediator).active = False
        session.commit()
    assert signed_in.get("/staff/").status_code == 303


def test_pages_carry_the_security_headers(signed_in):
    for path in ("/staff/", "/staff/login", "/staff/nowhere"):
        headers = signed_in.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"), path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_the_stylesheet_is_served_by_the_app_and_pages_have_no_inline_style_or_script(signed_in):
    html = signed_in.get("/staff/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/staff/static/staff.css">' in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    css = signed_in.get("/staff/static/staff.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert css.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_httponly_and_samesite_lax(browser, mediator):
    browser.login()
    cookie = browser.client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure  # base_url is http


def test_the_session_cookie_is_secure_when_the_site_is_https(services):
    secure = replace(services, settings=replace(services.settings, base_url="https://bnpl.example"))
    app = create_app(services=secure)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_an_unknown_staff_address_is_a_page_and_the_api_keeps_problem_json(browser, api):
    r = browser.get("/staff/nowhere")
    assert r.status_code == 404 and r.mimetype == "text/html"
    r = api.get("/nowhere")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


def test_an_admin_passes_a_mediator_check_and_a_mediator_not_an_admin_check(app, services):
    from flask import g
    from bnpl.staff.views import staff_required

    admin, mediator = make_member(services, "root@bnpl.example", role="admin"), make_member(services)
    view = staff_required("admin")(lambda: "ok")
    with app.test_request_context("/staff/"):
        from bnpl.web.context import current_uow
        from bnpl.staff import service
        g.staff = service.get_member(current_uow(), member_id=admin)
        assert view() == "ok"
        g.staff = service.get_member(current_uow(), member_id=mediator)
        with pytest.raises(Forbidden):
            view()
