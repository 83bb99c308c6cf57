"""What a mediator needs on the case page without asking: the shipment (carrier, tracking code,
shipped and delivered), every invoice line with what was credited, and the consumer's questions."""
from html import unescape

from bnpl.support import service as support
from tests import factories, identified
from tests.disputes.cases import act, consumer_of, credit_line, open_case


def shipped_with_carrier(api) -> dict:
    created = api.post("/orders", json=factories.order(lines=factories.three_lines()))
    accepted = identified.through_api(api, created.json)
    r = api.post(f"/orders/{accepted['id']}/shipments", json={
        "carrier": "PostNL", "tracking_code": "3SABCD1234567"})
    assert r.status_code == 201, r.json
    return r.json["invoice"]


def test_the_case_page_shows_shipment_lines_credited_and_questions(signed_in, services, api):
    invoice = shipped_with_carrier(api)
    credit_line(services, api, invoice["id"], "SKU-2")
    act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), invoice_id=invoice["id"],
        subject="Parcel looked opened", message="The box was taped again.")
    case_id = open_case(services, invoice["id"], lines=[("SKU-1", 1)])
    html = unescape(signed_in.get(f"/staff/cases/{case_id}").get_data(as_text=True))
    shipment = html.split('id="shipment-h"', 1)[1].split("</section>", 1)[0]
    assert "PostNL" in shipment and "3SABCD1234567" in shipment and "23-11-2026 11:00" in shipment
    assert "not reported" in shipment  # the delivery date
    lines = html.split('id="lines-h"', 1)[1].split("</section>", 1)[0]
    for description in ("Article SKU-1", "Article SKU-2", "Article SKU-3"):
        assert description in lines
    assert "2 credited" in lines
    questions = html.split('id="questions-h"', 1)[1].split("</section>", 1)[0]
    assert "Parcel looked opened" in questions


def test_the_case_page_shows_payments_and_what_came_before_on_this_invoice(signed_in, services, api):
    """The money already paid on the invoice, what is still owed, and the earlier case and the
    question about this very invoice marked as such among the consumer's others."""
    from tests.disputes.support import decide, pay, rejected

    invoice = shipped_with_carrier(api)
    other = shipped_with_carrier(api)  # the same consumer's other purchase
    pay(services, api, invoice, amount=1000, payment_id="pay_part_1")
    consumer = consumer_of(services, invoice["id"])
    act(services, support.ask, consumer_id=consumer, invoice_id=invoice["id"], subject="Where is my parcel?",
        message="Nothing came.")
    act(services, support.ask, consumer_id=consumer, invoice_id=other["id"], subject="About my other order",
        message="A question.")
    first = open_case(services, invoice["id"], lines=[("SKU-1", 1)])
    rejected(api, first)
    decide(services, first, "merchant")
    elsewhere = open_case(services, other["id"], lines=[("SKU-1", 1)])
    case_id = open_case(services, invoice["id"], lines=[("SKU-2", 1)], reason="damaged")

    html = unescape(signed_in.get(f"/staff/cases/{case_id}").get_data(as_text=True))
    payments = html.split('id="payments-h"', 1)[1].split("</section>", 1)[0]
    assert "23-11-2026: €10.00, bank transfer" in payments.replace("\xa0", " ")
    owed = invoice["total"] - 1000
    assert f"Still to pay: €{owed // 100}.{owed % 100:02d}" in payments.replace("\xa0", " ")
    questions = html.split('id="questions-h"', 1)[1].split("</section>", 1)[0]
    items = {item.split("</a>", 1)[0].rsplit(">", 1)[1]: item for item in questions.split("<li>")[1:]}
    assert "this invoice" in items["Where is my parcel?"] and "this invoice" not in items["About my other order"]
    history = html.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    rows = {row.split('/staff/cases/', 1)[1][:40].split('"')[0]: row for row in history.split("<tr>")[2:]}
    assert "this invoice" in rows[first] and "this invoice" not in rows[elsewhere]


def test_a_case_without_payments_says_so(signed_in, services, api):
    invoice = shipped_with_carrier(api)
    case_id = open_case(services, invoice["id"])
    html = unescape(signed_in.get(f"/staff/cases/{case_id}").get_data(as_text=True))
    payments = html.split('id="payments-h"', 1)[1].split("</section>", 1)[0]
    assert "No payments yet." in payments
