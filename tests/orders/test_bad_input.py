"""Bad input to the orders API: always an RFC 9457 problem document, never HTML, and a
failed request writes nothing (no order, no event)."""
from __future__ import annotations

import base64
import json

import pytest

from tests import factories
from tests.conftest import ApiClient

PROBLEM_KEYS = {"type", "title", "status", "detail"}
MISSING_ORDER = "ord_" + "a" * 24
ONE_MB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------

def assert_problem(response, status: int, *paths: str) -> dict:
    """The response is a problem+json of this status; a 422 names each of ``paths``."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/problem+json", text
    assert "<html" not in text.lower() and "traceback" not in text.lower()
    body = response.get_json()
    assert PROBLEM_KEYS <= body.keys(), body
    assert body["status"] == status
    assert body["detail"]
    if status == 422:
        assert isinstance(body.get("errors"), dict) and body["errors"], body
        for path in paths:
            assert path in body["errors"], (path, body["errors"])
            assert all(isinstance(m, str) and m for m in body["errors"][path])
    return body


def messages(body: dict, path: str) -> str:
    return " ".join(body["errors"][path])


def snapshot(api: ApiClient) -> tuple:
    """What a failed request must leave alone: the merchant's orders and events."""
    orders, events = api.get("/orders?limit=200"), api.get("/events?limit=200")
    assert orders.status_code == 200 and events.status_code == 200
    return orders.get_json(), events.get_json()


@pytest.fixture
def unchanged(api):
    """Asserts, after the test, that no order and no event was written."""
    before = snapshot(api)
    yield
    assert snapshot(api) == before


@pytest.fixture
def order(api):
    """An accepted order with two lines: SKU-1 × 2 and SKU-2 × 1."""
    r = api.post("/orders", json=factories.order(lines=[
        factories.line("SKU-1", 2, 1999, 21), factories.line("SKU-2", 1, 450, 9)]))
    assert r.status_code == 201 and r.json["status"] == "accepted", r.json
    return r.json


def with_line(**fields) -> dict:
    return factories.order(lines=[factories.line(**fields)])


# --- reading the body ----------------------------------------------------------------------

def test_malformed_json_is_a_400(api, unchanged):
    r = api.post("/orders", data='{"merchant_reference": "WEB-1",', content_type="application/json")
    assert_problem(r, 400)


def test_a_body_that_is_not_json_is_a_415(api, unchanged):
    r = api.post("/orders", data="merchant_reference=WEB-1&currency=EUR",
                 content_type="application/x-www-form-urlencoded")
    assert_problem(r, 415)


def test_json_sent_as_text_plain_is_a_415(api, unchanged):
    r = api.post("/orders", data=json.dumps(factories.order()), content_type="text/plain")
    assert_problem(r, 415)


@pytest.mark.parametrize("body", [[], "an order", 42], ids=["array", "string", "number"])
def test_a_json_body_that_is_not_an_object_is_a_422(api, unchanged, body):
    assert_problem(api.post("/orders", json=body), 422)


def test_a_body_over_one_megabyte_is_a_413(api, unchanged):
    body = factories.order(padding="x" * (ONE_MB + 1))
    assert_problem(api.post("/orders", json=body), 413)


def test_a_missing_required_field_is_named(api, unchanged):
    body = factories.order()
    del body["billing_address"]["city"]
    assert_problem(api.post("/orders", json=body), 422, "billing_address.city")


# --- unknown fields --------------------------------------------------------------------------

@pytest.mark.parametrize("body, path", [
    (factories.order(gift_wrap=True), "gift_wrap"),
    (factories.order(consumer=factories.consumer(shoe_size=43)), "consumer.shoe_size"),
    (factories.order(billing_address=factories.address(floor=3)), "billing_address.floor"),
    (factories.order(lines=[factories.line(colour="red")]), "lines.0.colour"),
    (factories.order(lines=[factories.line("SKU-1"), factories.line("SKU-2", colour="red")]), "lines.1.colour"),
], ids=["top-level", "consumer", "address", "line", "second-line"])
def test_an_unknown_field_is_a_422_naming_its_path(api, unchanged, body, path):
    assert_problem(api.post("/orders", json=body), 422, path)


