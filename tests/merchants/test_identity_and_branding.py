"""A merchant's identity and branding: set through PATCH /merchant, checked when set,
snapshotted onto invoices when they are issued."""
from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests import factories

SELLER = {"legal_name": "Fietsenwinkel Utrecht B.V.", "vat_number": "NL808661863B01", "coc_number": "30123456",
          "address": {"street": "Oudegracht", "house_number": "1", "postal_code": "3511AA", "city": "Utrecht",
                      "country": "NL"}}


def image_uri(fmt="PNG", size=(400, 120), media_type=None) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1f4e79").save(buffer, fmt)
    return f"data:{media_type or 'image/' + fmt.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def test_identity_is_stored_normalised(api):
    body = {**SELLER, "vat_number": "nl 8086.61.863 b01"}
    merchant = api.patch("/merchant", json=body).get_json()
    assert merchant["vat_number"] == "NL808661863B01"
    assert merchant["address"]["postal_code"] == "3511 AA"
    assert merchant["legal_name"] == "Fietsenwinkel Utrecht B.V."


@pytest.mark.parametrize("vat_number", ["NL123", "NL808661864B01", "XX808661863B01"])
def test_a_vat_number_must_be_whole_and_valid(api, vat_number):
    answer = api.patch("/merchant", json={"vat_number": vat_number})
    assert answer.status_code == 422
    assert "vat_number" in answer.get_json()["errors"]


def test_a_png_logo_and_a_colour_are_accepted(api):
    merchant = api.patch("/merchant", json={"logo": image_uri(), "brand_colour": "#AA3300"}).get_json()
    assert merchant["logo"]["media_type"] == "image/png"
    assert merchant["brand_colour"] == "#aa3300"


def test_the_stored_type_is_what_the_bytes_are_not_what_the_uri_claims(api):
    merchant = api.patch("/merchant", json={"logo": image_uri("JPEG", media_type="image/png")}).get_json()
    assert merchant["logo"]["media_type"] == "image/jpeg"


def test_null_removes_the_logo(api):
    api.patch("/merchant", json={"logo": image_uri()})
    assert api.patch("/merchant", json={"logo": None}).get_json()["logo"] is None


@pytest.mark.parametrize("logo, says", [
    ("https://shop.example/logo.png", "not a URL"),
    ("file:///etc/passwd", "not a URL"),
    ("logo.png", "data URI"),
    ("data:image/png;base64,%%%", "data URI"),
    ("data:image/png;base64,aGVsbG8gd29ybGQ=", "not a PNG or JPEG"),
    (image_uri("GIF"), "send a PNG or a JPEG"),
    (image_uri(size=(8, 8)), "each side must be"),
    (image_uri()[:-40], "cut off"),
    (image_uri("JPEG")[:-40], "cut off"),
])
def test_a_bad_logo_is_refused_with_what_to_do(api, logo, says):
    answer = api.patch("/merchant", json={"logo": logo})
    assert answer.status_code == 422
    assert says in answer.get_json()["errors"]["logo"][0]
    assert api.get("/merchant").get_json()["logo"] is None


def test_a_cut_off_logo_is_refused_even_after_the_renderer_relaxed_pillow(api):
    import bnpl.documents.pdf  # noqa: F401 - importing WeasyPrint sets LOAD_TRUNCATED_IMAGES
    answer = api.patch("/merchant", json={"logo": image_uri()[:-40]})
    assert "cut off" in answer.get_json()["errors"]["logo"][0]


def test_a_logo_over_256_kb_is_refused(api):
    noise = Image.frombytes("RGB", (400, 300), bytes(range(256)) * 1407)  # barely compressible
    buffer = io.BytesIO()
    noise.resize((1200, 900)).save(buffer, "PNG", compress_level=0)
    answer = api.patch("/merchant", json={"logo": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()})
    assert answer.status_code in (413, 422)


def test_an_invoice_keeps_the_seller_as_it_was_when_issued(api):
    api.patch("/merchant", json=SELLER)
    order = api.post("/orders", json=factories.order()).get_json()
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).get_json()["invoice"]
    api.patch("/merchant", json={"legal_name": "Renamed B.V.", "address": None})

    from pypdf import PdfReader
    text = PdfReader(io.BytesIO(api.get(f"/invoices/{invoice['id']}/pdf").data)).pages[0].extract_text()
    assert "Fietsenwinkel Utrecht B.V." in text and "Renamed" not in text
    assert "NL808661863B01" in text


def test_the_logo_is_drawn_on_the_invoice(api):
    api.patch("/merchant", json={"logo": image_uri()})
    order = api.post("/orders", json=factories.order()).get_json()
    invoice = api.post(f"/orders/{order['id']}/shipments", json={}).get_json()["invoice"]

    from pypdf import PdfReader
    page = PdfReader(io.BytesIO(api.get(f"/invoices/{invoice['id']}/pdf").data)).pages[0]
    sizes = {(image.image.width, image.image.height) for image in page.images}
    assert (400, 120) in sizes  # the logo, beside the QR code
