"""The order life cycle through the merchant API: create, ship in parts, deliver, cancel."""
from datetime import datetime, timedelta, timezone

from bnpl.merchants import changes
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import NOW


def create(api, **overrides):
    r = api.post("/orders", json=factories.order(**overrides))
    assert r.status_code == 201, r.json
    return r.json


def ship(api, order_id, **body):
    r = api.post(f"/orders/{order_id}/shipments", json=body)
    assert r.status_code == 201, r.json
    return r.json


def event_types(api):
    return [e["type"] for e in api.get("/events?limit=200").json["items"]]


def test_create_computes_totals_and_vat_per_rate(api):
    order = create(api, lines=factories.three_lines(), expected_total=5399)
    assert order["status"] == "accepted"
    assert order["total"] == 1999 + 2 * 450 + 2500
    assert order["vat_breakdown"] == [
        {"rate": 21, "net": 3718, "vat": 781, "gross": 4499},
        {"rate": 9, "net": 826, "vat": 74, "gross": 900},
    ]
    assert [line["total"] for line in order["lines"]] == [1999, 900, 2500]
    assert order["decision"]["outcome"] == "accepted"
    assert {r["code"] for r in order["decision"]["reasons"]} >= {"within_room"}


def test_decimal_vat_rates_and_postcodes_are_normalized(api):
    order = create(api, billing_address=factories.address(postal_code="3511ab", country="nl"),
                   shipping_address=factories.address(country="FR", postal_code="75001"),
                   lines=[factories.line(vat_rate=5.5, unit_price=1055)])
    assert order["billing_address"]["postal_code"] == "3511 AB"
    assert order["billing_address"]["country"] == "NL"
    assert order["lines"][0]["vat_rate"] == 5.5
    assert order["vat_breakdown"] == [{"rate": 5.5, "net": 1000, "vat": 55, "gross": 1055}]


def test_an_order_above_the_limit_is_declined_and_stored_with_its_reason(api):
    order = create(api, lines=[factories.line(unit_price=250_001)])
    assert order["status"] == "declined"
    assert order["decision"]["reasons"][0]["code"] == "amount_above_limit"
    assert api.get(f"/orders/{order['id']}").json["decision"] == order["decision"]


def test_a_minor_is_declined(api):
    order = create(api, consumer=factories.consumer(birth_date="2010-05-01"))
    assert [r["code"] for r in order["decision"]["reasons"]] == ["under_minimum_age"]


def test_a_consumer_with_an_overdue_invoice_anywhere_is_declined(api, other_api, clock):
    first = create(other_api)
    ship(other_api, first["id"])
    clock.advance(days=17)  # due after 2 + 14 days; one day past it: a transfer may be on its way
    assert create(api)["status"] == "accepted"
    clock.advance(days=14)  # fifteen days past it
    order = create(api)
    assert order["status"] == "declined"
    assert [r["code"] for r in order["decision"]["reasons"]] == ["overdue_invoices"]
    assert "Boekhandel" not in order["decision"]["reasons"][0]["text"]  # never names the other shop


def test_a_business_consumer_needs_no_age_and_keeps_its_vat_number(api):
    factories.give_legal_details(api)  # a business invoice needs them
    order = create(api, consumer=factories.consumer(type="business", company_name="Spaak B.V.",
                                                    vat_number="NL 0044.95.445.B01"))
    assert order["consumer"]["vat_number"] == "NL004495445B01"
    invoice = ship(api, order["id"])["invoice"]
    assert invoice["billed_to"]["company_name"] == "Spaak B.V."


def test_shipping_everything_issues_one_invoice_due_fourteen_days_after_transit(api):
    order = create(api, lines=factories.three_lines())
    shipment = ship(api, order["id"], carrier="PostNL", tracking_code="3SABC123")
    invoice = shipment["invoice"]
    assert shipment["lines"] == [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 2},
                                 {"reference": "SKU-3", "quantity": 1}]
    assert invoice["number"] == "TEST-2026-000001"
    assert invoice["due_date"] == "2026-12-09"  # 23 Nov + 2 days transit + 14 days
    assert invoice["total"] == invoice["balance"] == 5399
    assert invoice["payment_reference"] == shipment["invoice"]["payment_reference"]
    assert invoice["payment_reference"].startswith("RF")
    assert api.get(f"/orders/{order['id']}").json["status"] == "shipped"
    assert api.get(f"/invoices/{invoice['id']}").json == invoice


