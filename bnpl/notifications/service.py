"""Use cases for notifications: what goes out when something happens, webhook endpoints,
and delivering the outbox (claim, gate, send, record)."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, or_, select, true, update

from bnpl import i18n, logs
from bnpl.db import COPY_FROM, among_chunks, insert_rows, new_id
from bnpl.errors import InvalidInput, NotFound
from bnpl.events.service import NewEvent
from bnpl.events.models import EVENT_TYPES
from bnpl.invoices import queries as invoice_queries
from bnpl.merchants import service as merchants
from bnpl.notifications import gate, mail, snapshot, states, webhooks
from bnpl.notifications.models import EMAIL, WEBHOOK, OutboxMessage, WebhookEndpoint, wants
from bnpl.orders import service as orders
from bnpl.sql import Prepared
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# The e-mail a consumer gets for an event. A paused invoice is announced by its own mail
# except when a return paused it: the return mail already says so.
CONSUMER_MAIL = {
    "invoice.issued": "invoice_issued",
    "credit_note.issued": "credit_note_issued",
    "return.announced": "return_registered",
    "invoice.paused": "invoice_paused",
    "invoice.resumed": "invoice_resumed",
    "payment.received": "payment_received",
    "payment.reversed": "payment_returned",
    "dunning.level_reached": None,  # the level's own template, named in the event (template)
    "dispute.opened": "dispute_opened",
    "dispute.merchant_responded": "dispute_update",
    "dispute.message_posted": "dispute_update",
    "dispute.information_requested": "dispute_update",
    "dispute.escalated": "dispute_update",
    "dispute.decided": "dispute_decided",
    "dispute.withdrawn": "dispute_decided",
    "dispute.reopen_refused": "dispute_reopen_refused",
    "order.review_decided": "review_decided",
    # Only where we had written about the order (an invoice for part of it went out): the
    # webshop tells its own customers about its own cancellations.
    "order.lines_cancelled": "order_lines_cancelled",
    "invoice.due_soon": "invoice_due_soon",
}
# The merchant is e-mailed (besides the webhook) on every change of a case: a deadline
# that runs out unnoticed loses the case.
# A requested change of a money setting and its outcome, a key made or revoked: the contact
# address hears of each, so a stolen key cannot quietly raise a limit, redirect payouts or
# make itself a spare.
MERCHANT_MAIL_PREFIXES = {"dispute.": "dispute_merchant", "merchant.change_": "merchant_change",
                          "api_key.": "api_key_change", "merchant.contact_changed": "merchant_contact_changed"}
# A second case that a mediator refused never reached the webshop (it was not asked): no mail.
NO_MERCHANT_MAIL = {"dispute.reopen_refused"}
# Mails whose payload holds a secret link, blanked once delivered.
SECRET_LINKS = {"portal_sign_in"}
# Backoff doubles from 30 s to at most 6 h: 10 attempts span about 8 hours, 24 about 4 days.
ATTEMPTS = {EMAIL: 10, WEBHOOK: 24}
WEBHOOK_RETRY_FOR = timedelta(days=3)  # an endpoint failing this long is switched off
FIRST_RETRY, LONGEST_WAIT = timedelta(seconds=30), timedelta(hours=6)


# --- writing messages, in the transaction of the change ----------------------------------

def on_events(uow: UnitOfWork, recorded: list[tuple[str, NewEvent]]) -> None:
    """Called for recorded events (id, event): a webhook per interested endpoint, and the
    consumer's e-mail where the event calls for one; written with one insert."""
    endpoints = _Endpoints(uow)
    mails = [(event_id, event, kind) for event_id, event in recorded if (kind := _mail_kind(event))]
    people = _people(uow, mails)
    rows = [row for event_id, event in recorded for row in _webhooks(uow, endpoints, event_id, event)]
    rows += [_consumer_mail(uow, people, event_id, event, kind) for event_id, event, kind in mails]
    rows += [_merchant_mail(uow, event_id, event, kind) for event_id, event in recorded
             if (kind := _merchant_mail_kind(event))]
    _write_messages(uow, rows)


