"""Stored documents and the renderer job: a PDF is rendered once per view, off the request
path, kept byte for byte, and a changed view is a new version beside the old one.
"""
from __future__ import annotations

import ast
import hashlib
import io
import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from bnpl import i18n
from bnpl.documents import jobs
from bnpl.documents import pdf as pdf_module
from bnpl.documents import service as documents
from bnpl.documents.content import Branding, DocumentView, Drawing
from bnpl.documents.models import Document, DocumentRequest
from bnpl.invoices import drawings
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.orders import service as orders
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories, identified
from tests.conftest import NOW

FAKE_PDF = b"%PDF-1.7 rendered by a test double"


# --- helpers --------------------------------------------------------------------------------

def create_order(api, **overrides) -> dict:
    r = api.post("/orders", json=factories.order(**overrides))
    assert r.status_code == 201, r.json
    accepted = identified.through_api(api, r.json)
    assert accepted["status"] == "accepted", accepted
    return accepted


def ship(api, order_id: str) -> dict:
    r = api.post(f"/orders/{order_id}/shipments", json={})
    assert r.status_code == 201, r.json
    return r.json


def shipped_invoice(api, **overrides) -> dict:
    return ship(api, create_order(api, **overrides)["id"])["invoice"]


def scope_of(api) -> Scope:
    return Scope(merchant_id=api.merchant_id, livemode=False)


def requests(services) -> list[DocumentRequest]:
    with unit_of_work(services) as uow:
        return list(uow.session.scalars(select(DocumentRequest).order_by(DocumentRequest.requested_at,
                                                                          DocumentRequest.id)))


def stored(services, subject_id: str | None = None) -> list[tuple[Document, bytes]]:
    """Stored documents (oldest first) with their content."""
    with unit_of_work(services) as uow:
        query = select(Document, Document.content).order_by(Document.created_at, Document.id)
        if subject_id is not None:
            query = query.where(Document.subject_id == subject_id)
        return [(document, content) for document, content in uow.session.execute(query)]


def invoice_view(uow, api, invoice_id: str) -> DocumentView:
    """The view the API renders for a merchant without logo or brand colour."""
    invoice = invoices.get_invoice(uow, scope=scope_of(api), invoice_id=invoice_id)
    return drawings.invoice_view(uow, invoice, branding=Branding(colour=None, logo_sha256=None))


def fail_rendering(monkeypatch, message: str = "no fonts today") -> None:
    def broken(view, *, logo=None):
        raise RuntimeError(message)
    monkeypatch.setattr(pdf_module, "render_pdf", broken)


def fake_rendering(monkeypatch, fail_for: set[str] = frozenset()) -> list[str]:
    """A fast renderer double; it fails for the document numbers in ``fail_for``."""
    rendered: list[str] = []

    def render(view, *, logo=None):
        if view.number in fail_for:
            raise RuntimeError(f"cannot render {view.number}")
        rendered.append(view.number)
        return FAKE_PDF + view.fingerprint().encode()
    monkeypatch.setattr(pdf_module, "render_pdf", render)
    return rendered


# --- render requests ------------------------------------------------------------------------

def test_shipping_asks_for_the_invoice_pdf_without_rendering_it(api, services):
    invoice = shipped_invoice(api)
    [request] = requests(services)
    assert (request.subject_type, request.subject_id) == ("invoice", invoice["id"])
    assert (request.attempts, request.last_error) == (0, None)
    assert request.requested_at == NOW
    assert stored(services) == []  # rendering is off the request path


def test_the_render_request_is_part_of_the_shipments_transaction(api, services):
    order = create_order(api)
    with pytest.raises(RuntimeError, match="after shipping"):
        with unit_of_work(services) as uow:
            shipped = orders.ship_order(uow, scope=scope_of(api), order_id=order["id"], data={})
            uow.session.flush()
            assert uow.session.scalar(select(DocumentRequest.subject_id)) == shipped.invoice.id
            raise RuntimeError("something failed after shipping")
    assert requests(services) == []
    with unit_of_work(services) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_the_renderer_stores_the_pdf_with_its_hash_and_size_and_deletes_the_request(api, services):
    invoice = shipped_invoice(api)
    assert jobs.render_documents(services) == 1
    [(document, content)] = stored(services)
    assert (document.subject_type, document.subject_id) == ("invoice", invoice["id"])
    assert content.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert (document.media_type, document.profile, document.language) == ("application/pdf", "pdf", "nl")
    assert document.merchant_id == api.merchant_id and document.livemode is False
    with unit_of_work(services) as uow:
        assert document.fingerprint == invoice_view(uow, api, invoice["id"]).fingerprint()
        assert documents.pdf_bytes(uow, document) == content
    assert requests(services) == []