def test_the_answer_to_a_shipment_is_the_shipment_and_invoice_as_read_back_and_as_their_events_carry_them(api):
    order = create(api, lines=factories.three_lines())
    shipment = ship(api, order["id"], carrier="PostNL", tracking_code="3SABC123")
    read_back = api.get(f"/orders/{order['id']}").json["shipments"]
    assert read_back == [{key: value for key, value in shipment.items() if key not in ("lines", "invoice")}]
    assert api.get(f"/invoices/{shipment['invoice_id']}").json == shipment["invoice"]
    carried = {e["type"]: e["data"] for e in api.get("/events").json["items"]}
    assert {**carried["shipment.created"], "invoice": carried["invoice.issued"]} == shipment


def test_partial_shipments_each_get_their_own_invoice_with_the_next_number(api):
    order = create(api, lines=factories.three_lines())
    first = ship(api, order["id"], lines=[{"reference": "SKU-2", "quantity": 1}])
    assert first["invoice"]["total"] == 450
    assert api.get(f"/orders/{order['id']}").json["status"] == "partially_shipped"
    second = ship(api, order["id"])  # the rest
    assert second["invoice"]["number"] == "TEST-2026-000002"
    assert [(line["reference"], line["quantity"]) for line in second["invoice"]["lines"]] == [
        ("SKU-1", 1), ("SKU-2", 1), ("SKU-3", 1)]
    lines = api.get(f"/orders/{order['id']}").json["lines"]
    assert [(line["shipped_quantity"], line["open_quantity"]) for line in lines] == [(1, 0), (2, 0), (1, 0)]


def test_a_known_delivery_date_counts_the_term_from_delivery(api, clock):
    order = create(api)
    clock.advance(days=2)  # the webshop reports shipment and delivery afterwards
    invoice = ship(api, order["id"], shipped_at=NOW.isoformat(),
                   delivered_at=(NOW + timedelta(days=1)).isoformat())["invoice"]
    assert invoice["due_date"] == "2026-12-08"  # delivered 24 Nov + 14


def test_a_shipment_cannot_be_dated_before_its_order(api):
    order = create(api)
    r = api.post(f"/orders/{order['id']}/shipments", json={"shipped_at": (NOW - timedelta(days=30)).isoformat()})
    assert r.status_code == 422 and "before the order" in r.json["errors"]["shipped_at"][0]
    assert api.get("/invoices").json["items"] == []


def test_a_reported_delivery_date_can_move_later_but_not_earlier(api, clock):
    shipment = ship(api, create(api)["id"])
    clock.advance(days=3)
    assert api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": clock.now().isoformat()}).status_code == 200
    r = api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": (NOW + timedelta(days=1)).isoformat()})
    assert r.status_code == 409 and r.json["delivered_at"].startswith("2026-11-26")


def test_shipping_the_night_dst_ends_uses_the_amsterdam_date(api, clock):
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc))
    order = create(api)
    clock.set(datetime(2026, 10, 24, 22, 30, tzinfo=timezone.utc))  # 00:30 CEST on 25 Oct
    assert ship(api, order["id"])["invoice"]["due_date"] == "2026-11-10"  # 25 Oct + 2 + 14


def test_a_late_delivery_moves_the_due_date_later_but_an_early_one_never_earlier(api, clock):
    order = create(api)
    shipment = ship(api, order["id"])
    assert shipment["invoice"]["due_date"] == "2026-12-09"
    clock.advance(days=5)
    r = api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": clock.now().isoformat()})
    assert r.status_code == 200, r.json
    assert r.json["invoice"]["due_date"] == "2026-12-12"
    earlier = (NOW + timedelta(days=1)).isoformat()
    r = api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": earlier})
    assert r.status_code == 409
    assert api.get(f"/invoices/{shipment['invoice']['id']}").json["due_date"] == "2026-12-12"
    assert event_types(api).count("invoice.due_date_changed") == 1


def test_delivery_just_after_midnight_in_amsterdam_counts_as_that_day(api, clock):
    clock.set(datetime(2026, 12, 17, 8, 0, tzinfo=timezone.utc))
    order = create(api)
    clock.set(datetime(2026, 12, 20, 12, 0, tzinfo=timezone.utc))
    shipment = ship(api, order["id"], shipped_at="2026-12-17T09:00:00+00:00")
    # 23:30 UTC on 18 Dec is 00:30 on 19 Dec in Amsterdam: due 19 Dec + 14.
    r = api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": "2026-12-18T23:30:00Z"})
    assert r.json["invoice"]["due_date"] == "2027-01-02"


def test_invoice_numbers_follow_the_year_of_issue(api, clock):
    clock.set(datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc))  # 23:30 in Amsterdam
    assert ship(api, create(api)["id"])["invoice"]["number"] == "TEST-2026-000001"
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))  # 00:30 on New Year's Day
    assert ship(api, create(api)["id"])["invoice"]["number"] == "TEST-2027-000001"