def _write_messages(uow, rows: list[dict]) -> None:
    if len(rows) >= COPY_FROM:  # a bank statement's thousand payments
        insert_rows(uow.session, OutboxMessage.__table__, rows)
    else:
        _INSERT_MESSAGES.run_many(uow.session, rows)


# Compiled once and run on the driver: a statement's construction costs more than running it,
# and SQLAlchemy's execution layer as much again (issue 19).
_ENABLED_ENDPOINTS = Prepared(select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
    WebhookEndpoint.merchant_id == bindparam("merchant_id"), WebhookEndpoint.livemode == bindparam("livemode"),
    WebhookEndpoint.enabled.is_(True)))
_INSERT_MESSAGES = Prepared(insert(OutboxMessage.__table__))


def _mail_kind(event) -> str | None:
    if event.type == "invoice.paused" and event.data.get("reason") in ("return", "dispute"):
        return None  # the return's or the case's own mail already says so
    if event.type == "invoice.resumed" and event.data.get("lifted_by", "").startswith("dispute"):
        return None  # the decision's own mail says what is left to pay, and by when
    if event.type not in CONSUMER_MAIL:
        return None
    if event.type == "order.lines_cancelled" and not event.data.get("consumer_told"):
        return None
    return CONSUMER_MAIL[event.type] or event.data.get("template")


class _Endpoints:
    """The enabled webhook endpoints of each scope (id, event types), read once per batch of events."""

    def __init__(self, uow):
        self.uow, self.known = uow, {}

    def of(self, scope: Scope) -> list[tuple[str, list]]:
        if scope not in self.known:
            self.known[scope] = _ENABLED_ENDPOINTS.rows(
                self.uow.session, merchant_id=scope.merchant_id, livemode=scope.livemode)
        return self.known[scope]


def _webhooks(uow, endpoints: _Endpoints, event_id: str, event) -> list[dict]:
    wanting = [endpoint_id for endpoint_id, event_types in endpoints.of(event.scope)
               if wants(event_types, event.type)]
    if not wanting:
        return []
    body = {"id": event_id, "type": event.type, "created_at": uow.now().isoformat(),
            "livemode": event.scope.livemode, "data": event.data}
    return [_message_row(uow, event.scope, channel=WEBHOOK, kind=event.type, recipient=endpoint_id,
                         event_id=event_id, payload=body) for endpoint_id in wanting]


# Which invoice a consumer e-mail is about: the event's subject, or named in its data.
_INVOICE_IS_SUBJECT = {"invoice_issued", "invoice_paused", "invoice_resumed"}


def _invoice_of(kind: str, event) -> str | None:
    return event.subject_id if kind in _INVOICE_IS_SUBJECT else event.data.get("invoice_id")


def _people(uow, mails) -> dict[str, tuple[dict, str]]:
    """Whom each invoice is billed to, and its order: one read for the whole batch."""
    wanted = {(invoice_id, event.scope) for _, event, kind in mails if (invoice_id := _invoice_of(kind, event))}
    return invoice_queries.billed_to_many(uow, invoice_ids=wanted)


def _consumer_mail(uow, people, event_id: str, event, kind: str) -> dict:
    invoice_id = _invoice_of(kind, event)
    if invoice_id is None:  # a return or a cancellation: about the order
        order = orders.get_order(uow, scope=event.scope, order_id=event.data["order_id"])
        person, order_id = {**order.consumer, "address": order.billing_address}, order.id
    else:
        person, order_id = people[invoice_id]
    language = i18n.language_for(person.get("language"), (person.get("address") or {}).get("country"))
    return _message_row(uow, event.scope, channel=EMAIL, kind=kind, recipient=person["email"], language=language,
                        order_id=order_id, invoice_id=invoice_id, subject_id=event.subject_id, event_id=event_id,
                        payload={"name": person["name"], "data": event.data})


