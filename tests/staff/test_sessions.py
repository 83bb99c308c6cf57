"""Back-office sessions live on the server: the cookie only names one, so signing out,
deactivating the account or resetting its password ends it, and a copied cookie is worthless."""
from __future__ import annotations

from bnpl.staff import accounts
from bnpl.uow import unit_of_work
from tests.staff.conftest import StaffBrowser


def cookie_of(browser) -> str:
    return browser.client.get_cookie("session").value


def replay(app, cookie: str) -> int:
    """A fresh browser that presents a copied session cookie; the status of the queue page."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/staff/").status_code


def test_a_cookie_replayed_after_sign_out_is_refused(app, signed_in):
    copied = cookie_of(signed_in)
    assert replay(app, copied) == 200  # while signed in, the cookie is the session
    assert signed_in.submit("/staff/", "/staff/logout").status_code == 303
    assert replay(app, copied) == 303


def test_deactivating_the_account_ends_its_sessions_at_once(app, signed_in, services):
    copied = cookie_of(signed_in)
    with unit_of_work(services) as uow:
        accounts.deactivate(uow, email="anna@bnpl.example", actor="operator")
    assert signed_in.get("/staff/").status_code == 303
    assert replay(app, copied) == 303


def test_a_password_reset_ends_the_sessions_and_the_new_password_signs_in(app, signed_in, services):
    copied = cookie_of(signed_in)
    with unit_of_work(services) as uow:
        accounts.reset_password(uow, email="anna@bnpl.example", password="a new long password", actor="operator")
    assert replay(app, copied) == 303
    fresh = StaffBrowser(app.test_client())
    assert fresh.login(password="a new long password").status_code == 303


def test_unlock_lets_a_locked_out_member_sign_in_again(browser, mediator, services):
    for _ in range(5):
        browser.login(password="not the password")
    assert browser.login().status_code == 423
    with unit_of_work(services) as uow:
        accounts.unlock(uow, email="anna@bnpl.example", actor="operator")
    assert browser.login().status_code == 303


def test_two_browsers_have_two_sessions_and_signing_out_of_one_keeps_the_other(app, signed_in):
    other = StaffBrowser(app.test_client())
    assert other.login().status_code == 303
    signed_in.submit("/staff/", "/staff/logout")
    assert other.get("/staff/").status_code == 200