# --- lines: types, amounts, VAT --------------------------------------------------------------

@pytest.mark.parametrize("fields, path", [
    ({"quantity": "2"}, "lines.0.quantity"),
    ({"quantity": 1.5}, "lines.0.quantity"),
    ({"quantity": True}, "lines.0.quantity"),
    ({"quantity": 0}, "lines.0.quantity"),
    ({"quantity": -1}, "lines.0.quantity"),
    ({"unit_price": "1999"}, "lines.0.unit_price"),
    ({"unit_price": -1}, "lines.0.unit_price"),
    ({"unit_price": None}, "lines.0.unit_price"),
    ({"vat_rate": 21.123}, "lines.0.vat_rate"),
    ({"vat_rate": "twenty-one"}, "lines.0.vat_rate"),
    ({"vat_rate": -21}, "lines.0.vat_rate"),
    ({"reference": ""}, "lines.0.reference"),
    ({"description": "x" * 501}, "lines.0.description"),
], ids=["string-quantity", "fractional-quantity", "boolean-quantity", "zero-quantity",
        "negative-quantity", "string-unit_price", "negative-unit_price", "null-unit_price",
        "vat-rate-three-decimals", "vat-rate-text", "negative-vat-rate", "empty-reference",
        "long-description"])
def test_a_bad_line_field_is_a_422_naming_it(api, unchanged, fields, path):
    assert_problem(api.post("/orders", json=with_line(**fields)), 422, path)


@pytest.mark.parametrize("price", [19.99, 1999.0])
def test_a_unit_price_that_is_not_whole_cents_is_refused_not_rounded(api, unchanged, price):
    body = assert_problem(api.post("/orders", json=with_line(unit_price=price)), 422, "lines.0.unit_price")
    assert "whole cents" in messages(body, "lines.0.unit_price")


def test_a_negative_unit_price_says_so(api, unchanged):
    body = assert_problem(api.post("/orders", json=with_line(unit_price=-500)), 422, "lines.0.unit_price")
    assert "negative" in messages(body, "lines.0.unit_price").lower()


@pytest.mark.parametrize("quantity", [0, -3, 100_001])
def test_a_quantity_outside_1_to_100000_names_the_line(api, unchanged, quantity):
    assert_problem(api.post("/orders", json=with_line(quantity=quantity)), 422, "lines.0.quantity")


@pytest.mark.parametrize("price", [3_000_000_000, 10**30], ids=["EUR-30M", "beyond-64-bit"])
def test_a_unit_price_above_the_maximum_is_a_422(api, unchanged, price):
    assert_problem(api.post("/orders", json=with_line(unit_price=price)), 422, "lines.0.unit_price")


def test_an_order_total_above_the_maximum_is_a_422(api, unchanged):
    body = with_line(unit_price=30_000_000, quantity=100)  # EUR 30 million in all
    problem = assert_problem(api.post("/orders", json=body), 422)
    assert all(path.startswith("lines") for path in problem["errors"]), problem["errors"]


@pytest.mark.parametrize("body, path", [
    (with_line(description="Fiets\u0000helm"), "lines.0.description"),
    (with_line(reference="SKU\u00001"), "lines.0.reference"),
    (factories.order(consumer=factories.consumer(name="Sanne\u0000")), "consumer.name"),
    (factories.order(billing_address=factories.address(street="Oude\u0000gracht")), "billing_address.street"),
    (factories.order(merchant_reference="WEB-\u0000"), "merchant_reference"),
], ids=["description", "reference", "consumer-name", "street", "merchant_reference"])
def test_a_nul_character_in_text_is_a_422_naming_the_field(api, body, path):
    assert_problem(api.post("/orders", json=body), 422, path)


