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
