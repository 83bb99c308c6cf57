"""'Sign out everywhere': every device remembered for the consumer's purchases stops opening
them, the phone left at a friend's as well as this browser; an unused e-mailed link too."""
from __future__ import annotations

from tests.portal.conftest import Browser, sign_in, sign_in_link


def second_browser(app) -> Browser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    return Browser(client)


def test_signing_out_everywhere_ends_every_devices_sign_in(app, services, signed_in, invoice, clock):
    clock.advance(seconds=1)  # the newest link is the one a helper below follows
    phone = sign_in(second_browser(app), services)
    clock.advance(seconds=1)
    unused_link = sign_in_link(second_browser(app), services)
    by_number = second_browser(app)
    by_number.submit("/portal/sign-in", "/portal/sign-in/invoice",
                     {"invoice-number": invoice["number"], "invoice-postal_code": "3511 AB"})
    assert by_number.get("/portal/").status_code == 200
    r = signed_in.submit("/portal/", "/portal/sign-out-everywhere")
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in")
    assert "signed out on every device" in signed_in.page("/portal/sign-in")
    assert phone.get("/portal/").status_code == 303
    assert signed_in.get("/portal/").status_code == 303
    assert by_number.get("/portal/").status_code == 303
    assert second_browser(app).submit(unused_link).status_code == 401


def test_the_page_offers_it_beside_sign_out(signed_in):
    assert 'action="/portal/sign-out-everywhere"' in signed_in.page("/portal/")


def test_signing_out_everywhere_needs_a_signed_in_device(browser):
    r = browser.submit("/portal/sign-in", "/portal/sign-out-everywhere")
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/sign-in")
