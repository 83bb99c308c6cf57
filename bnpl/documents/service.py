"""Use cases for documents: ask for one, render what was asked (the one render path), serve
the stored bytes.

Features register how to draw their documents: ``register(kind, draw)``, where
``draw(uow, subject_id, payload)`` returns a ``Drawing`` (the view, its merchant, the logo).
This package never imports a registering feature; the composition root (bnpl.app.wire)
plugs them in.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Callable

from sqlalchemy import bindparam, func, insert, select

from bnpl.db import insert_ignoring_conflicts, new_id
from bnpl.documents.content import DocumentView, Drawing
from bnpl.documents.models import Document, DocumentRequest
from bnpl.sql import Prepared
from bnpl.uow import UnitOfWork

Draw = Callable[[UnitOfWork, str, "dict | None"], Drawing]
_drawings: dict[str, Draw] = {}


def register(kind: str, draw: Draw) -> None:
    """How documents of this kind are drawn; registering a kind again replaces its drawing."""
    _drawings[kind] = draw


def drawing(uow: UnitOfWork, *, kind: str, subject_id: str, payload: dict | None = None) -> Drawing:
    """What the document shows now (or, with a payload, what it stated)."""
    draw = _drawings.get(kind)
    if draw is None:
        raise LookupError(f"No drawing is registered for documents of kind {kind!r}.")
    return draw(uow, subject_id, payload)


# --- asking: in the caller's transaction, rendered off the request path -------------------

def request_rendering(uow: UnitOfWork, *, kind: str, subject_id: str) -> None:
    """Ask the renderer for this document, in the caller's transaction (off the request path)."""
    request_renderings(uow, kind=kind, subject_ids=[subject_id])


def request_renderings(uow: UnitOfWork, *, kind: str, subject_ids: list[str],
                       payloads: list[dict] | None = None) -> None:
    """Several at once; a letter's request carries what the letter states (its payload)."""
    if len(subject_ids) == 1:  # a shipment's invoice: one plain statement, not the driver's executemany
        _REQUEST_ONE.run(uow.session, **rendering_request(uow, kind=kind, subject_id=subject_ids[0],
                                                           payload=(payloads or [None])[0]))
    elif subject_ids:
        now = uow.now()
        _INSERT_REQUESTS.run_many(uow.session, [
            dict(id=new_id("dreq"), subject_type=kind, subject_id=subject_id, requested_at=now, attempts=0,
                 payload=payload) for subject_id, payload in zip(subject_ids, payloads or [None] * len(subject_ids))])


_REQUESTS = DocumentRequest.__table__
# The request for one document as a statement a caller may chain with its own writes
# (sql.Chained: one statement on PostgreSQL), given rendering_request's parameters.
REQUEST_ONE = insert(_REQUESTS).values({name: bindparam(f"render_{name}", type_=_REQUESTS.c[name].type) for name in
                                        ("id", "subject_type", "subject_id", "requested_at", "attempts", "payload")})
_REQUEST_ONE = Prepared(REQUEST_ONE)
_INSERT_REQUESTS = Prepared(insert(_REQUESTS))


def rendering_request(uow: UnitOfWork, *, kind: str, subject_id: str, payload: dict | None = None) -> dict:
    """The parameters of REQUEST_ONE: ask the renderer for this document."""
    return {"render_id": new_id("dreq"), "render_subject_type": kind, "render_subject_id": subject_id,
            "render_requested_at": uow.now(), "render_attempts": 0, "render_payload": payload}


# --- storing: render once, serve the same bytes ever after -------------------------------

def document(uow: UnitOfWork, *, kind: str, subject_id: str, payload: dict | None = None) -> Document:
    """The document as it stands now: the stored one for its current view, or rendered now
    and stored."""
    drawn = drawing(uow, kind=kind, subject_id=subject_id, payload=payload)
    return store(uow, merchant_id=drawn.merchant_id, view=drawn.view, render=lambda: _render(drawn))


def ubl_xml(uow: UnitOfWork, *, kind: str, subject_id: str) -> bytes:
    """The document as UBL 2.1 (EN 16931), for a business customer's bookkeeping."""
    from bnpl.documents import einvoice

    return einvoice.ubl_xml(drawing(uow, kind=kind, subject_id=subject_id).view)


def _render(drawn: Drawing) -> bytes:
    from bnpl.documents import pdf  # WeasyPrint: loaded by the processes that render only

    view = replace(drawn.view, kind=drawn.drawn_as) if drawn.drawn_as else drawn.view
    return pdf.render_pdf(view, logo=drawn.logo)


def store(uow: UnitOfWork, *, merchant_id: str, view: DocumentView, render: Callable[[], bytes]) -> Document:
    """The document for this view: the stored one, or rendered now and stored. When two
    processes render the same view at once, the first stored copy wins for both."""
    fingerprint = view.fingerprint()
    stored = _find(uow, view.subject_id, fingerprint)
    if stored is not None:
        return stored
    pdf = render()
    insert_ignoring_conflicts(uow.session, Document.__table__, dict(
        id=new_id("doc"), merchant_id=merchant_id, livemode=view.livemode, subject_type=view.kind,
        subject_id=view.subject_id, fingerprint=fingerprint, language=view.language,
        media_type="application/pdf", profile="factur-x en16931" if view.is_business else "pdf",
        sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), content=pdf, created_at=uow.now(),
    ), index_elements=["subject_id", "fingerprint"])
    return _find(uow, view.subject_id, fingerprint)


def _find(uow, subject_id: str, fingerprint: str) -> Document | None:
    return uow.session.scalar(select(Document).where(
        Document.subject_id == subject_id, Document.fingerprint == fingerprint))


