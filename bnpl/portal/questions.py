"""The consumer's questions in the portal, composed from the support feature: asked on one of
their purchases (which fixes the webshop) or in general, and followed as a thread. A viewer who
signed in with one invoice's number asks about that invoice's consumer only."""
from __future__ import annotations

from dataclasses import dataclass

from bnpl.errors import NotFound
from bnpl.i18n import said
from bnpl.merchants import service as merchants
from bnpl.portal.service import Viewer, _consumer_ids, invoice_of
from bnpl.support import service as support
from bnpl.support.models import Thread
from bnpl.uow import UnitOfWork


@dataclass(frozen=True)
class QuestionPage:
    thread: Thread
    webshop: str | None  # None: a general question


def about(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str | None) -> str | None:
    """The webshop a question on this purchase goes to (None: general); not the viewer's: not found."""
    if not invoice_id:
        return None
    return merchants.get_merchant(uow, merchant_id=invoice_of(uow, viewer=viewer, invoice_id=invoice_id).merchant_id).name


def ask(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str | None, subject: str, message: str) -> Thread:
    """Send a question; the thread with the moment we promise to answer by."""
    consumer_id = invoice_of(uow, viewer=viewer, invoice_id=invoice_id).consumer_id if invoice_id \
        else _consumer(uow, viewer)
    return support.ask(uow, consumer_id=consumer_id, invoice_id=invoice_id or None, subject=subject, message=message)


def mine(uow: UnitOfWork, *, viewer: Viewer) -> list[Thread]:
    """The viewer's questions, newest first."""
    return [thread for consumer_id in _consumer_ids(uow, viewer)
            for thread in support.consumer_threads(uow, consumer_id=consumer_id)]


def question(uow: UnitOfWork, *, viewer: Viewer, thread_id: str) -> QuestionPage:
    """One of the viewer's questions; anyone else's is not found."""
    thread = _own(uow, viewer, thread_id)
    webshop = merchants.get_merchant(uow, merchant_id=thread.merchant_id).name if thread.merchant_id else None
    return QuestionPage(thread=thread, webshop=webshop)


def reply(uow: UnitOfWork, *, viewer: Viewer, thread_id: str, message: str) -> Thread:
    thread = _own(uow, viewer, thread_id)
    return support.reply(uow, consumer_id=thread.consumer_id, thread_id=thread.id, message=message)


def _own(uow, viewer: Viewer, thread_id: str) -> Thread:
    for consumer_id in _consumer_ids(uow, viewer):
        try:
            return support.consumer_thread(uow, consumer_id=consumer_id, thread_id=thread_id)
        except NotFound:
            continue
    raise NotFound(said("No question %(id)s.", id=thread_id))


def _consumer(uow, viewer: Viewer) -> str:
    found = _consumer_ids(uow, viewer)
    if not found:
        raise NotFound(said("There are no purchases of yours to ask about."))
    return found[0]