def test_a_vat_rate_not_used_in_the_country_names_the_line_and_the_allowed_rates(api, unchanged):
    lines = [factories.line("SKU-1", vat_rate=21), factories.line("SKU-2", vat_rate=19)]
    body = assert_problem(api.post("/orders", json=factories.order(lines=lines)), 422, "lines.1.vat_rate")
    assert "lines.0.vat_rate" not in body["errors"]
    text = messages(body, "lines.1.vat_rate")
    assert "NL" in text and "21" in text and "9" in text


def test_the_vat_rate_is_checked_against_the_shipping_country(api, unchanged):
    body = factories.order(lines=[factories.line(vat_rate=21)],
                           shipping_address=factories.address(postal_code="10115", city="Berlin", country="DE"))
    assert_problem(api.post("/orders", json=body), 422, "lines.0.vat_rate")


def test_an_order_without_lines_is_a_422(api, unchanged):
    assert_problem(api.post("/orders", json=factories.order(lines=[])), 422, "lines")


def test_duplicate_line_references_are_a_422_on_the_second_line(api, unchanged):
    lines = [factories.line("SKU-1"), factories.line("SKU-2"), factories.line("SKU-1", unit_price=500)]
    body = assert_problem(api.post("/orders", json=factories.order(lines=lines)), 422, "lines.2.reference")
    assert "SKU-1" in messages(body, "lines.2.reference")


# --- currency --------------------------------------------------------------------------------

@pytest.mark.parametrize("currency", ["XYZ", "USD", "EURO", "€", ""])
def test_a_currency_that_is_not_accepted_is_a_422_on_currency(api, unchanged, currency):
    assert_problem(api.post("/orders", json=factories.order(currency=currency)), 422, "currency")


def test_an_iso_currency_that_is_not_accepted_names_the_accepted_ones(api, unchanged):
    body = assert_problem(api.post("/orders", json=factories.order(currency="USD")), 422, "currency")
    assert "EUR" in messages(body, "currency")


# --- consumer and address --------------------------------------------------------------------

@pytest.mark.parametrize("body, path", [
    (factories.order(billing_address=factories.address(postal_code="35111 AB")), "billing_address.postal_code"),
    (factories.order(billing_address=factories.address(postal_code="ABCD 12")), "billing_address.postal_code"),
    (factories.order(billing_address=factories.address(country="XX")), "billing_address.country"),
    (factories.order(billing_address=factories.address(country="NLD")), "billing_address.country"),
    (factories.order(billing_address=factories.address(country="Nederland")), "billing_address.country"),
    (factories.order(shipping_address=factories.address(postal_code="1234")), "shipping_address.postal_code"),
    (factories.order(consumer=factories.consumer(type="business")), "consumer.company_name"),
    (factories.order(consumer=factories.consumer(type="business", company_name="Fietsen BV",
                                                 vat_number="NL123456789B99")), "consumer.vat_number"),
    (factories.order(consumer=factories.consumer(vat_number="XX123")), "consumer.vat_number"),
    (factories.order(consumer=factories.consumer(email="not-an-email")), "consumer.email"),
    (factories.order(consumer=factories.consumer(type="robot")), "consumer.type"),
    (factories.order(consumer=factories.consumer(birth_date="31-12-1990")), "consumer.birth_date"),
], ids=["dutch-postcode-five-digits", "dutch-postcode-letters-first", "country-XX",
        "country-alpha-3", "country-name", "shipping-postcode", "business-without-company_name",
        "bad-eu-vat-number", "vat-number-without-country", "email", "consumer-type",
        "birth_date-format"])
def test_a_bad_consumer_or_address_field_is_a_422_naming_it(api, unchanged, body, path):
    assert_problem(api.post("/orders", json=body), 422, path)


def test_a_birth_date_in_the_future_is_a_422(api, unchanged):
    body = factories.order(consumer=factories.consumer(birth_date="2030-01-01"))
    assert_problem(api.post("/orders", json=body), 422, "consumer.birth_date")


