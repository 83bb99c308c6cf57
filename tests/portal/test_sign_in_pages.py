"""Signing in to the portal: an e-mailed single-use link (confirmed with a button, so a mail
scanner opening it uses nothing up), or an invoice number with its postcode; the remembered
device; limits; signing out; CSRF on every form."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import func, select

from bnpl.notifications.jobs import deliver_outbox
from bnpl.notifications.models import OutboxMessage
from bnpl.portal import service as portal
from bnpl.portal.models import Device
from bnpl.portal.views import _client
from bnpl.uow import unit_of_work
from tests.payments.flows import ship
from tests.portal.conftest import EMAIL, Browser, csrf_token, sign_in_link, text


def outbox_links(services) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "portal_sign_in"))


def test_the_sign_in_page_offers_a_link_by_email_and_one_invoice_by_number_and_postcode(browser):
    r = browser.get("/portal/sign-in")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert '<label for="link-email">E-mail address</label>' in html
    assert '<label for="invoice-number">Invoice number</label>' in html
    assert '<label for="invoice-postal_code">Postcode</label>' in html
    assert html.count('csrf_token" type="hidden"') == 2
    assert r.headers["Cache-Control"] == "no-store"


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(browser, invoice):
    for path in ("/portal/", f"/portal/invoices/{invoice['id']}", "/portal/address"):
        r = browser.get(path)
        assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in"), path


def test_the_link_signs_in_once_and_shows_the_purchases_of_every_webshop(browser, services, api, other_api):
    mine, also_mine = ship(api), ship(other_api)
    link = sign_in_link(browser, services, email=" Sanne.DeVries@Example.nl ")
    with services.sessionmaker() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in"))
        assert (message.recipient, message.payload["minutes"]) == (EMAIL, 15)

    # Opening the link (as a mail scanner does) shows a button and uses nothing up.
    for _ in range(2):
        page = browser.get(link)
        assert page.status_code == 200 and "Sign in and show my purchases" in text(page)
    r = browser.submit(link)

    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/")
    html = text(browser.get("/portal/"))
    assert mine["number"] in html and also_mine["number"] in html
    assert "Fietsenwinkel Utrecht" in html and "Boekhandel Groningen" in html


def test_the_device_cookie_is_http_only_same_site_lax_for_30_days_under_portal(browser, services, invoice):
    link = sign_in_link(browser, services)
    r = browser.submit(link)
    cookie = next(value for value in r.headers.getlist("Set-Cookie") if value.startswith("bnpl_portal_device="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"] == "SameSite=Lax" and flags["path"] == "Path=/portal"
    assert flags["max-age"] == f"Max-Age={30 * 24 * 3600}"
    assert "secure" not in flags  # http://127.0.0.1 in the tests
    with services.sessionmaker() as session:
        [device] = session.scalars(select(Device)).all()
    assert device.token_hash not in cookie  # only the hash is stored, only the token is sent


def test_on_https_the_device_cookie_is_secure(browser, services, invoice):
    services.settings = dataclasses.replace(services.settings, base_url="https://pay.bnpl.example")
    link = sign_in_link(browser, services)
    r = browser.submit(link)
    cookie = next(value for value in r.headers.getlist("Set-Cookie") if value.startswith("bnpl_portal_device="))
    assert "; Secure" in cookie


def test_a_used_link_is_refused_on_the_page(browser, services, invoice):
    link = sign_in_link(browser, services)
    assert browser.submit(link).status_code == 303
    other = Browser(browser.client.application.test_client())
    other.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    r = other.submit(link)

    assert r.status_code == 401 and r.mimetype == "text/html"
    assert "This sign-in link is used or expired. Ask for a new one" in text(r)
    assert other.device_cookie() is None


def test_a_link_older_than_15_minutes_is_refused(browser, services, clock, invoice):
    link = sign_in_link(browser, services)
    clock.advance(minutes=16)

    r = browser.submit(link)

    assert r.status_code == 401 and "used or expired" in text(r)
    assert browser.get("/portal/").status_code == 303  # still signed out


def test_an_unknown_address_gets_the_same_answer_and_no_mail(browser, services, invoice):
    r = browser.submit("/portal/sign-in", "/portal/sign-in/email", {"link-email": "nobody@example.nl"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in/sent")
    assert "If we know this address, a sign-in link is on its way" in text(browser.get("/portal/sign-in/sent"))
    assert outbox_links(services) == 0


def test_the_fourth_link_within_15_minutes_is_refused_with_a_message(browser, services, clock, invoice):
    for _ in range(3):
        sign_in_link(browser, services)

    r = browser.submit("/portal/sign-in", "/portal/sign-in/email", {"link-email": EMAIL})

    assert r.status_code == 429 and "Too many attempts. Please try again in 15 minutes." in text(r)
    assert outbox_links(services) == 3
    clock.advance(minutes=16)
    sign_in_link(browser, services)
    assert outbox_links(services) == 4


def test_an_address_that_is_not_one_is_refused_at_its_field(browser):
    r = browser.submit("/portal/sign-in", "/portal/sign-in/email", {"link-email": "sanne"})
    assert r.status_code == 422
    assert re.search(r'id="link-email-error">Enter the e-mail address your invoices were sent to.', r.get_data(as_text=True))


def test_an_invoice_number_and_its_postcode_open_that_invoice_only(browser, api, invoice):
    second = ship(api)

    r = browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                       {"invoice-number": invoice["number"].lower(), "invoice-postal_code": "3511ab"})

    assert r.status_code == 303 and r.headers["Location"].endswith(f"/portal/invoices/{invoice['id']}")
    assert browser.device_cookie() is not None
    purchases = text(browser.get("/portal/"))
    assert invoice["number"] in purchases and second["number"] not in purchases
    assert "Sign in with your e-mail address to see all your purchases." in purchases
    assert browser.get(f"/portal/invoices/{invoice['id']}").status_code == 200
    assert browser.get(f"/portal/invoices/{second['id']}").status_code == 404


def test_a_wrong_postcode_is_refused_and_counted(browser, invoice):
    for _ in range(5):
        r = browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                           {"invoice-number": invoice["number"], "invoice-postal_code": "1234 XY"})
        assert r.status_code == 401
        assert "This invoice number and postcode do not belong together." in text(r)
    assert browser.device_cookie() is None

    r = browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                       {"invoice-number": invoice["number"], "invoice-postal_code": "3511 AB"})
    assert r.status_code == 429 and "Too many attempts" in text(r)


def test_signing_out_forgets_the_device(signed_in, services):
    token = signed_in.device_cookie().value

    r = signed_in.submit("/portal/", "/portal/sign-out")

    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in")
    assert signed_in.device_cookie() is None
    assert "You are signed out." in text(signed_in.get("/portal/sign-in"))
    signed_in.client.set_cookie("bnpl_portal_device", token, path="/portal")  # an old copy of the cookie
    assert signed_in.get("/portal/").status_code == 303
    with services.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0


def post_actions(invoice_id: str, case_id: str) -> list[str]:
    return ["/portal/sign-in/email", "/portal/sign-in/invoice", "/portal/sign-in/sometoken", "/portal/sign-out",
            f"/portal/invoices/{invoice_id}/checkout", f"/portal/invoices/{invoice_id}/mandate",
            f"/portal/invoices/{invoice_id}/return", f"/portal/invoices/{invoice_id}/extension",
            f"/portal/invoices/{invoice_id}/plan", f"/portal/invoices/{invoice_id}/dispute",
            f"/portal/cases/{case_id}/reply", f"/portal/cases/{case_id}/withdraw", "/portal/address"]


def test_every_form_needs_its_csrf_token(signed_in, services, invoice):
    from tests.disputes.cases import open_case

    case_id = open_case(services, invoice["id"])
    for action in post_actions(invoice["id"], case_id):
        r = signed_in.post_without_token(action, {"message": "hello", "link-email": EMAIL})
        assert r.status_code == 400 and r.mimetype == "text/html", action
        assert "The form was not sent from this page" in text(r), action
    assert signed_in.get(f"/portal/cases/{case_id}").status_code == 200  # nothing happened: still signed in


def test_a_token_from_another_session_is_refused(app, signed_in, invoice):
    token = csrf_token(signed_in.page(f"/portal/invoices/{invoice['id']}/extension"))
    other = app.test_client()
    other.set_cookie("bnpl_portal_device", signed_in.device_cookie().value, path="/portal")

    r = other.post(f"/portal/invoices/{invoice['id']}/extension", data={"extend-csrf_token": token})

    assert r.status_code == 400


@pytest.mark.parametrize("address, key", [
    ("2001:db8::1", "2001:db8::/64"), ("2001:db8::2", "2001:db8::/64"),
    ("2001:db8:0:0:ffff::9", "2001:db8::/64"), ("::ffff:192.0.2.7", "192.0.2.7"), ("192.0.2.7", "192.0.2.7")])
def test_rate_limits_count_an_ipv6_network_as_one_client(app, address, key):
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        assert _client() == key


def test_the_sign_in_link_is_not_kept_once_delivered(api, services, browser, invoice):
    sign_in_link(browser, services)
    deliver_outbox(services)
    with services.sessionmaker() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in")).one()
    assert message.status == "delivered" and message.payload["link"] is None


def test_a_postcode_tried_against_many_invoice_numbers_is_stopped(api, services, browser):
    for n in range(portal.TRIES_PER_POSTCODE.free):
        with unit_of_work(services) as uow:
            try:
                portal.sign_in_with_invoice(uow, number=f"2026-{n:06d}", postal_code="3511 AB", client=f"10.0.0.{n}")
            except portal.SignInRefused:
                pass
    invoice = ship(api)
    with unit_of_work(services) as uow:
        try:
            portal.sign_in_with_invoice(uow, number=invoice["number"], postal_code="3511 AB", client="10.9.9.9")
        except portal.TooManyAttempts:
            return
    raise AssertionError("the eleventh number with the same postcode got in")