def _merchant_mail_kind(event) -> str | None:
    if event.type in NO_MERCHANT_MAIL:
        return None
    return next((kind for prefix, kind in MERCHANT_MAIL_PREFIXES.items() if event.type.startswith(prefix)), None)


def _merchant_mail(uow, event_id: str, event, kind: str) -> dict:
    merchant = merchants.get_merchant(uow, merchant_id=event.scope.merchant_id)
    # A new contact address is announced to the one it replaced (data.previous_email).
    recipient = event.data.get("previous_email") or merchant.email or ""
    return _message_row(uow, event.scope, channel=EMAIL, kind=kind, recipient=recipient, language=merchant.language,
                        subject_id=event.subject_id, event_id=event_id,
                        payload={"name": merchant.name, "event": event.type, "data": event.data})


def delivered(uow: UnitOfWork, *, subject_ids: list[str]) -> set[str]:
    """Of these subjects (a dunning letter's step, say), those whose consumer e-mail was delivered."""
    found: set[str] = set()
    for where in among_chunks(uow.session, OutboxMessage.subject_id, subject_ids):
        found.update(uow.session.scalars(select(OutboxMessage.subject_id).where(
            where, OutboxMessage.channel == EMAIL, OutboxMessage.status == states.DELIVERED)))
    return found


def notify_merchant(uow: UnitOfWork, *, scope: Scope, kind: str, payload: dict) -> None:
    """An e-mail to the merchant's contact address (in its language), if it has one."""
    merchant = merchants.get_merchant(uow, merchant_id=scope.merchant_id)
    uow.session.add(_message(uow, scope, channel=EMAIL, kind=kind, recipient=merchant.email or "",
                             language=merchant.language, payload={"name": merchant.name, **payload}))


def sent_message(uow: UnitOfWork, *, message_id: str) -> OutboxMessage | None:
    """One message we wrote, by its id (a reply names it in In-Reply-To); None if unknown."""
    return uow.session.get(OutboxMessage, message_id)


def mail_consumer(uow: UnitOfWork, *, livemode: bool, kind: str, recipient: str, language: str,
                  payload: dict) -> None:
    """An e-mail to a consumer about no one webshop (a portal sign-in link)."""
    uow.session.add(OutboxMessage(**_message_row(uow, Scope(None, livemode), channel=EMAIL, kind=kind,
                                                 recipient=recipient, language=language, payload=payload)))


def _message(uow, scope: Scope, **fields) -> OutboxMessage:
    return OutboxMessage(**_message_row(uow, scope, **fields))


def _message_row(uow, scope: Scope, **fields) -> dict:
    now = uow.now()
    # Every key in every row: rows written together share one statement.
    return dict(id=new_id("msg"), merchant_id=scope.merchant_id, livemode=scope.livemode, status=states.PENDING,
                attempts=0, next_attempt_at=now, created_at=now, language=None, order_id=None, invoice_id=None,
                subject_id=None, event_id=None, request_id=logs.request_id.get()) | fields


# --- webhook endpoints ---------------------------------------------------------------------

@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def create_endpoint(uow: UnitOfWork, *, scope: Scope, url: str, event_types: list[str],
                    description: str | None = None) -> WebhookEndpoint:
    """A place to send events; the answer is the only time the signing secret is shown."""
    problem = webhooks.url_problem(url, livemode=scope.livemode, allow_loopback=uow.settings.webhooks_allow_loopback)
    if problem:
        raise InvalidInput({"url": [problem]})
    unknown = sorted(t for t in event_types if t != "*" and t not in EVENT_TYPES)
    if unknown:
        raise InvalidInput({"event_types": [f"Unknown event type(s): {', '.join(unknown)}. "
                                            f"Use '*' or some of: {', '.join(sorted(EVENT_TYPES))}."]})
    endpoint = WebhookEndpoint(merchant_id=scope.merchant_id, livemode=scope.livemode, url=url,
                               description=description, event_types=sorted(set(event_types)) or ["*"],
                               secret=webhooks.new_secret(), enabled=True, created_at=uow.now())
    uow.session.add(endpoint)
    uow.session.flush()
    return endpoint