# --- totals ----------------------------------------------------------------------------------

def test_an_expected_total_that_matches_is_accepted(api):
    r = api.post("/orders", json=factories.order(lines=factories.three_lines(), expected_total=5399))
    assert r.status_code == 201, r.json
    assert r.json["total"] == 5399


def test_an_expected_total_mismatch_names_the_difference(api, unchanged):
    body = factories.order(lines=factories.three_lines(), expected_total=5400)
    problem = assert_problem(api.post("/orders", json=body), 422, "expected_total")
    assert "5399" in messages(problem, "expected_total")
    assert problem["difference"] == 1
    assert problem["computed_total"] == 5399


def test_an_expected_total_without_vat_says_prices_must_include_vat(api, unchanged):
    # 1999 + 2500 at 21 % is 4499 gross, 3718 net; 900 at 9 % is 826 net.
    body = factories.order(lines=factories.three_lines(), expected_total=3718 + 826)
    problem = assert_problem(api.post("/orders", json=body), 422, "expected_total")
    assert "include VAT" in messages(problem, "expected_total")


def test_an_expected_total_missing_a_line_names_that_line(api, unchanged):
    body = factories.order(lines=factories.three_lines(), expected_total=5399 - 2500)
    problem = assert_problem(api.post("/orders", json=body), 422, "expected_total")
    assert "SKU-3" in messages(problem, "expected_total")
    assert problem["difference"] == -2500


def test_an_expected_total_counting_one_unit_names_that_line(api, unchanged):
    body = factories.order(lines=factories.three_lines(), expected_total=5399 - 450)
    problem = assert_problem(api.post("/orders", json=body), 422, "expected_total")
    assert "SKU-2" in messages(problem, "expected_total")


def test_an_expected_total_mismatch_lists_the_computed_lines(api, unchanged):
    body = factories.order(lines=factories.three_lines(), expected_total=1)
    problem = assert_problem(api.post("/orders", json=body), 422, "expected_total")
    assert [(line["reference"], line["total"]) for line in problem["lines"]] == [
        ("SKU-1", 1999), ("SKU-2", 900), ("SKU-3", 2500)]


def test_a_line_total_mismatch_names_that_line(api, unchanged):
    lines = [factories.line("SKU-1", 1, 1999, total=1999), factories.line("SKU-2", 3, 450, 9, total=450)]
    problem = assert_problem(api.post("/orders", json=factories.order(lines=lines)), 422, "lines.1.total")
    assert "lines.0.total" not in problem["errors"]
    assert "1350" in messages(problem, "lines.1.total")


def test_matching_line_totals_are_accepted(api):
    lines = [factories.line("SKU-1", 1, 1999, total=1999), factories.line("SKU-2", 3, 450, 9, total=1350)]
    r = api.post("/orders", json=factories.order(lines=lines, expected_total=3349))
    assert r.status_code == 201, r.json


# --- duplicates ------------------------------------------------------------------------------

def test_a_duplicate_merchant_reference_is_a_409_naming_the_existing_order(api, order):
    before = snapshot(api)
    again = factories.order(merchant_reference=order["merchant_reference"])
    problem = assert_problem(api.post("/orders", json=again), 409)
    assert problem["order_id"] == order["id"]
    assert order["id"] in problem["detail"]
    assert snapshot(api) == before


def test_a_failed_request_does_not_use_up_its_idempotency_key(api):
    headers = {"Idempotency-Key": "retry-after-fix"}
    before = snapshot(api)
    assert_problem(api.post("/orders", json=with_line(unit_price=19.99), headers=headers), 422)
    assert snapshot(api) == before
    fixed = api.post("/orders", json=with_line(unit_price=1999), headers=headers)
    assert fixed.status_code == 201, fixed.json
    assert "Idempotent-Replayed" not in fixed.headers


# --- authentication --------------------------------------------------------------------------