def test_cancelling_part_then_the_rest_makes_the_order_final(api):
    order = create(api, lines=factories.three_lines())
    r = api.post(f"/orders/{order['id']}/cancellations", json={"lines": [{"reference": "SKU-2", "quantity": 1}]})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "accepted"
    assert r.json["lines"][1]["cancelled_quantity"] == 1
    r = api.post(f"/orders/{order['id']}/cancellations", json={"reason": "customer changed their mind"})
    assert r.json["status"] == "cancelled"
    assert r.json["cancelled_at"] is not None
    assert event_types(api)[-2:] == ["order.lines_cancelled", "order.cancelled"]


def test_cancelling_the_unshipped_rest_completes_a_partly_shipped_order(api):
    order = create(api, lines=factories.three_lines())
    ship(api, order["id"], lines=[{"reference": "SKU-1", "quantity": 1}])
    r = api.post(f"/orders/{order['id']}/cancellations", json={})
    assert r.json["status"] == "shipped"
    assert r.json["cancelled_at"] is None  # not a cancelled order: goods were invoiced
    assert [line["cancelled_quantity"] for line in r.json["lines"]] == [0, 2, 1]


def test_an_empty_body_is_the_same_as_no_lines(api):
    order = create(api)
    r = api.post(f"/orders/{order['id']}/cancellations")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled"


def test_lists_are_newest_first_with_a_cursor(api):
    ids = [create(api)["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get("/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5


def test_lists_filter_by_status_and_reference(api):
    create(api, merchant_reference="A-1")
    declined = create(api, merchant_reference="A-2", lines=[factories.line(unit_price=300_000)])
    assert [o["id"] for o in api.get("/orders?status=declined").json["items"]] == [declined["id"]]
    assert [o["merchant_reference"] for o in api.get("/orders?merchant_reference=A-1").json["items"]] == ["A-1"]


def test_every_change_is_an_event_in_order(api):
    order = create(api)
    shipment = ship(api, order["id"])
    api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": NOW.isoformat()})
    events = api.get("/events").json["items"]
    assert [e["type"] for e in events] == ["order.accepted", "shipment.created", "invoice.issued",
                                           "shipment.delivered"]
    assert events[0]["data"]["id"] == order["id"]
    assert events[2]["data"]["number"] == shipment["invoice"]["number"]
    after = api.get(f"/events?cursor={events[1]['id']}").json["items"]
    assert [e["id"] for e in after] == [events[2]["id"], events[3]["id"]]


def test_invoices_list_and_filter_by_order(api):
    a, b = create(api), create(api)
    ship(api, a["id"])
    ship(api, b["id"])
    items = api.get(f"/invoices?order_id={a['id']}").json["items"]
    assert [i["order_id"] for i in items] == [a["id"]]
    assert len(api.get("/invoices").json["items"]) == 2


def test_an_approved_invoice_term_applies_to_the_next_invoice(api, services):
    r = api.patch("/merchant", json={"invoice_term_days": 30, "payout_iban": "NL91 ABNA 0417 1643 00"})
    assert r.status_code == 202, r.json
    assert [p["to"] for p in r.json["pending_changes"]] == [30, "NL91ABNA0417164300"]
    with unit_of_work(services) as uow:
        changes.decide(uow, change_id=r.json["pending_changes"][0]["id"], approve=True, reason=None, decided_by="staff")
    invoice = ship(api, create(api)["id"])["invoice"]
    assert invoice["due_date"] == "2026-12-25"  # 23 Nov + 2 + 30


def test_a_wrong_payout_iban_gets_schwiftys_reason(api):
    r = api.patch("/merchant", json={"payout_iban": "NL91ABNA0417164301"})
    assert r.status_code == 422
    assert r.json["errors"]["payout_iban"] == ["Not a valid IBAN: Invalid checksum digits"]
    assert api.get("/merchant").json["pending_changes"] == []


def test_amounts_beyond_ten_million_euro_are_refused_not_overflowed(api):
    r = api.post("/orders", json=factories.order(lines=[factories.line(unit_price=1_000_000_001)]))
    assert r.status_code == 422 and "lines.0.unit_price" in r.json["errors"]
    r = api.post("/orders", json=factories.order(lines=[factories.line(quantity=100_000, unit_price=1_000_000)]))
    assert r.status_code == 422 and "lines.0.quantity" in r.json["errors"]
    many = [factories.line(f"SKU-{i}", quantity=1000, unit_price=999_999) for i in range(2)]
    r = api.post("/orders", json=factories.order(lines=many))
    assert r.status_code == 422 and "lines" in r.json["errors"]
