"""The scheduler's passes for tests that follow a message out: the renderer first (it stores
the PDFs that were asked for), then the outbox. The mail worker never renders, so a mail
whose PDF is not stored yet would wait; the scheduler runs both passes, and so do these tests."""
from __future__ import annotations

from bnpl.documents.jobs import render_documents
from bnpl.notifications import jobs


def deliver_outbox(services, **options):
    render_documents(services)
    return jobs.deliver_outbox(services, **options)