@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "bnpl_test_" + "a" * 32,
    "Token bnpl_test_" + "a" * 32,
    "Basic dXNlcjpwYXNz",
    "Bearer bnpl_test_" + "a" * 32,
    "Bearer bnpl_live_" + "a" * 32,
    "Bearer sk_test_1234567890",
], ids=["no-header", "empty", "bearer-without-key", "bearer-blank", "key-without-bearer",
        "token-scheme", "basic-auth", "unknown-test-key", "unknown-live-key", "foreign-key-format"])
def test_a_missing_or_invalid_api_key_is_a_401(app, api, header, unchanged):
    client = ApiClient(app.test_client(), None)
    headers = {"Authorization": header} if header is not None else {}
    assert_problem(client.get("/orders", headers=headers), 401)
    assert_problem(client.post("/orders", json=factories.order(), headers=headers), 401)


# --- unknown ids, paths, methods -------------------------------------------------------------

@pytest.mark.parametrize("method, path, body", [
    ("get", f"/orders/{MISSING_ORDER}", None),
    ("post", f"/orders/{MISSING_ORDER}/shipments", {}),
    ("post", f"/orders/{MISSING_ORDER}/cancellations", {}),
    ("post", "/shipments/shp_" + "a" * 24 + "/delivery", {"delivered_at": "2026-11-23T09:00:00+00:00"}),
    ("get", "/invoices/inv_" + "a" * 24, None),
])
def test_an_unknown_id_is_a_404(api, unchanged, method, path, body):
    r = api.get(path) if method == "get" else api.post(path, json=body)
    assert_problem(r, 404)


def test_an_unknown_path_is_a_404_problem(api):
    assert_problem(api.get("/nothing-here"), 404)


def test_an_unknown_path_outside_the_api_is_a_404_problem(app):
    assert_problem(app.test_client().get("/no/such/page"), 404)


@pytest.mark.parametrize("method, path", [
    ("delete", "/orders"), ("put", f"/orders/{MISSING_ORDER}"), ("delete", f"/orders/{MISSING_ORDER}"),
    ("get", f"/orders/{MISSING_ORDER}/shipments"), ("post", "/invoices"),
])
def test_a_wrong_method_is_a_405_problem(api, unchanged, method, path):
    r = getattr(api.client, method)("/api/v1" + path, headers={"Authorization": f"Bearer {api.key}"})
    assert_problem(r, 405)
    assert r.headers.get("Allow")


# --- shipping and cancelling -----------------------------------------------------------------

def test_shipping_more_than_remains_is_a_409_showing_what_is_open(api, order):
    before = snapshot(api)
    r = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 3}]})
    problem = assert_problem(r, 409)
    assert problem["open_lines"] == [{"reference": "SKU-1", "quantity": 2}, {"reference": "SKU-2", "quantity": 1}]
    assert snapshot(api) == before


def test_shipping_more_than_remains_after_a_partial_shipment_shows_the_rest(api, order):
    ship = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]})
    assert ship.status_code == 201, ship.json
    before = snapshot(api)
    r = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 2}]})
    problem = assert_problem(r, 409)
    assert {"reference": "SKU-1", "quantity": 1} in problem["open_lines"]
    assert snapshot(api) == before


@pytest.mark.parametrize("verb", ["shipments", "cancellations"])
def test_naming_a_line_the_order_does_not_have_is_a_422(api, order, verb):
    before = snapshot(api)
    r = api.post(f"/orders/{order['id']}/{verb}", json={"lines": [{"reference": "SKU-404", "quantity": 1}]})
    problem = assert_problem(r, 422, "lines.0.reference")
    assert "SKU-404" in messages(problem, "lines.0.reference")
    assert snapshot(api) == before