def test_a_second_renderer_run_has_nothing_to_do(api, services):
    shipped_invoice(api)
    jobs.render_documents(services)
    before = [(d.id, d.sha256, content) for d, content in stored(services)]
    assert jobs.render_documents(services) == 0
    assert [(d.id, d.sha256, content) for d, content in stored(services)] == before


def test_a_failed_render_keeps_the_request_with_its_error_and_stores_nothing(api, services, monkeypatch):
    shipped_invoice(api)
    fail_rendering(monkeypatch, "no fonts today")
    assert jobs.render_documents(services) == 1  # handled: tried once this run
    [request] = requests(services)
    assert request.attempts == 1
    assert request.last_error == "RuntimeError: no fonts today"
    assert stored(services) == []


def test_a_failed_render_is_retried_on_the_next_run(api, services, monkeypatch):
    invoice = shipped_invoice(api)
    fail_rendering(monkeypatch)
    jobs.render_documents(services)
    monkeypatch.undo()  # the failure is gone
    assert jobs.render_documents(services) == 1
    assert requests(services) == []
    assert [document.subject_id for document, _ in stored(services)] == [invoice["id"]]


def test_after_max_attempts_a_request_is_no_longer_tried_but_stays_visible(api, services, monkeypatch):
    shipped_invoice(api)
    fail_rendering(monkeypatch, "broken template")
    for attempt in range(1, documents.MAX_RENDER_ATTEMPTS + 1):
        assert jobs.render_documents(services) == 1
        assert requests(services)[0].attempts == attempt
    monkeypatch.undo()
    assert jobs.render_documents(services) == 0  # given up on, even though it would work now
    [request] = requests(services)
    assert request.attempts == documents.MAX_RENDER_ATTEMPTS
    assert request.last_error == "RuntimeError: broken template"
    assert stored(services) == []


def test_a_failure_after_the_document_was_inserted_rolls_the_insert_back(api, services, monkeypatch):
    shipped_invoice(api)
    fake_rendering(monkeypatch)
    real_find, calls = documents._find, []

    def find_then_fail(uow, subject_id, fingerprint):
        calls.append(subject_id)
        if len(calls) == 2:  # the look-up right after the insert
            raise RuntimeError("lost the connection")
        return real_find(uow, subject_id, fingerprint)
    monkeypatch.setattr(documents, "_find", find_then_fail)
    jobs.render_documents(services)
    assert len(calls) == 2
    assert stored(services) == []
    assert [(r.attempts, r.last_error) for r in requests(services)] == [(1, "RuntimeError: lost the connection")]


def test_one_failing_document_does_not_hold_up_the_others(api, services, monkeypatch):
    first = shipped_invoice(api)
    second = shipped_invoice(api)
    rendered = fake_rendering(monkeypatch, fail_for={first["number"]})
    assert jobs.render_documents(services) == 2
    assert rendered == [second["number"]]
    assert [document.subject_id for document, _ in stored(services)] == [second["id"]]
    assert [(r.subject_id, r.attempts) for r in requests(services)] == [(first["id"], 1)]


# --- one document per view --------------------------------------------------------------------

