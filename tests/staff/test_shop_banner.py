"""Whose case or invoice a screen is about: the fixed banner shows the webshop's name and its
logo, the one the webshop stored (a checked PNG or JPEG, served from here: never a link to
another site), else a badge with its initials, drawn here with the name escaped."""
import re
from html import unescape

import pytest

from bnpl.staff.views import initials
from bnpl.support import service as support
from tests.conftest import ApiClient, make_merchant
from tests.disputes.cases import act, consumer_of, open_case
from tests.merchants.test_identity_and_branding import image_uri
from tests.payments.flows import ship
from tests.staff.test_reviews import declined_with_review, member_browser


def banner(html: str) -> str:
    found = re.search(r'<p class="tenant-banner" role="note">(.*?)</p>', unescape(html), re.S)
    assert found, "the page has no banner"
    return found.group(1)


def logo_path(api) -> str:
    return f"/staff/shops/{api.merchant_id}/logo"


def test_the_case_and_question_pages_show_the_shops_logo_and_name(signed_in, services, api):
    invoice = ship(api)
    case_id = open_case(services, invoice["id"])
    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), invoice_id=invoice["id"],
                 subject="Where is my parcel?", message="Nothing arrived.")
    for path in (f"/staff/cases/{case_id}", f"/staff/questions/{thread.id}"):
        shown = banner(signed_in.get(path).get_data(as_text=True))
        assert f'<img class="shop-logo" src="{logo_path(api)}" alt=""' in shown, path
        assert "Fietsenwinkel Utrecht" in shown and invoice["number"] in shown, path


def test_the_phone_call_shows_the_shops_logo(signed_in, api):
    invoice = ship(api)
    r = signed_in.submit("/staff/cases/new", data={"invoice_number": invoice["number"], "postcode": "3511 AB"})
    assert r.status_code == 303
    shown = banner(signed_in.get(r.headers["Location"]).get_data(as_text=True))
    assert logo_path(api) in shown and "Fietsenwinkel Utrecht" in shown


def test_a_credit_review_shows_the_shops_logo(app, services, api):
    review = declined_with_review(api, services)
    reviewer = member_browser(app, services, "rita@bnpl.example", "risk")
    shown = banner(reviewer.get(f"/staff/reviews/{review['review_id']}").get_data(as_text=True))
    assert logo_path(api) in shown and "Fietsenwinkel Utrecht" in shown and "Sanne de Vries" in shown


def test_the_stored_logo_is_served_as_it_was_checked(signed_in, api):
    assert api.patch("/merchant", json={"logo": image_uri()}).status_code == 200
    r = signed_in.get(logo_path(api))
    assert r.status_code == 200 and r.content_type == "image/png" and r.data.startswith(b"\x89PNG")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_without_a_logo_a_badge_with_the_initials(signed_in, api):
    r = signed_in.get(logo_path(api))
    assert r.status_code == 200 and r.content_type == "image/svg+xml"
    assert ">FU</text>" in r.get_data(as_text=True)
    assert r.headers["Content-Security-Policy"] == "default-src 'none'"


def test_a_name_is_never_markup_in_the_badge(app, services, signed_in):
    merchant_id, key = make_merchant(services, '<script>alert(1)</script> "&Co')
    svg = signed_in.get(f"/staff/shops/{merchant_id}/logo").get_data(as_text=True)
    assert "<script" not in svg and ">SC</text>" in svg


@pytest.mark.parametrize("name, letters", [("Fietsenwinkel Utrecht", "FU"), ("bol.com", "B"),
                                           ("De Spaak Fietsen B.V.", "DS"), ("Ömer's Bäckerei", "ÖB"),
                                           ("!!!", "?"), ("", "?")])
def test_initials(name, letters):
    assert initials(name) == letters


def test_only_staff_see_logos_and_an_unknown_shop_is_not_found(app, signed_in, api):
    r = app.test_client().get(logo_path(api))
    assert r.status_code == 303 and "/staff/login" in r.headers["Location"]
    assert signed_in.get("/staff/shops/mer_nobody/logo").status_code == 404