@pytest.mark.parametrize("verb", ["shipments", "cancellations"])
def test_naming_a_line_twice_is_a_422(api, order, verb):
    before = snapshot(api)
    lines = [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-1", "quantity": 1}]
    assert_problem(api.post(f"/orders/{order['id']}/{verb}", json={"lines": lines}), 422, "lines.1.reference")
    assert snapshot(api) == before


@pytest.mark.parametrize("verb", ["shipments", "cancellations"])
@pytest.mark.parametrize("quantity", [0, -1, "1"])
def test_a_bad_quantity_to_ship_or_cancel_is_a_422(api, order, verb, quantity):
    before = snapshot(api)
    r = api.post(f"/orders/{order['id']}/{verb}", json={"lines": [{"reference": "SKU-1", "quantity": quantity}]})
    assert_problem(r, 422, "lines.0.quantity")
    assert snapshot(api) == before


def test_cancelling_a_fully_shipped_line_is_a_409_hinting_at_a_return(api, order):
    ship = api.post(f"/orders/{order['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 2}]})
    assert ship.status_code == 201, ship.json
    before = snapshot(api)
    r = api.post(f"/orders/{order['id']}/cancellations", json={"lines": [{"reference": "SKU-1", "quantity": 1}]})
    problem = assert_problem(r, 409)
    assert "return" in problem["detail"]
    assert problem["open_lines"] == [{"reference": "SKU-2", "quantity": 1}]
    assert snapshot(api) == before


def test_cancelling_a_fully_shipped_order_is_a_409_hinting_at_a_return(api, order):
    assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201
    before = snapshot(api)
    problem = assert_problem(api.post(f"/orders/{order['id']}/cancellations", json={}), 409)
    assert "return" in problem["detail"]
    assert snapshot(api) == before


@pytest.mark.parametrize("verb", ["shipments", "cancellations"])
def test_a_cancelled_order_can_be_neither_shipped_nor_cancelled_again(api, order, verb):
    assert api.post(f"/orders/{order['id']}/cancellations", json={}).status_code == 200
    before = snapshot(api)
    problem = assert_problem(api.post(f"/orders/{order['id']}/{verb}", json={}), 409)
    assert "cancelled" in problem["detail"]
    assert snapshot(api) == before


@pytest.mark.parametrize("verb", ["shipments", "cancellations"])
def test_a_declined_order_can_be_neither_shipped_nor_cancelled(api, verb):
    r = api.post("/orders", json=with_line(unit_price=300_000))  # above the EUR 2,500 limit
    assert r.status_code == 201 and r.json["status"] == "declined", r.json
    before = snapshot(api)
    problem = assert_problem(api.post(f"/orders/{r.json['id']}/{verb}", json={}), 409)
    assert "declined" in problem["detail"]
    assert snapshot(api) == before


@pytest.mark.parametrize("fields, path", [
    ({"shipped_at": "2026-11-24T10:00:00+00:00"}, "shipped_at"),
    ({"delivered_at": "2026-11-24T10:00:00+00:00"}, "delivered_at"),
    ({"shipped_at": "2026-11-23T10:00:00+00:00", "delivered_at": "2026-11-23T09:00:00+00:00"}, "delivered_at"),
    ({"shipped_at": "2026-11-22T10:00:00+00:00"}, "shipped_at"),  # before the order existed
    ({"shipped_at": "2026-11-22T10:00:00"}, "shipped_at"),
    ({"shipped_at": "yesterday"}, "shipped_at"),
], ids=["shipped-in-future", "delivered-in-future", "delivered-before-shipped", "shipped-before-order",
        "naive-timestamp",
        "not-a-timestamp"])
def test_bad_shipment_moments_are_a_422(api, order, fields, path):
    before = snapshot(api)
    assert_problem(api.post(f"/orders/{order['id']}/shipments", json=fields), 422, path)
    assert snapshot(api) == before


def test_a_delivery_before_the_shipment_left_is_a_422(api, order):
    ship = api.post(f"/orders/{order['id']}/shipments", json={"shipped_at": "2026-11-23T10:00:00+00:00"})
    assert ship.status_code == 201, ship.json
    before = snapshot(api)
    r = api.post(f"/shipments/{ship.json['id']}/delivery", json={"delivered_at": "2026-11-23T09:00:00+00:00"})
    assert_problem(r, 422, "delivered_at")
    assert snapshot(api) == before


def test_a_delivery_in_the_future_is_a_422(api, order):
    ship = api.post(f"/orders/{order['id']}/shipments", json={})
    assert ship.status_code == 201, ship.json
    before = snapshot(api)
    r = api.post(f"/shipments/{ship.json['id']}/delivery", json={"delivered_at": "2026-11-30T10:00:00+00:00"})
    assert_problem(r, 422, "delivered_at")
    assert snapshot(api) == before


def test_a_delivery_without_a_date_is_a_422(api, order):
    ship = api.post(f"/orders/{order['id']}/shipments", json={})
    assert ship.status_code == 201, ship.json
    assert_problem(api.post(f"/shipments/{ship.json['id']}/delivery", json={}), 422, "delivered_at")


# --- pagination ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/orders", "/invoices", "/events"])
@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=-1", "limit"), ("limit=ten", "limit"),
    ("cursor=garbage!!", "cursor"), ("cursor=bm9uc2Vuc2U", "cursor"),
], ids=["limit-0", "limit-201", "limit-negative", "limit-text", "cursor-garbage", "cursor-base64-nonsense"])
def test_bad_pagination_is_a_422(api, path, query, field):
    assert_problem(api.get(f"{path}?{query}"), 422, field)


