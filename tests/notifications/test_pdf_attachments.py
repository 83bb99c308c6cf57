"""A mail attaches the PDF the renderer stored, by its id, and never renders one itself: a
mail whose PDF is not stored yet waits for it, without counting that as a failed attempt."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bnpl.documents.jobs import render_documents
from bnpl.documents.models import Document, DocumentRequest
from bnpl.documents.service import MAX_RENDER_ATTEMPTS
from bnpl.notifications.jobs import deliver_outbox
from bnpl.notifications.service import PDF_WAIT
from tests.notifications.test_email import one, pdfs, ship


def stored_documents(services) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Document))


def test_the_invoice_mail_waits_for_its_pdf_and_the_worker_renders_nothing(api, services, smtp_server,
                                                                          smtp_services, clock):
    _, invoice = ship(api)

    assert deliver_outbox(smtp_services) == {"waiting": 1}
    row = one(services)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, f"waiting for the PDF of {invoice['number']}")
    assert row.next_attempt_at == clock.now() + PDF_WAIT and row.claimed_by is None
    assert stored_documents(services) == 0 and smtp_server.messages == []

    render_documents(services)
    assert deliver_outbox(smtp_services) == {}  # not due again yet
    clock.advance(seconds=PDF_WAIT.total_seconds())
    assert deliver_outbox(smtp_services) == {"delivered": 1}
    assert (one(services).status, one(services).attempts) == ("delivered", 1)
    [sent] = smtp_server.messages
    with services.sessionmaker() as session:
        stored = session.scalar(select(Document.content).where(Document.subject_id == invoice["id"]))
    assert pdfs(sent) == {f"{invoice['number']}.pdf": stored}  # the stored bytes, as they are


def test_a_newer_rendering_on_its_way_is_waited_for(api, services, smtp_services, clock):
    _, invoice = ship(api)
    render_documents(services)
    with services.engine.begin() as conn:  # the invoice changed: its new version is asked for
        conn.execute(DocumentRequest.__table__.insert().values(
            id="dreq_again", subject_type="invoice", subject_id=invoice["id"], requested_at=clock.now(), attempts=0))
    assert deliver_outbox(smtp_services) == {"waiting": 1}


def test_a_pdf_the_renderer_gave_up_on_fails_the_mail_for_an_operator(api, services, smtp_services):
    _, invoice = ship(api)
    with services.engine.begin() as conn:
        conn.execute(update(DocumentRequest).values(attempts=MAX_RENDER_ATTEMPTS))
    assert deliver_outbox(smtp_services) == {"retrying": 1}
    row = one(services)
    assert row.attempts == 1 and f"no PDF of {invoice['number']} is stored or being rendered" in row.last_error
    assert stored_documents(services) == 0