def test_the_same_view_is_rendered_once_and_stored_once(api, services):
    invoice = shipped_invoice(api)
    calls = []

    def render(view):
        calls.append(view.fingerprint())
        return pdf_module.render_pdf(view)

    with unit_of_work(services) as uow:
        view = invoice_view(uow, api, invoice["id"])
        first = documents.store(uow, merchant_id=api.merchant_id, view=view, render=lambda: render(view))
    with unit_of_work(services) as uow:  # later, from the invoice as it is then: the same view
        view = invoice_view(uow, api, invoice["id"])
        again = documents.store(uow, merchant_id=api.merchant_id, view=view, render=lambda: render(view))
    assert len(calls) == 1
    assert again.id == first.id and again.sha256 == first.sha256
    assert len(stored(services, invoice["id"])) == 1


def test_a_later_due_date_is_a_new_fingerprint_and_a_new_version_beside_the_first(api, services, clock):
    shipment = ship(api, create_order(api)["id"])
    invoice = shipment["invoice"]
    jobs.render_documents(services)
    [(first, first_content)] = stored(services, invoice["id"])
    with unit_of_work(services) as uow:
        before = invoice_view(uow, api, invoice["id"]).fingerprint()
    assert first.fingerprint == before

    clock.advance(days=5)  # delivered late: due 14 days after delivery
    r = api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": clock.now().isoformat()})
    assert r.status_code == 200, r.json
    moved = api.get(f"/invoices/{invoice['id']}").json["due_date"]
    assert moved == (NOW + timedelta(days=5 + 14)).date().isoformat() != invoice["due_date"]

    with unit_of_work(services) as uow:
        after = invoice_view(uow, api, invoice["id"]).fingerprint()
        document = invoices.invoice_document(uow, scope=scope_of(api), invoice_id=invoice["id"])
    assert after != before
    assert document.fingerprint == after

    versions = stored(services, invoice["id"])
    assert [d.fingerprint for d, _ in versions] == [before, after]
    assert versions[0][1] == first_content and versions[0][0].sha256 == first.sha256  # untouched
    text = PdfReader(io.BytesIO(versions[1][1])).pages[0].extract_text()
    due = i18n.format_date(date.fromisoformat(moved), "nl")
    assert f"Vervaldatum {due}" in text
    assert i18n.format_date(date.fromisoformat(invoice["due_date"]), "nl") not in text


def test_a_moved_due_date_asks_the_renderer_for_the_new_version(api, services, clock):
    shipment = ship(api, create_order(api)["id"])
    jobs.render_documents(services)
    clock.advance(days=5)
    api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": clock.now().isoformat()})

    assert [r.subject_id for r in requests(services)] == [shipment["invoice"]["id"]]
    jobs.render_documents(services)
    assert len(stored(services, shipment["invoice"]["id"])) == 2


def test_a_credit_note_reads_the_same_after_its_invoice_due_date_moved(api, services, clock):
    order = create_order(api, lines=[factories.line("A"), factories.line("B")])
    shipment = ship(api, order["id"])
    returned = api.post(f"/orders/{order['id']}/returns",
                        json={"status": "received", "lines": [{"reference": "A", "quantity": 1}]}).json
    note_id = returned["credit_notes"][0]["id"]
    jobs.render_documents(services)
    clock.advance(days=5)
    api.post(f"/shipments/{shipment['id']}/delivery", json={"delivered_at": clock.now().isoformat()})

    assert api.get(f"/credit-notes/{note_id}/pdf").status_code == 200
    assert len(stored(services, note_id)) == 1


def test_an_invoice_of_twelve_lines_stays_under_100_kb(api, services):
    lines = [factories.line(f"SKU-{i}", quantity=1 + i % 3, unit_price=995 + 250 * i, vat_rate=(21, 9)[i % 2],
                            description=f"Fietsonderdeel nummer {i} met een wat langere omschrijving")
             for i in range(1, 13)]
    invoice = shipped_invoice(api, lines=lines)
    jobs.render_documents(services)
    [(document, content)] = stored(services, invoice["id"])
    assert document.size == len(content) < 100_000


# --- PostgreSQL: workers side by side -----------------------------------------------------

