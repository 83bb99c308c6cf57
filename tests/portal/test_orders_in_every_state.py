"""Every order the consumer placed is on "My purchases" in words that say what they owe: an
invoice card names the order (date, number at the webshop, its first items, what happened to
part of a line); an order not sent yet says they pay only after delivery; a cancelled one that
they pay nothing. A declined order is not a purchase (the spending-room page explains it)."""
from __future__ import annotations

from tests import factories
from tests.identified import through_api
from tests.portal.conftest import text
from tests.portal.test_invoice_pages import text_of


def place(api, reference: str, lines=None) -> dict:
    created = api.post("/orders", json=factories.order(merchant_reference=reference, lines=lines or [factories.line()]))
    assert created.status_code == 201, created.json
    return through_api(api, created.json)


def test_an_invoice_card_names_its_order_and_items(signed_in, api):
    order = place(api, "WEB-7001", lines=[factories.line("SKU-1", 2, 1999, 21, "Fietshelm Urban"),
                                          factories.line("SKU-2", 1, 1250, 21, "Fietsbel messing"),
                                          factories.line("SKU-3", 1, 450, 9, "Bandenplakset"),
                                          factories.line("SKU-4", 1, 995, 21, "Achterlicht")])
    assert api.post(f"/orders/{order['id']}/cancellations",
                    json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).status_code == 200
    assert api.post(f"/orders/{order['id']}/shipments",
                    json={"lines": [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 1}]}
                    ).status_code == 201

    card = text_of(signed_in.page("/portal/"), 'id="attention-h"')

    assert "Order number WEB-7001" in card and "Ordered on" in card
    assert "2 × Fietshelm Urban (1 cancelled)" in card
    assert "1 × Fietsbel messing" in card and "1 × Bandenplakset (1 not sent yet)" not in card
    assert "and 1 more" in card


def test_an_order_not_sent_yet_says_nothing_is_due_before_delivery(signed_in, api):
    place(api, "WEB-7002", lines=[factories.line("SKU-9", 1, 8995, 21, "Kinderzitje")])

    waiting = text_of(signed_in.page("/portal/"), 'id="ordered-h"')

    assert "order WEB-7002" in waiting and "Fietsenwinkel Utrecht" in waiting
    assert "Not sent yet: you pay only after delivery" in waiting
    assert "1 × Kinderzitje" in waiting and "€89.95" in waiting


def test_a_cancelled_order_says_nothing_is_owed(signed_in, api):
    order = place(api, "WEB-7003")
    assert api.post(f"/orders/{order['id']}/cancellations", json={}).json["status"] == "cancelled"

    settled = text_of(signed_in.page("/portal/"), 'id="settled-h"')

    assert "order WEB-7003" in settled and "Cancelled: you pay nothing" in settled


def test_a_declined_order_is_no_purchase(signed_in, api):
    declined = api.post("/orders", json=factories.order(
        merchant_reference="WEB-7004", consumer=factories.consumer(birth_date="2012-01-01")))
    assert declined.json["status"] == "declined"

    assert "WEB-7004" not in text(signed_in.get("/portal/"))


def test_someone_opening_one_invoice_sees_only_its_order(browser, api, invoice):
    place(api, "WEB-7005")  # the same consumer's other order, not sent yet
    r = browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                       {"invoice-number": invoice["number"], "invoice-postal_code": "3511 AB"})
    assert r.status_code == 303

    page = text(browser.get("/portal/"))

    assert invoice["number"] in page and "WEB-7005" not in page
