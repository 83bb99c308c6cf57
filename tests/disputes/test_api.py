"""The merchant API for disputes: listing (its own only, by status, page by page), the answer
with evidence files (checked by content, with limits), downloading evidence safely, and the
clear errors for an answer that comes at the wrong time or with the wrong fields."""
import hashlib

import pytest
from werkzeug.http import parse_options_header

from bnpl.disputes import service
from bnpl.errors import InvalidInput
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.disputes.cases import MEDIATOR, PDF, act, open_case, pdf_file, shipped_invoice
from tests.disputes.support import dispute, dispute_rules, invoice, many_invoices, pdf, png, rejected, respond
from tests.payments.flows import ship

MB = 1024 * 1024


def disposition(response) -> tuple[str, str]:
    """Content-Disposition as (type, file name), however the name is quoted or encoded."""
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    return kind, options.get("filename")


@pytest.fixture
def case(api, services):
    inv = shipped_invoice(api)
    return open_case(services, inv["id"], evidence=[pdf_file("receipt.pdf")])


# --- listing and reading: a merchant's own cases only ---------------------------------------

def test_the_list_holds_only_the_merchants_own_cases(api, other_api, services, case):
    theirs = open_case(services, shipped_invoice(other_api)["id"])
    assert [item["id"] for item in api.get("/disputes").json["items"]] == [case]
    assert [item["id"] for item in other_api.get("/disputes").json["items"]] == [theirs]


def test_another_merchants_case_is_not_found_and_cannot_be_answered(api, other_api, services, case):
    assert other_api.get("/disputes").json["items"] == []
    assert other_api.get(f"/disputes/{case}").status_code == 404
    r = respond(other_api, case, "accept")
    assert r.status_code == 404, r.json
    evidence_id = dispute(api, case)["timeline"][0]["evidence"][0]["id"]
    assert other_api.get(f"/disputes/{case}/evidence/{evidence_id}").status_code == 404
    assert dispute(api, case)["status"] == "awaiting_merchant"  # untouched


def test_an_unknown_case_is_404(api):
    assert api.get("/disputes/dsp_nothere").status_code == 404
    assert respond(api, "dsp_nothere", "reject").status_code == 404


def test_the_list_filters_by_status(api, services):
    waiting, answered, settled = (open_case(services, invoice_id) for invoice_id in
                                  many_invoices(services, api.merchant_id, 3))
    rejected(api, answered)
    assert respond(api, settled, "accept").status_code == 201

    def listed(status):
        r = api.get(f"/disputes?status={status}")
        assert r.status_code == 200, r.json
        return [item["id"] for item in r.json["items"]]

    assert listed("awaiting_merchant") == [waiting]
    assert listed("in_review") == [answered]
    assert listed("decided") == [settled]
    assert listed("withdrawn") == []
    assert api.get("/disputes?status=lost").status_code == 422


def test_the_list_comes_page_by_page_newest_first(api, services, clock):
    opened = []
    for invoice_id in many_invoices(services, api.merchant_id, 5):
        opened.append(open_case(services, invoice_id))
        clock.advance(minutes=1)
    first = api.get("/disputes?limit=2").json
    second = api.get(f"/disputes?limit=2&cursor={first['next_cursor']}").json
    third = api.get(f"/disputes?limit=2&cursor={second['next_cursor']}").json
    assert [item["id"] for page in (first, second, third) for item in page["items"]] == opened[::-1]
    assert third["next_cursor"] is None
    assert api.get("/disputes?limit=0").status_code == 422


def test_a_case_as_the_merchant_reads_it(api, services, case):
    body = dispute(api, case)
    assert body["object"] == "dispute" and body["livemode"] is False
    assert (body["status"], body["waiting_for"], body["reason"]) == ("awaiting_merchant", "merchant", "not_received")
    assert body["timeline"][0]["evidence"][0]["filename"] == "receipt.pdf"
    assert api.get("/disputes").json["items"][0] == body


# --- the answer with evidence ---------------------------------------------------------------