def list_endpoints(uow: UnitOfWork, *, scope: Scope) -> list[WebhookEndpoint]:
    return list(uow.session.scalars(_endpoints(scope).order_by(WebhookEndpoint.created_at)))


def get_endpoint(uow: UnitOfWork, *, scope: Scope, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.session.scalar(_endpoints(scope).where(WebhookEndpoint.id == endpoint_id))
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def delete_endpoint(uow: UnitOfWork, *, scope: Scope, endpoint_id: str) -> None:
    """Stop sending there; what was still pending for it is dropped at send time."""
    endpoint = get_endpoint(uow, scope=scope, endpoint_id=endpoint_id)
    endpoint.enabled, endpoint.deleted_at, endpoint.disabled_reason = False, uow.now(), "deleted"


def _endpoints(scope: Scope):
    return select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == scope.merchant_id,
                                         WebhookEndpoint.livemode == scope.livemode,
                                         WebhookEndpoint.deleted_at.is_(None))


# --- delivering ----------------------------------------------------------------------------

def claim_due(uow: UnitOfWork, *, limit: int, worker: str, channel: str | None = None) -> list[str]:
    """Claim up to ``limit`` due messages (of one channel, or any) for this worker until its
    lease runs out. SKIP LOCKED lets workers claim side by side on PostgreSQL without
    waiting or overlap."""
    ids = list(uow.session.scalars(_due(uow, channel).limit(limit)))
    _lease(uow, ids, worker)
    return ids


# How many due webhooks a claim looks at for each it takes: the first rows may all be for
# one endpoint, of which only a few may be taken.
SCAN_FACTOR = 4


def claim_webhooks(uow: UnitOfWork, *, limit: int, worker: str, per_endpoint: int,
                   in_flight: dict[str, int]) -> list[tuple[str, str]]:
    """Claim up to ``limit`` due webhooks as (message id, endpoint id), taking no more for
    one endpoint than ``per_endpoint`` less what this worker already has in flight there,
    and none for a parked endpoint (its circuit breaker is open)."""
    full = [endpoint for endpoint, n in in_flight.items() if n >= per_endpoint]
    due = uow.session.execute(_due(uow, WEBHOOK).with_only_columns(OutboxMessage.id, OutboxMessage.recipient)
                              .where(OutboxMessage.recipient.not_in(full) if full else true())
                              .limit(limit * SCAN_FACTOR)).all()
    taken: list[tuple[str, str]] = []
    for message_id, endpoint in due:
        if len(taken) < limit and in_flight.get(endpoint, 0) + _count(taken, endpoint) < per_endpoint:
            taken.append((message_id, endpoint))
    _lease(uow, [message_id for message_id, _ in taken], worker)
    return taken


def _count(taken, endpoint) -> int:
    return sum(1 for _, e in taken if e == endpoint)


def _due(uow, channel: str | None):
    now = uow.now()
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status == states.PENDING, OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).with_for_update(skip_locked=True))
    if channel == WEBHOOK:
        parked = select(WebhookEndpoint.id).where(WebhookEndpoint.parked_until > now)
        query = query.where(OutboxMessage.channel == WEBHOOK, OutboxMessage.recipient.not_in(parked))
    elif channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    return query


def _lease(uow, ids: list[str], worker: str) -> None:
    if ids:
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            claimed_by=worker, claimed_until=uow.now() + timedelta(seconds=uow.settings.outbox_lease_seconds)))


@dataclass(frozen=True)
class Prepared:
    """Everything needed to send, read in one short transaction before any network I/O."""

    message_id: str
    channel: str
    drop_reason: str | None = None
    wait_for: str | None = None  # the PDF the renderer has not stored yet: try again shortly
    email: object | None = None  # an EmailMessage
    url: str | None = None
    secret: str | None = None
    body: bytes | None = None
    livemode: bool = False


