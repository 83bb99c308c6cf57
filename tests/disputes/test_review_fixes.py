"""What a review of the first version found, each as the rule it broke."""
import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from bnpl.disputes import service
from bnpl.disputes.evidence import EvidenceFile, check_files
from bnpl.errors import Conflict, InvalidInput
from bnpl.invoices import service as invoices
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import MEDIATOR, SECOND, act, open_case
from tests.payments.flows import invoice as read_invoice
from tests.payments.flows import ship


def _credit_line(services, api, invoice_id, reference):
    with unit_of_work(services) as uow:
        inv = invoices.get_invoice(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id)
        line = next(l for l in inv.lines if l.order_line_reference == reference)
        invoices.credit_lines(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id, lines=[
            invoices.LineToCredit(reference=reference, description=line.description, quantity=line.quantity,
                                  unit_price_cents=line.unit_price_cents, vat_rate_bp=line.vat_rate_bp)],
            reason="Returned goods")


def test_a_line_already_credited_cannot_be_disputed(api, services):
    inv = ship(api, lines=factories.three_lines())
    _credit_line(services, api, inv["id"], "SKU-3")
    with pytest.raises(InvalidInput, match="already credited in full"):
        open_case(services, inv["id"], lines=[("SKU-3", 1)])


def test_a_line_credited_while_the_case_runs_is_not_credited_again(api, services):
    inv = ship(api, lines=factories.three_lines())
    case = open_case(services, inv["id"], reason="damaged", lines=[("SKU-3", 1)])
    _credit_line(services, api, inv["id"], "SKU-3")  # the return arrived meanwhile
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="The photos show the damage the consumer describes.")
    after = read_invoice(api, inv["id"])
    assert after["credited"] == 2500 and after["balance"] == inv["total"] - 2500
    assert api.get(f"/disputes/{case}").json["decision"]["credited"] == 0


def test_a_decision_on_a_fully_credited_invoice_issues_no_empty_credit_note(api, services):
    inv = ship(api)
    case = open_case(services, inv["id"])
    assert api.post(f"/invoices/{inv['id']}/credits", json={"amount": inv["total"], "reason": "goodwill"}).status_code == 201
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="The parcel was lost by the carrier; the webshop credited it already.")
    assert len(read_invoice(api, inv["id"])["credit_notes"]) == 1


def test_a_payment_in_full_keeps_the_case_pause_so_a_reversal_does_not_unleash_dunning(api, services):
    inv = ship(api)
    open_case(services, inv["id"])
    with unit_of_work(services) as uow:
        scope = Scope(api.merchant_id, False)
        invoices.apply_payment(uow, scope=scope, invoice_id=inv["id"], payment_id="pay_1", method="sepa_debit",
                               amount=inv["total"], paid_on=uow.today())
    assert read_invoice(api, inv["id"])["status"] == "paid"
    with unit_of_work(services) as uow:
        invoices.apply_payment(uow, scope=scope, invoice_id=inv["id"], payment_id="pay_1r", method="sepa_debit",
                               amount=-inv["total"], paid_on=uow.today())
    assert read_invoice(api, inv["id"])["status"] == "paused"


def test_one_mediator_cannot_end_a_case_waiting_for_approval(api, services):
    inv = ship(api, lines=[factories.line(unit_price=60000)])
    case = open_case(services, inv["id"])
    act(services, service.decide, dispute_id=case, actor=MEDIATOR, outcome="consumer",
        reasons="Proof of delivery is missing for this expensive item.")
    with pytest.raises(Conflict, match="waits for a second mediator"):
        act(services, service.decide, dispute_id=case, actor=SECOND, outcome="withdrawn",
            reasons="The consumer withdrew on the phone today.")


def test_a_follow_up_question_the_webshop_misses_goes_to_a_mediator_not_to_an_automatic_decision(
        api, services, clock):
    inv = ship(api)  # EUR 19.99: below the automatic-decision amount
    case = open_case(services, inv["id"])
    api.post(f"/disputes/{case}/responses", json={"message": "Delivered, see the scan.", "proposal": "reject"})
    act(services, service.ask, dispute_id=case, actor=MEDIATOR, party="merchant", message="Send the signature.")
    clock.advance(days=15)
    act(services, service.check_deadlines)
    assert api.get(f"/disputes/{case}").json["status"] == "in_review"


def _png_header_claiming(width, height) -> bytes:
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_an_image_claiming_a_billion_pixels_is_refused_not_a_crash():
    with pytest.raises(InvalidInput, match="too large in pixels"):
        check_files([EvidenceFile("bomb.png", _png_header_claiming(40000, 40000))], max_files=5, max_bytes=10**6)


def test_a_cut_off_jpeg_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "JPEG")
    with pytest.raises(InvalidInput, match="not a file we accept"):
        check_files([EvidenceFile("photo.jpg", buffer.getvalue()[:400])], max_files=5, max_bytes=10**6)


def test_statistics_refuse_dates_no_calendar_needs(api):
    r = api.get("/dispute-statistics?since=0001-01-01")
    assert r.status_code == 422, r.json