def test_evidence_sent_with_the_answer_is_stored_and_served_as_an_attachment(api, services, case):
    photo = png()
    r = respond(api, case, "reject", evidence=[("tracking.pdf", PDF), ("doorstep.jpg", photo)])
    assert r.status_code == 201, r.json
    answer = r.json["timeline"][-1]
    assert (answer["kind"], answer["party"]) == ("merchant_responded", "merchant")
    files = {item["filename"]: item for item in answer["evidence"]}
    # The type comes from the bytes: a PNG named .jpg is a PNG.
    assert {name: item["content_type"] for name, item in files.items()} == {
        "tracking.pdf": "application/pdf", "doorstep.jpg": "image/png"}
    assert files["doorstep.jpg"]["size"] == len(photo)
    assert files["doorstep.jpg"]["sha256"] == hashlib.sha256(photo).hexdigest()

    download = api.get(f"/disputes/{case}/evidence/{files['doorstep.jpg']['id']}")
    assert download.status_code == 200
    assert download.data == photo
    assert download.headers["Content-Type"] == "image/png"
    assert disposition(download) == ("attachment", "doorstep.jpg")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_the_consumers_evidence_is_downloadable_by_the_merchant(api, case):
    item = dispute(api, case)["timeline"][0]["evidence"][0]
    download = api.get(f"/disputes/{case}/evidence/{item['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"


def test_an_unknown_evidence_id_is_404(api, case):
    assert api.get(f"/disputes/{case}/evidence/evd_nothere").status_code == 404


def test_an_html_page_named_jpg_is_refused_naming_the_file(api, case):
    r = respond(api, case, "reject", evidence=[("tracking.pdf", PDF),
                                               ("photo.jpg", b"<html><script>alert(1)</script></html>")])
    assert r.status_code == 422, r.json
    assert list(r.json["errors"]) == ["evidence.1"]
    assert r.json["errors"]["evidence.1"][0].startswith("photo.jpg: ")
    assert dispute(api, case)["status"] == "awaiting_merchant"  # nothing of the answer was kept
    assert len(dispute(api, case)["timeline"]) == 2


def test_files_that_are_not_an_accepted_type_are_refused(api, case):
    for name, content, says in [
        ("empty.pdf", b"", "empty"),
        ("cut.pdf", b"%PDF-1.4\n" + b"0" * 4000, "cut off or damaged"),
        ("broken.png", png()[:-30], "not a file we accept"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not a file we accept"),
    ]:
        r = respond(api, case, "reject", evidence=[(name, content)])
        assert r.status_code == 422, r.json
        assert name in r.json["errors"]["evidence.0"][0] and says in r.json["errors"]["evidence.0"][0]
    assert dispute(api, case)["status"] == "awaiting_merchant"


def test_more_than_5_files_are_refused(api, case):
    r = respond(api, case, "reject", evidence=[(f"page{i}.pdf", PDF) for i in range(6)])
    assert r.status_code == 422, r.json
    assert "At most 5 files" in r.json["errors"]["evidence"][0]
    assert respond(api, case, "reject", evidence=[(f"page{i}.pdf", PDF) for i in range(5)]).status_code == 201


def test_a_file_over_4_mb_is_refused(api, case):
    r = respond(api, case, "reject", evidence=[("scan.pdf", pdf(4 * MB + 1))])
    assert r.status_code == 422, r.json
    message = r.json["errors"]["evidence.0"][0]
    assert message == "scan.pdf: the file is larger than the limit of 4.0 MB."


def test_the_size_limit_is_configurable(api, services, case, monkeypatch):
    dispute_rules(monkeypatch, services, evidence_max_bytes=10_000)
    r = respond(api, case, "reject", evidence=[("scan.pdf", pdf(20_000))])
    assert r.status_code == 422 and "the limit of 9 KB" in r.json["errors"]["evidence.0"][0], r.json


def test_this_endpoint_takes_bodies_larger_than_the_1_mb_default(api, case):
    big = pdf(2 * MB)
    assert api.post("/orders", json={"note": "x" * (2 * MB)}).status_code == 413  # the default elsewhere
    r = respond(api, case, "reject", evidence=[("scan.pdf", big)])
    assert r.status_code == 201, r.json
    item = r.json["timeline"][-1]["evidence"][0]
    assert item["size"] == len(big)
    assert api.get(f"/disputes/{case}/evidence/{item['id']}").data == big


def test_evidence_that_is_not_base64_is_refused(api, case):
    r = api.post(f"/disputes/{case}/responses", json={
        "message": "See attached.", "proposal": "reject", "evidence": [{"filename": "a.pdf", "content": "%%%"}]})
    assert r.status_code == 422 and "evidence.0.content" in r.json["errors"], r.json


def test_a_file_name_is_shown_without_path_or_quotes(api, case):
    r = respond(api, case, "reject", evidence=[('../../etc/"pass"wd.pdf', PDF)])
    item = r.json["timeline"][-1]["evidence"][0]
    assert item["filename"] == "passwd.pdf"
    download = api.get(f"/disputes/{case}/evidence/{item['id']}")
    assert disposition(download) == ("attachment", "passwd.pdf")


# --- answers at the wrong time or with the wrong fields -------------------------------------

def test_answering_a_closed_case_is_a_409(api, case):
    assert respond(api, case, "accept").status_code == 201
    r = respond(api, case, "reject")
    assert r.status_code == 409, r.json
    assert "already decided" in r.json["detail"] and r.json["dispute_status"] == "decided"


def test_answering_a_case_in_review_or_waiting_for_the_consumer_is_a_409(api, services, case):
    rejected(api, case)
    r = respond(api, case, "accept")
    assert r.status_code == 409 and "in review" in r.json["detail"], r.json
    act(services, service.ask, dispute_id=case, actor=MEDIATOR, party="consumer", message="Which day was it?")
    r = respond(api, case, "accept")
    assert r.status_code == 409 and "not waiting for the merchant" in r.json["detail"], r.json
    assert r.json["dispute_status"] == "awaiting_consumer"
    assert dispute(api, case)["status"] == "awaiting_consumer"


def test_wrong_fields_in_an_answer_are_a_422(api, case):
    for body, field in [
        ({"message": "We accept.", "proposal": "accept", "amount": 500}, "amount"),
        ({"message": "We reject.", "proposal": "reject", "amount": 500}, "amount"),
        ({"message": "A discount.", "proposal": "partial_credit"}, "amount"),
        ({"message": "A discount.", "proposal": "partial_credit", "amount": 0}, "amount"),
        ({"message": "Hmm.", "proposal": "maybe"}, "proposal"),
        ({"proposal": "reject"}, "message"),
    ]:
        r = api.post(f"/disputes/{case}/responses", json=body)
        assert r.status_code == 422, r.json
        assert field in r.json["errors"], r.json
    assert dispute(api, case)["status"] == "awaiting_merchant"


def test_a_partial_credit_of_all_or_more_than_disputed_is_a_422(api, case):
    for amount in (1999, 2500):
        r = respond(api, case, "partial_credit", amount=amount)
        assert r.status_code == 422 and "accept" in r.json["errors"]["amount"][0], r.json
    assert dispute(api, case)["status"] == "awaiting_merchant"


def test_an_answer_with_the_same_idempotency_key_is_taken_once(api, case):
    body = {"message": "We accept.", "proposal": "accept"}
    first = api.post(f"/disputes/{case}/responses", json=body, headers={"Idempotency-Key": "answer-1"})
    again = api.post(f"/disputes/{case}/responses", json=body, headers={"Idempotency-Key": "answer-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert len(invoice(api, first.json["invoice_id"])["credit_notes"]) == 1


def test_a_response_with_an_unknown_proposal_is_refused_by_the_service(api, services):
    case = open_case(services, ship(api)["id"])
    with unit_of_work(services) as uow, pytest.raises(InvalidInput):
        service.respond(uow, scope=Scope(api.merchant_id, False), dispute_id=case,
                         response=service.MerchantResponse(message="Hm.", proposal="maybe"))