def pdf_bytes(uow: UnitOfWork, document: Document) -> bytes:
    """The stored bytes, checked against the hash taken when they were stored."""
    content = uow.session.scalar(select(Document.content).where(Document.id == document.id))
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise RuntimeError(f"Stored document {document.id} does not match its SHA-256.")
    return content


# --- attaching: the stored bytes, by reference, never rendered on the way -----------------

@dataclass(frozen=True)
class StoredPdf:
    document_id: str
    content: bytes


RENDERING = "rendering"  # a rendering of the subject is queued: what is stored is not its current version
NOT_RENDERED = "not rendered"  # nothing stored, and the renderer gave up or was never asked


def current_pdf(uow: UnitOfWork, *, kind: str, subject_id: str) -> StoredPdf | str:
    """The newest stored PDF of a subject with its bytes, in one statement, for a mail to
    attach; or why there is none to attach yet (RENDERING, NOT_RENDERED). Never renders."""
    queued = (select(func.min(DocumentRequest.attempts))
              .where(DocumentRequest.subject_type == kind, DocumentRequest.subject_id == subject_id)
              .scalar_subquery())
    row = uow.session.execute(
        select(Document.id, Document.sha256, Document.content, queued.label("queued"))
        .where(Document.subject_type == kind, Document.subject_id == subject_id)
        .order_by(Document.created_at.desc(), Document.id.desc()).limit(1)).first()
    attempts = row.queued if row is not None else uow.session.scalar(select(queued))
    if attempts is not None:
        return RENDERING if attempts < MAX_RENDER_ATTEMPTS else NOT_RENDERED
    if row is None:
        return NOT_RENDERED
    if hashlib.sha256(row.content).hexdigest() != row.sha256:
        raise RuntimeError(f"Stored document {row.id} does not match its SHA-256.")
    return StoredPdf(document_id=row.id, content=row.content)


# --- documents rendered once, from what they stated (letters) -----------------------------

def first_stored(uow: UnitOfWork, *, kind: str, subject_id: str) -> Document | None:
    """The first stored document of a subject: what a letter stated when it went out."""
    return uow.session.scalars(select(Document).where(
        Document.subject_type == kind, Document.subject_id == subject_id)
        .order_by(Document.created_at, Document.id).limit(1)).first()


def first_stored_pdf(uow: UnitOfWork, *, kind: str, subject_id: str) -> bytes | None:
    """The bytes of the first stored document of a subject, or None while it is not rendered."""
    stored = first_stored(uow, kind=kind, subject_id=subject_id)
    return pdf_bytes(uow, stored) if stored is not None else None


def first_stored_or_rendered(uow: UnitOfWork, *, kind: str, subject_id: str) -> Document | None:
    """The first stored document, or rendered and stored now from its pending request
    (which says what the document states); None when it was never asked for."""
    stored = first_stored(uow, kind=kind, subject_id=subject_id)
    if stored is not None:
        return stored
    request = uow.session.scalar(select(DocumentRequest).where(
        DocumentRequest.subject_type == kind, DocumentRequest.subject_id == subject_id).limit(1))
    return render_requested(uow, request) if request is not None else None


def stored_subjects(uow: UnitOfWork, *, kind: str, subject_ids: list[str]) -> set[str]:
    """Of these subjects, those with a stored document of this kind."""
    stored: set[str] = set()
    ids = sorted(set(subject_ids))
    for chunk in (ids[start:start + 1000] for start in range(0, len(ids), 1000)):
        stored.update(uow.session.scalars(select(Document.subject_id).where(
            Document.subject_type == kind, Document.subject_id.in_(chunk))))
    return stored


# --- the render queue ---------------------------------------------------------------------

MAX_RENDER_ATTEMPTS = 5


def render_requested(uow: UnitOfWork, request: DocumentRequest) -> Document:
    """Render the document a request asks for (the renderer's job calls this)."""
    return document(uow, kind=request.subject_type, subject_id=request.subject_id, payload=request.payload)


def render_next_requested(uow: UnitOfWork, *, skip: set[str]) -> str | None:
    """Claim the oldest render request (SKIP LOCKED: workers share the queue) and render it.
    The request is deleted in the same transaction the document is stored in; a failure is
    recorded on the request, which is retried on the next run until MAX_RENDER_ATTEMPTS.
    Returns the request id, or None when nothing is left."""
    request = uow.session.scalar(
        select(DocumentRequest)
        .where(DocumentRequest.attempts < MAX_RENDER_ATTEMPTS, DocumentRequest.id.not_in(skip))
        .order_by(DocumentRequest.requested_at, DocumentRequest.id).limit(1)
        .with_for_update(skip_locked=True))
    if request is None:
        return None
    try:
        with uow.session.begin_nested():
            render_requested(uow, request)
    except Exception as exc:  # noqa: BLE001 - any failure is kept on the request for the operator
        request.attempts += 1
        request.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        uow.session.delete(request)
    return request.id



def render_backlog(uow: UnitOfWork) -> int:
    """Documents asked for and not drawn yet (what the renderer's pass still has to do)."""
    return uow.session.scalar(select(func.count()).select_from(DocumentRequest))


def forget(uow: UnitOfWork, *, kind: str, subject_ids) -> int:
    """Delete the stored documents of these subjects (their retention has run out)."""
    from sqlalchemy import delete

    gone = uow.session.execute(delete(Document).where(Document.subject_type == kind,
                                                      Document.subject_id.in_(subject_ids)))
    return gone.rowcount