def prepare(uow: UnitOfWork, *, message_id: str, worker: str) -> Prepared | None:
    """Load a claimed message, renew the claim for the time it takes to send, and check it
    right before it goes out (the send-time gate), reading what the gate and the template
    need once (snapshot). None when it is no longer ours: our claim ran out and another
    worker took it, or it is finished."""
    message = _renew_claim(uow, message_id, worker)
    if message is None:
        return None
    if message.channel == WEBHOOK:
        return _prepare_webhook(uow, message)
    known = snapshot.facts(uow, message)
    reason = gate.reason_to_drop(message, known)
    if reason:
        return Prepared(message.id, EMAIL, drop_reason=reason)
    if not message.recipient:
        return Prepared(message.id, EMAIL, drop_reason="no e-mail address to send to")
    shown = snapshot.content(uow, message, known)
    if shown.waiting_for:
        return Prepared(message.id, EMAIL, wait_for=shown.waiting_for)
    if shown.missing:
        raise LookupError(shown.missing)  # a failed attempt: retried, and dead in the end, for an operator
    email = mail.compose(kind=message.kind, language=message.language or "en", to=message.recipient,
                         sender=uow.settings.mail_from, message_id=message.id,
                         context=_context(uow, message, known, shown), sent_at=uow.now(),
                         attachments=[mail.Attachment(filename=item.filename, media_type="application/pdf",
                                                      data=item.content) for item in shown.attachments])
    return Prepared(message.id, EMAIL, email=email, livemode=message.livemode)


def _renew_claim(uow, message_id: str, worker: str) -> OutboxMessage | None:
    """The message, if it is still pending and this worker's claim, with the claim renewed:
    one UPDATE … RETURNING both locks and reads it."""
    return uow.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == states.PENDING,
               OutboxMessage.claimed_by == worker)
        .values(claimed_until=uow.now() + timedelta(seconds=uow.settings.outbox_lease_seconds))
        .returning(OutboxMessage), execution_options={"populate_existing": True}).first()


def _prepare_webhook(uow, message: OutboxMessage) -> Prepared:
    endpoint = uow.session.get(WebhookEndpoint, message.recipient)
    if endpoint is None or not endpoint.enabled:
        reason = endpoint.disabled_reason if endpoint else "unknown endpoint"
        return Prepared(message.id, WEBHOOK, drop_reason=f"endpoint {reason or 'disabled'}")
    body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
    return Prepared(message.id, WEBHOOK, url=endpoint.url, secret=endpoint.secret, body=body,
                    livemode=message.livemode)


def record_outcome(uow: UnitOfWork, *, message_id: str, worker: str, ok: bool, detail: str,
                   permanent: bool = False) -> str:
    """After sending: delivered, or retried later with backoff, or dead after the last try.
    Returns "delivered", "retrying" or "dead" ("skipped" when the claim is no longer ours)."""
    message = _claimed(uow, message_id, worker)
    if message is None:
        return "skipped"
    now = uow.now()
    message.attempts += 1
    message.claimed_until = message.claimed_by = None
    if ok:
        message.move("deliver")
        message.outcome, message.finished_at, message.last_error = detail[:300], now, None
        if message.kind in SECRET_LINKS:  # delivered: the database need not keep a way to sign in
            message.payload = {**message.payload, "link": None}
    elif permanent or message.attempts >= ATTEMPTS[message.channel]:
        message.move("give_up")
        message.last_error, message.finished_at = detail[:1000], now
    else:
        message.move("retry")
        message.last_error, message.next_attempt_at = detail[:1000], now + backoff(message.attempts)
    if message.channel == WEBHOOK:
        _track_endpoint(uow, message, ok=ok, now=now)
    return "retrying" if message.status == states.PENDING else message.status


def record_drop(uow: UnitOfWork, *, message_id: str, worker: str, reason: str) -> None:
    message = _claimed(uow, message_id, worker)
    if message is not None:
        message.move("drop")
        message.outcome, message.finished_at = reason[:300], uow.now()
        message.claimed_until = message.claimed_by = None


