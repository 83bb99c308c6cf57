"""A business invoice names its seller by legal name, address and VAT number (EN 16931 BR-S-02,
BR-CO-26: tests/documents/test_en16931_rules.py): a webshop without them is refused the business
order, or the shipment when it removed them after the order was accepted."""
from __future__ import annotations

from tests import factories
SELLER = factories.SELLER

BUSINESS = factories.consumer(type="business", company_name="Spaak B.V.", vat_number="NL004495445B01")


def test_a_webshop_without_legal_details_is_refused_a_business_order(api):
    answer = api.post("/orders", json=factories.order(consumer=BUSINESS))
    assert answer.status_code == 409, answer.json
    assert answer.json["type"].endswith("/seller-details-missing")
    assert "legal_name, address, vat_number" in answer.json["detail"] and "PATCH /merchant" in answer.json["detail"]
    assert api.get("/orders").json["items"] == []


def test_a_person_may_still_buy_from_it(api):
    assert api.post("/orders", json=factories.order()).json["status"] == "accepted"


def test_with_its_legal_details_the_business_order_is_invoiced(api):
    assert api.patch("/merchant", json=SELLER).status_code == 200
    order = api.post("/orders", json=factories.order(consumer=BUSINESS)).json
    assert order["status"] == "accepted"
    assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201


def test_details_removed_after_the_order_stop_the_shipment(api):
    api.patch("/merchant", json=SELLER)
    order = api.post("/orders", json=factories.order(consumer=BUSINESS)).json
    api.patch("/merchant", json={"vat_number": None})
    answer = api.post(f"/orders/{order['id']}/shipments", json={})
    assert answer.status_code == 409 and "vat_number" in answer.json["detail"]
    assert api.get("/invoices").json["items"] == []