@pytest.mark.postgres
def test_two_processes_rendering_the_same_view_at_once_both_get_the_first_stored_copy(api, services):
    invoice = shipped_invoice(api)
    both_rendering = threading.Barrier(2, timeout=10)
    results, errors = {}, []

    def worker(name: str):
        try:
            with unit_of_work(services) as uow:
                view = invoice_view(uow, api, invoice["id"])

                def render():
                    both_rendering.wait()  # neither found a stored copy; both render
                    return FAKE_PDF + name.encode()
                document = documents.store(uow, merchant_id=api.merchant_id, view=view, render=render)
                results[name] = (document.id, document.sha256)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results["a"] == results["b"]
    [(document, content)] = stored(services, invoice["id"])
    assert (document.id, document.sha256) == results["a"]
    assert hashlib.sha256(content).hexdigest() == document.sha256


@pytest.mark.postgres
def test_a_request_another_worker_holds_is_skipped_not_waited_for(api, services, monkeypatch, clock):
    first = shipped_invoice(api)
    clock.advance(minutes=1)
    second = shipped_invoice(api)
    fake_rendering(monkeypatch)
    held, taken = requests(services)
    assert held.subject_id == first["id"]
    with unit_of_work(services) as busy:
        busy.session.scalar(select(DocumentRequest).where(DocumentRequest.id == held.id).with_for_update())
        with unit_of_work(services) as uow:
            assert documents.render_next_requested(uow, skip=set()) == taken.id
            assert documents.render_next_requested(uow, skip={taken.id}) is None
    assert [r.id for r in requests(services)] == [held.id]
    assert [d.subject_id for d, _ in stored(services)] == [second["id"]]


def test_a_business_pdf_declares_pdf_a_3_and_factur_x_and_stays_small(api, services):
    factories.give_legal_details(api)  # a business invoice needs them
    invoice = shipped_invoice(api, consumer=factories.consumer(
        type="business", company_name="Dijkstra Advocaten B.V.", vat_number="NL004495445B01"))
    jobs.render_documents(services)
    [(document, content)] = stored(services, invoice["id"])
    reader = PdfReader(io.BytesIO(content))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()

    assert document.profile == "factur-x en16931"
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert len(content) < 100_000


def test_a_central_european_name_is_printed_and_extractable_with_the_shipped_font(api, services):
    name = "Łukasz Wójcik-Dvořák"
    invoice = shipped_invoice(api, consumer=factories.consumer(name=name))
    text = PdfReader(io.BytesIO(api.get(f"/invoices/{invoice['id']}/pdf").data)).pages[0].extract_text()
    assert name in text


# --- the registry: features say how to draw, documents stores and renders -----------------

def test_a_kind_a_feature_registers_is_drawn_by_its_function_and_stored_under_that_kind(
        api, services, monkeypatch):
    invoice = shipped_invoice(api)
    rendered = fake_rendering(monkeypatch)

    def draw_receipt(uow, subject_id, payload):
        drawn = drawings.draw_invoice(uow, invoice["id"])
        view = replace(drawn.view, kind="receipt", subject_id=subject_id, number=payload["number"])
        return Drawing(drawn.merchant_id, view, drawn.logo)
    monkeypatch.setitem(documents._drawings, "receipt", draw_receipt)
    with unit_of_work(services) as uow:
        documents.request_renderings(uow, kind="receipt", subject_ids=["rcpt_1"], payloads=[{"number": "R-7"}])
        uow.commit()

    assert jobs.render_documents(services) == 2  # the invoice's own request, and the receipt
    assert sorted(rendered) == ["R-7", invoice["number"]]
    [(document, _)] = stored(services, "rcpt_1")
    assert (document.subject_type, document.merchant_id) == ("receipt", api.merchant_id)


def test_a_request_for_a_kind_nobody_registered_stays_queued_with_the_reason(services, uow):
    documents.request_rendering(uow, kind="postcard", subject_id="pc_1")
    uow.commit()
    assert jobs.render_documents(services) == 1
    [request] = requests(services)
    assert request.attempts == 1
    assert request.last_error == "LookupError: No drawing is registered for documents of kind 'postcard'."


def test_documents_import_none_of_the_features_that_register_with_it():
    package = Path(documents.__file__).parent
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    features = {name for name in imported if name.startswith("bnpl.")
                and name.split(".")[1] not in {"documents", "db", "sql", "uow", "errors", "i18n", "money", "clock",
                                               "resources"}}
    assert features == set()