# The scheduler's renderer runs every 5 seconds; a mail waiting for its PDF looks again after one.
PDF_WAIT = timedelta(seconds=5)


def record_wait(uow: UnitOfWork, *, message_id: str, worker: str, reason: str) -> None:
    """Not sent yet, and no failure: what it attaches is still being rendered. The attempt
    does not count; the message is due again shortly."""
    message = _claimed(uow, message_id, worker)
    if message is not None:
        message.move("retry")
        message.next_attempt_at = uow.now() + PDF_WAIT
        message.claimed_until = message.claimed_by = None
        message.last_error = f"waiting for {reason}"[:1000]


def _claimed(uow, message_id: str, worker: str) -> OutboxMessage | None:
    """The message, locked, if it is still pending and this worker's claim."""
    message = uow.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != states.PENDING or message.claimed_by != worker:
        return None
    return message


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling up to 6 hours, each ±20 % so that retries after an
    outage do not all arrive at the same second."""
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)
    return wait * random.uniform(0.8, 1.2)


def _track_endpoint(uow, message: OutboxMessage, *, ok: bool, now: datetime) -> None:
    """A failing endpoint is parked a while (its circuit breaker), and one that has failed
    for three days is switched off, and its merchant told."""
    endpoint = uow.session.get(WebhookEndpoint, message.recipient, with_for_update=True)
    if endpoint is None or not endpoint.enabled:
        return
    if ok:
        endpoint.answered()
        return
    endpoint.failed(now)
    if now - endpoint.failing_since >= WEBHOOK_RETRY_FOR:
        endpoint.enabled = False
        endpoint.disabled_reason = f"failing since {endpoint.failing_since.isoformat()}: {message.last_error}"[:300]
        notify_merchant(uow, scope=Scope(endpoint.merchant_id, endpoint.livemode), kind="webhook_disabled",
                        payload={"endpoint_id": endpoint.id, "url": endpoint.url,
                                 "failing_since": endpoint.failing_since.isoformat(),
                                 "last_error": message.last_error})


def _context(uow, message: OutboxMessage, known: snapshot.Facts, shown: snapshot.Content) -> dict:
    """The template's context: the message's payload and the subject as the snapshot read it."""
    return {"name": message.payload.get("name"), "shop": shown.shop, "language": message.language,
            "data": message.payload.get("data", {}), "payload": message.payload, "provider": uow.settings.provider,
            "portal_url": f"{uow.settings.base_url}/portal", "docs_url": uow.settings.docs_url,
            "timezone": uow.settings.timezone,
            "dispute_rules": uow.settings.disputes, "invoice": known.invoice, "credit_note": shown.credit_note}


# --- operators: dead letters ---------------------------------------------------------------

def list_messages(uow: UnitOfWork, *, status: str, limit: int = 100) -> list[OutboxMessage]:
    return list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.status == status)
                                    .order_by(OutboxMessage.created_at).limit(limit)))


def requeue(uow: UnitOfWork, *, message_id: str) -> OutboxMessage:
    """Give a dead message a fresh set of attempts, due now."""
    message = uow.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"No outbox message {message_id}.")
    message.move("requeue")
    message.attempts, message.next_attempt_at, message.finished_at = 0, uow.now(), None
    return message


def outbox_backlog(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """Messages waiting or given up on, per lane: {(channel, status): count}, every pair present."""
    counts = {(lane, status): 0 for lane in (EMAIL, WEBHOOK) for status in (states.PENDING, states.DEAD)}
    rows = uow.session.execute(select(OutboxMessage.channel, OutboxMessage.status, func.count())
                               .where(OutboxMessage.status.in_([states.PENDING, states.DEAD]))
                               .group_by(OutboxMessage.channel, OutboxMessage.status))
    counts.update({(channel, status): n for channel, status, n in rows})
    return counts