def forged_cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/orders", "/invoices"])
def test_a_forged_cursor_with_a_timestamp_without_offset_is_a_422(api, path):
    assert_problem(api.get(f"{path}?cursor={forged_cursor('2026-11-23T10:00:00', 'ord_x')}"), 422, "cursor")


def test_an_event_cursor_beyond_any_event_number_is_a_422(api):
    assert_problem(api.get("/events?cursor=evt_99999999999999999999"), 422, "cursor")


@pytest.mark.parametrize("path", ["/orders", "/invoices", "/events"])
@pytest.mark.parametrize("limit", [1, 200])
def test_limits_from_1_to_200_are_fine(api, path, limit):
    assert api.get(f"{path}?limit={limit}").status_code == 200


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,          # nested beyond the parser's recursion limit
    b'{"expected_total": 1' + b"0" * 5000 + b"}",  # an integer literal beyond Python's limit
])
def test_pathological_json_is_a_400_not_a_500(api, raw):
    r = api.client.post("/api/v1/orders", data=raw, content_type="application/json",
                        headers={"Authorization": f"Bearer {api.key}"})
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("text", ["\ud800", "abc\udfff"])
def test_lone_surrogates_are_refused(api, text):
    from tests import factories
    r = api.post("/orders", json=factories.order(merchant_reference=text))
    assert r.status_code == 422 and "merchant_reference" in r.json["errors"]


@pytest.mark.parametrize("cursor", ["evt_²", "evt_١٢", "evt_" + "9" * 19])
def test_non_ascii_or_huge_event_cursors_are_a_422(api, cursor):
    assert api.get(f"/events?cursor={cursor}").status_code == 422


def test_a_vat_rate_as_a_string_is_refused(api):
    from tests import factories
    r = api.post("/orders", json=factories.order(lines=[factories.line(vat_rate="21")]))
    assert r.status_code == 422 and "lines.0.vat_rate" in r.json["errors"]


def test_an_order_of_eur_0_is_refused_with_a_clear_422_and_writes_nothing(api):
    r = api.post("/orders", json=factories.order(lines=[factories.line(unit_price=0)]))
    body = assert_problem(r, 422, "lines")
    assert "nothing to invoice" in messages(body, "lines")
    assert api.get("/orders").json["items"] == []
    assert api.get("/events").json["items"] == []


def test_a_free_line_beside_a_paid_one_is_fine(api):
    r = api.post("/orders", json=factories.order(lines=[factories.line(), factories.line("GIFT", unit_price=0)]))
    assert r.status_code == 201, r.json
