from tests.disputes.cases import MEDIATOR, act, open_case, shipped_invoice, pdf_file
from bnpl.disputes import service


def test_a_case_runs_from_opening_to_a_decision(api, services):
    invoice = shipped_invoice(api)
    dispute_id = open_case(services, invoice["id"], evidence=[pdf_file()])
    r = api.get(f"/disputes/{dispute_id}")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "awaiting_merchant"
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "paused"
    r = api.post(f"/disputes/{dispute_id}/responses", json={"message": "We have proof of delivery.", "proposal": "reject"})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "in_review"
    act(services, service.decide, dispute_id=dispute_id, actor=MEDIATOR, outcome="merchant",
        reasons="The carrier's proof of delivery shows a signature at the address.")
    r = api.get(f"/disputes/{dispute_id}")
    assert r.json["status"] == "decided", r.json
    inv = api.get(f"/invoices/{invoice['id']}").json
    assert inv["status"] == "open", inv
    assert inv["due_date"] >= "2026-11-30"  # seven days to pay at least, never earlier than it was
