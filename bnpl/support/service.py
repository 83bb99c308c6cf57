"""Use cases of the support desk: consumers' questions with the moment we promised to answer
by, and taking a phone call.

Questions: every thread waiting for us has a due moment, the channel's promise counted in
office hours on working days (bnpl/calendar.py, the calendar dunning and disputes count in);
the staff queue sorts by it; each answer records whether it kept the promise.

Phone intake cannot mix up tenants: a staff member finds the caller by invoice number, e-mail
address or phone number and confirms them with a second fact the caller states (postcode or
birth date) before anything of the consumer is shown. Only invoices the fact matches count: a
wrong digit in the number with the caller's own postcode matches nobody, and the answer is the
same whether the number (or address) exists or not, so the desk cannot be used to find out
whose invoice a number is. Lookups are limited per staff member (counted and judged by one
statement, bnpl/web/limits.py, so parallel lookups cannot pass the limit; every one is a row too);
a confirmed intake is the member's own, for INTAKE_LIFETIME, and is about one invoice, so one
webshop, before any action can be taken.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bnpl import i18n
from bnpl import pagination
from bnpl.i18n import said
from bnpl.calendar import OfficeHours
from bnpl.consumers import service as consumers
from bnpl.disputes import service as disputes
from bnpl.disputes.models import Dispute
from bnpl.events import service as events
from bnpl.errors import Conflict, DomainError, InvalidInput, NotFound
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.merchants import service as merchants
from bnpl.notifications import service as notifications
from bnpl.orders import service as orders
from bnpl.risk import service as risk
from bnpl.support import mails, states
from bnpl.support.models import (BIRTH_DATE, BY_EMAIL, BY_INVOICE_NUMBER, BY_PHONE, POSTCODE, CallIntake, InboundMail,
                                 Thread, ThreadMessage)
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork
from bnpl.web import limits

INTAKE_LIFETIME = timedelta(minutes=30)  # one call, with time to write it up
LOOKUPS_PER_WINDOW = 10  # a desk misreads a number now and then; browsing callers is another thing
LOOKUP_WINDOW = timedelta(minutes=15)
LOOKUP_LIMIT = limits.per_window(LOOKUPS_PER_WINDOW, LOOKUP_WINDOW)
LOOKUPS_KEPT_DAYS = 90  # who looked up which caller, kept for questions about a call, then deleted
MAX_INVOICES = 100  # of one caller found by e-mail or phone, newest first
NOBODY = said("Nobody matches these details. Read what you typed back to the caller and ask again for their "
              "postcode or birth date.")


class TooManyLookups(DomainError):
    status, slug, title = 429, "too-many-lookups", "Too many lookups"


@dataclass(frozen=True)
class Lookup:
    """What the caller said: one way to find them, and one fact to confirm it is them."""

    invoice_number: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""
    birth_date: date | None = None

    def found_by(self) -> str:
        given = [by for by, value in ((BY_INVOICE_NUMBER, self.invoice_number), (BY_EMAIL, self.email),
                                      (BY_PHONE, self.phone)) if (value or "").strip()]
        errors = {}
        if len(given) != 1:
            errors["invoice_number"] = [said("Fill in one of invoice number, e-mail address or phone number.")]
        if not (self.postcode or "").strip() and self.birth_date is None:
            errors["postcode"] = [said("Ask the caller for their postcode or their birth date.")]
        if errors:
            raise InvalidInput(errors)
        return given[0]


@dataclass(frozen=True)
class Caller:
    """What a confirmed intake shows: whose call it is, at which webshop, about which invoice."""

    intake_id: str
    merchant_id: str
    webshop: str
    consumer_name: str
    invoice_id: str
    invoice_number: str
    total_cents: int
    currency: str
    confirmed_by: str  # postcode | birth_date
    expires_at: datetime


@dataclass(frozen=True)
class Choice:
    """One of a confirmed caller's invoices, named by its webshop, to choose what the call is about."""

    invoice_id: str
    invoice_number: str
    merchant_id: str
    webshop: str
    total_cents: int
    currency: str
    issued_at: datetime


@dataclass(frozen=True)
class Call:
    intake_id: str
    consumer_name: str
    caller: Caller | None  # once the invoice is known
    choices: list[Choice]  # until then


def find_caller(uow: UnitOfWork, *, staff_id: str, lookup: Lookup) -> str:
    """The confirmed intake's id for the invoices this lookup and second fact both match.
    Raises NotFound (the same for a wrong number, address or fact); the caller of this function
    commits even then, so the lookup counts."""
    found_by = lookup.found_by()
    _check_limit(uow, staff_id)
    matches = _matching_invoices(uow, found_by, lookup)
    intake = CallIntake(staff_id=staff_id, found_by=found_by, confirmed=bool(matches), looked_up_at=uow.now())
    if matches:
        intake.fact, intake.expires_at = matches[0][1], uow.now() + INTAKE_LIFETIME
        intake.candidates = [invoice.id for invoice, _ in matches]
        if len(matches) == 1:
            _take(intake, matches[0][0])
    uow.session.add(intake)
    uow.session.flush()
    if not matches:
        raise NotFound(NOBODY)
    return intake.id


def open_call(uow: UnitOfWork, *, intake_id: str, staff_id: str) -> Call:
    """A confirmed call of this member: its invoice, or the caller's invoices to choose from."""
    intake = _own_intake(uow, intake_id, staff_id)
    if intake.invoice_id:
        caller = confirmed_caller(uow, intake_id=intake_id, staff_id=staff_id)
        return Call(intake_id=intake.id, consumer_name=caller.consumer_name, caller=caller, choices=[])
    found = [invoices.find_invoice(uow, invoice_id=invoice_id) for invoice_id in intake.candidates or ()]
    names = merchants.names(uow, merchant_ids=list({invoice.merchant_id for invoice in found}))
    choices = [Choice(invoice_id=i.id, invoice_number=i.number, merchant_id=i.merchant_id,
                      webshop=names.get(i.merchant_id, i.merchant_id),
                      total_cents=i.total_cents, currency=i.currency, issued_at=i.issued_at) for i in found]
    return Call(intake_id=intake.id, consumer_name=found[0].billed_to.get("name", "") if found else "",
                caller=None, choices=choices)


def choose_invoice(uow: UnitOfWork, *, intake_id: str, staff_id: str, invoice_id: str) -> None:
    """The call is about this one of the caller's invoices (only one the fact matched)."""
    intake = _own_intake(uow, intake_id, staff_id)
    if invoice_id not in (intake.candidates or ()):
        raise NotFound(said("No invoice %(id)s in this call.", id=invoice_id))
    _take(intake, invoices.find_invoice(uow, invoice_id=invoice_id))


def confirmed_caller(uow: UnitOfWork, *, intake_id: str, staff_id: str) -> Caller:
    """A confirmed intake of this member, about one invoice, that has not expired."""
    intake = _own_intake(uow, intake_id, staff_id)
    if not intake.invoice_id:
        raise NotFound(said("Call %(id)s is not about one invoice yet: choose it first.", id=intake_id))
    invoice = invoices.get_invoice(uow, scope=Scope(intake.merchant_id, intake.livemode), invoice_id=intake.invoice_id)
    return Caller(intake_id=intake.id, merchant_id=intake.merchant_id,
                  webshop=merchants.get_merchant(uow, merchant_id=intake.merchant_id).name,
                  consumer_name=invoice.billed_to.get("name", ""), invoice_id=invoice.id,
                  invoice_number=invoice.number, total_cents=invoice.total_cents, currency=invoice.currency,
                  confirmed_by=intake.fact, expires_at=intake.expires_at)


def open_case(uow: UnitOfWork, *, intake_id: str, staff_id: str, actor: disputes.Actor,
              case: disputes.NewDispute) -> Dispute:
    """Open a dispute for the confirmed caller, about the invoice of their call and no other."""
    caller = confirmed_caller(uow, intake_id=intake_id, staff_id=staff_id)
    return disputes.open_dispute(uow, invoice_id=caller.invoice_id, actor=actor, case=case)


def _own_intake(uow, intake_id: str, staff_id: str) -> CallIntake:
    intake = uow.session.scalar(select(CallIntake).where(
        CallIntake.id == intake_id, CallIntake.staff_id == staff_id, CallIntake.confirmed.is_(True),
        CallIntake.expires_at > uow.now()))
    if intake is None:
        raise NotFound(said("No call %(id)s: find the caller again.", id=intake_id))
    return intake


def _take(intake: CallIntake, invoice: Invoice) -> None:
    intake.invoice_id, intake.merchant_id, intake.livemode = invoice.id, invoice.merchant_id, invoice.livemode
    intake.consumer_id = invoice.consumer_id


def note_call(uow: UnitOfWork, *, intake_id: str, staff_id: str, staff_name: str, message: str) -> Thread:
    """What was said on the call becomes part of the caller's thread about this invoice (the
    newest one still running, else a new thread of the call); the call answered it."""
    caller = confirmed_caller(uow, intake_id=intake_id, staff_id=staff_id)
    intake = _own_intake(uow, intake_id, staff_id)
    body = _required_text(message, "message", MAX_MESSAGE)
    now = uow.now()
    thread = uow.session.scalar(select(Thread).where(
        Thread.consumer_id == intake.consumer_id, Thread.invoice_id == caller.invoice_id,
        Thread.status != states.CLOSED).order_by(Thread.created_at.desc(), Thread.id).limit(1)
        .with_for_update())
    if thread is None:
        thread = Thread(consumer_id=intake.consumer_id, merchant_id=intake.merchant_id, invoice_id=caller.invoice_id,
                        livemode=intake.livemode, channel=BY_PHONE, subject=f"Phone call about invoice {caller.invoice_number}",
                        status=states.WAITING_FOR_US, created_at=now, updated_at=now, messages=[])
        uow.session.add(thread)
    return _answered(uow, thread, staff_id=staff_id, staff_name=staff_name, body=body)


def _check_limit(uow, staff_id: str) -> None:
    """Count this lookup and refuse it past the limit, in one statement: lookups at the same
    moment each see the others' counts (a count read first would let them all through)."""
    wait = limits.take(uow, f"lookup:staff:{staff_id}", LOOKUP_LIMIT)
    if wait:
        minutes = max(1, -(-wait // 60))
        raise TooManyLookups(said("You looked up %(count)s callers in the last %(window)s minutes; try again in "
                                  "%(minutes)s minutes, or ask a colleague.", count=LOOKUPS_PER_WINDOW,
                                  window=LOOKUP_WINDOW.seconds // 60, minutes=minutes), retry_after_minutes=minutes)


def _matching_invoices(uow, found_by: str, lookup: Lookup) -> list[tuple[Invoice, str]]:
    """The invoices found this way whose second fact is the one they were billed with."""
    matched = ((invoice, _fact_of(uow, invoice, lookup)) for invoice in _found(uow, found_by, lookup))
    return [(invoice, fact) for invoice, fact in matched if fact]


def _found(uow, found_by: str, lookup: Lookup) -> list[Invoice]:
    if found_by == BY_INVOICE_NUMBER:
        try:
            return [invoices.find_invoice(uow, number=lookup.invoice_number)]
        except NotFound:
            return []
    consumer_ids = risk.consumers_seen_with(uow, **({"email": lookup.email} if found_by == BY_EMAIL
                                                    else {"phone": lookup.phone}))
    found = [invoice for consumer_id in sorted(consumer_ids)
             for invoice in invoices.consumer_invoices(uow, consumer_id=consumer_id, limit=MAX_INVOICES)]
    return sorted(found, key=lambda invoice: invoice.issued_at, reverse=True)[:MAX_INVOICES]


def _fact_of(uow, invoice: Invoice, lookup: Lookup) -> str | None:
    """Which fact the caller stated that this invoice was billed with, if any."""
    billed = _postcode((invoice.billed_to.get("address") or {}).get("postal_code"))
    if lookup.postcode.strip() and _postcode(lookup.postcode) == billed:
        return POSTCODE
    if lookup.birth_date is not None and lookup.birth_date.isoformat() == _birth_date(uow, invoice):
        return BIRTH_DATE
    return None


def _postcode(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def _birth_date(uow, invoice: Invoice) -> str | None:
    order = orders.get_order(uow, scope=Scope(invoice.merchant_id, invoice.livemode), order_id=invoice.order_id)
    return str(order.consumer.get("birth_date") or "") or None


# --- questions ------------------------------------------------------------------------------

PORTAL = "portal"
MAX_SUBJECT, MAX_MESSAGE = 200, 5000


def promise(uow: UnitOfWork, *, channel: str = PORTAL) -> timedelta:
    """How much office time a channel promises to answer in (a working day is the office's day).
    A question in the portal is answered as an e-mail is."""
    office = OfficeHours.parse(uow.settings.support.office_hours)
    day = datetime.combine(date.min, office.closes) - datetime.combine(date.min, office.opens)
    return day * uow.settings.support.email_working_days


def answer_due(uow: UnitOfWork, *, asked_at: datetime, channel: str = PORTAL) -> datetime:
    """The moment we promise to have answered a message that came in at ``asked_at``."""
    office = OfficeHours.parse(uow.settings.support.office_hours)
    return office.after(asked_at, promise(uow, channel=channel), uow.settings.timezone)


def ask(uow: UnitOfWork, *, consumer_id: str, subject: str, message: str, invoice_id: str | None = None,
        channel: str = PORTAL) -> Thread:
    """A consumer's question, in general or about one of their invoices (which fixes its webshop)."""
    subject, message = _question_text(subject, message)
    merchant_id, livemode = None, consumers.livemode_of(uow, consumer_id=consumer_id)
    if invoice_id:
        invoice = invoices.find_invoice(uow, invoice_id=invoice_id)
        if invoice.consumer_id != consumer_id:
            raise NotFound(said("No invoice %(id)s.", id=invoice_id))  # someone else's invoice is simply not there
        merchant_id, livemode = invoice.merchant_id, invoice.livemode
    now = uow.now()
    thread = Thread(consumer_id=consumer_id, merchant_id=merchant_id, invoice_id=invoice_id or None, channel=channel,
                    livemode=livemode,
                    subject=subject, status=states.WAITING_FOR_US, due_at=answer_due(uow, asked_at=now, channel=channel),
                    created_at=now, updated_at=now, messages=[])
    thread.messages.append(ThreadMessage(at=now, party="consumer", body=message))
    uow.session.add(thread)
    uow.session.flush()
    return thread


def reply(uow: UnitOfWork, *, consumer_id: str, thread_id: str, message: str) -> Thread:
    """The consumer writes again; if it was our turn already, the promise made stands."""
    return reply_to(uow, thread=consumer_thread(uow, consumer_id=consumer_id, thread_id=thread_id, for_update=True),
                    message=message)


def reply_to(uow: UnitOfWork, *, thread: Thread, message: str) -> Thread:
    """The consumer's new message in their thread (found by the caller, who checked it is theirs)."""
    body = _required_text(message, "message", MAX_MESSAGE)
    now = uow.now()
    if thread.status != states.WAITING_FOR_US:
        thread.due_at = answer_due(uow, asked_at=now, channel=thread.channel)
    thread.move("consumer_writes", now)
    thread.messages.append(ThreadMessage(at=now, party="consumer", body=body))
    return thread


@dataclass(frozen=True)
class Received:
    thread: Thread
    added: bool  # False: this mail (its Message-ID) was read before and nothing was added again


def import_reply(uow: UnitOfWork, *, raw: bytes) -> Received:
    """A consumer's e-mail reply to one of our answers: into the thread it answers, from the
    address that answer went to only (anyone can write a From line, but not read her mail);
    once, however often the same mail is read."""
    key = mails.message_key(raw)
    known = uow.session.get(InboundMail, key)
    if known is not None and known.thread_id:
        return Received(_thread(uow, known.thread_id), added=False)
    thread = _add_reply(uow, raw)
    if known is None:
        uow.session.add(InboundMail(key=key, received_at=uow.now(), thread_id=thread.id, outcome="added"))
    else:  # refused before (read again by hand, after a fix)
        known.thread_id, known.outcome = thread.id, "added"
    uow.session.flush()  # the key is unique: a second reader of the same mail at this moment stops here
    return Received(thread, added=True)


def take_reply(uow: UnitOfWork, *, raw: bytes) -> str:
    """The mailbox reader's way in: "added", "already" (read before) or "refused" (it answers
    nothing of ours, comes from another address, has no text); a refusal is recorded too, so
    that the message may be marked read."""
    try:
        with uow.session.begin_nested():
            received = import_reply(uow, raw=raw)
    except DomainError as exc:
        key = mails.message_key(raw)
        if uow.session.get(InboundMail, key) is None:
            uow.session.add(InboundMail(key=key, received_at=uow.now(), outcome=f"refused: {exc.slug}"[:40]))
        return "refused"
    return "added" if received.added else "already"


def _add_reply(uow, raw: bytes) -> Thread:
    reply = mails.read_reply(raw)
    answered = next((found for message_id in reply.answers
                     if (found := notifications.sent_message(uow, message_id=message_id)) is not None
                     and found.kind == "support_answer"), None)
    if answered is None:
        raise NotFound(said("This e-mail answers no message of ours about a question."))
    if reply.sender != answered.recipient.strip().lower():
        raise Conflict(said("The reply comes from %(sender)s, not from the address the answer went to; nothing was "
                            "added.", sender=reply.sender))
    thread = _thread(uow, answered.payload["thread_id"])
    return reply_to(uow, thread=thread, message=reply.text)


def answer(uow: UnitOfWork, *, thread_id: str, staff_id: str, staff_name: str, message: str) -> Thread:
    """A staff member answers; the answer records whether it came by the promised moment."""
    thread = _thread(uow, thread_id, for_update=True)
    body = _required_text(message, "message", MAX_MESSAGE)
    _answered(uow, thread, staff_id=staff_id, staff_name=staff_name, body=body)
    _mail_answer(uow, thread, body=body, author=staff_name)
    return thread


def _mail_answer(uow, thread: Thread, *, body: str, author: str) -> None:
    """The answer by e-mail too, in the consumer's language, with the way back to the thread."""
    billed = invoice_queries.latest_billed_to(uow, consumer_ids=[thread.consumer_id]) or {}
    language = i18n.language_for(billed.get("language"), (billed.get("address") or {}).get("country"))
    notifications.mail_consumer(uow, livemode=consumers.livemode_of(uow, consumer_id=thread.consumer_id),
                                kind="support_answer", recipient=consumers.email_of(uow, consumer_id=thread.consumer_id),
                                language=language, payload={"thread_id": thread.id, "subject": thread.subject,
                                                            "answer": body, "author": author})


def _answered(uow, thread: Thread, *, staff_id: str | None, staff_name: str, body: str,
              party: str = "staff") -> Thread:
    now = uow.now()
    kept = now <= thread.due_at if thread.status == states.WAITING_FOR_US and thread.due_at else None
    thread.move("answer", now)
    thread.first_answer_at = thread.first_answer_at or now
    thread.due_at = None
    thread.messages.append(ThreadMessage(at=now, party=party, staff_id=staff_id, author=staff_name, body=body,
                                         kept=kept))
    return thread


@dataclass(frozen=True)
class QueueRow:
    thread: Thread
    webshop: str | None  # None: a general question
    consumer_name: str
    due_at: datetime
    left: timedelta  # office time left; negative when overdue
    overdue: bool


def queue(uow: UnitOfWork, *, limit: int = 500) -> list[QueueRow]:
    """The questions waiting for us, the one due first on top, each naming its webshop."""
    threads = list(uow.session.scalars(select(Thread).where(Thread.status == states.WAITING_FOR_US)
                                       .order_by(Thread.due_at, Thread.id).limit(limit)))
    names = merchants.names(uow, merchant_ids=list({t.merchant_id for t in threads if t.merchant_id}))
    now, office = uow.now(), OfficeHours.parse(uow.settings.support.office_hours)
    return [QueueRow(thread=t, webshop=names.get(t.merchant_id) if t.merchant_id else None,
                     consumer_name=consumer_name(uow, consumer_id=t.consumer_id), due_at=t.due_at,
                     left=office.open_between(now, t.due_at, uow.settings.timezone), overdue=t.due_at < now)
            for t in threads]


def consumer_name(uow: UnitOfWork, *, consumer_id: str) -> str:
    """The name on the consumer's newest invoice (a consumer record holds only an address)."""
    return (invoice_queries.latest_billed_to(uow, consumer_ids=[consumer_id]) or {}).get("name", "")


@dataclass(frozen=True)
class ThreadPage:
    """A question as staff read it: whose it is, at which webshop (None: general), the thread."""

    thread: Thread
    webshop: str | None
    consumer_name: str
    invoice_number: str | None


def thread_page(uow: UnitOfWork, *, thread_id: str) -> ThreadPage:
    """Any thread, for staff, with the names that say whose and where it is."""
    thread = _thread(uow, thread_id)
    invoice = invoices.find_invoice(uow, invoice_id=thread.invoice_id) if thread.invoice_id else None
    return ThreadPage(thread=thread, invoice_number=invoice.number if invoice else None,
                      webshop=merchants.get_merchant(uow, merchant_id=thread.merchant_id).name
                      if thread.merchant_id else None,
                      consumer_name=invoice.billed_to.get("name", "") if invoice
                      else consumer_name(uow, consumer_id=thread.consumer_id))


def consumer_thread(uow: UnitOfWork, *, consumer_id: str, thread_id: str, for_update: bool = False) -> Thread:
    """A consumer's own thread; someone else's is not found."""
    thread = _thread(uow, thread_id, for_update)
    if thread.consumer_id != consumer_id:
        raise NotFound(said("No question %(id)s.", id=thread_id))
    return thread


def consumer_threads(uow: UnitOfWork, *, consumer_id: str) -> list[Thread]:
    """A consumer's questions, newest first."""
    return list(uow.session.scalars(select(Thread).where(Thread.consumer_id == consumer_id)
                                    .order_by(Thread.created_at.desc(), Thread.id)))


def _thread(uow, thread_id: str, for_update: bool = False) -> Thread:
    query = select(Thread).options(selectinload(Thread.messages)).where(Thread.id == thread_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    thread = uow.session.scalar(query)
    if thread is None:
        raise NotFound(said("No question %(id)s.", id=thread_id))
    return thread


def _question_text(subject: str, message: str) -> tuple[str, str]:
    errors, texts = {}, []
    for field, value, longest in (("subject", subject, MAX_SUBJECT), ("message", message, MAX_MESSAGE)):
        try:
            texts.append(_required_text(value, field, longest))
        except InvalidInput as exc:
            errors.update(exc.extra["errors"])
    if errors:
        raise InvalidInput(errors)
    return texts[0], texts[1]


def _required_text(value: str | None, field: str, longest: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput({field: [said("Write something here.")]})
    if len(text) > longest:
        raise InvalidInput({field: [said("At most %(most)s characters.", most=longest)]})
    return text


# --- promises kept --------------------------------------------------------------------------

@dataclass(frozen=True)
class PromiseWeek:
    channel: str
    week: date  # its Monday
    asked: int
    kept: int  # answered by the promised moment
    missed: int  # answered after it, or still waiting past it
    median_first_answer: timedelta | None  # office time from the question to our first answer

    @property
    def kept_share(self) -> float | None:
        return self.kept / (self.kept + self.missed) if self.kept + self.missed else None

    @property
    def kept_rate(self) -> str | None:
        """Promises kept per 100 kept or missed, two decimals (a string: exact, not a float);
        None while no promise of the week has come due."""
        decided = self.kept + self.missed
        if not decided:
            return None
        hundredths = (self.kept * 10_000 + decided // 2) // decided
        return f"{hundredths // 100}.{hundredths % 100:02d}"

    @property
    def median_first_answer_minutes(self) -> int | None:
        return None if self.median_first_answer is None else round(self.median_first_answer.total_seconds() / 60)


STATISTICS_WEEKS = 8  # the default period: the last eight weeks
MAX_STATISTICS_DAYS = 366


def statistics_period(uow: UnitOfWork, *, since: date | None, until: date | None) -> tuple[date, date]:
    """The period asked for, the default filled in: up to today, eight weeks back; at most a year."""
    until = until or uow.today()
    since = since or until - timedelta(weeks=STATISTICS_WEEKS) + timedelta(days=1)
    if since > until or (until - since).days >= MAX_STATISTICS_DAYS:
        raise InvalidInput({"since": [said("From at most %(days)s days before until, and not after it.",
                                           days=MAX_STATISTICS_DAYS)]})
    return since, until


def promise_statistics(uow: UnitOfWork, *, since: date, until: date, scope: Scope | None = None) -> list[PromiseWeek]:
    """Per channel and week (by the day a question was asked): promises kept and missed, and
    the median first answer in office time; the newest week first. With a scope: only the
    questions passed to that webshop (its conversations), in its mode."""
    zone, office, now = uow.settings.timezone, OfficeHours.parse(uow.settings.support.office_hours), uow.now()
    start = datetime.combine(since, datetime.min.time()).replace(tzinfo=ZoneInfo(zone))
    end = datetime.combine(until + timedelta(days=1), datetime.min.time()).replace(tzinfo=ZoneInfo(zone))
    query = _scoped(scope) if scope else select(Thread)
    threads = uow.session.scalars(query.options(selectinload(Thread.messages))
                                  .where(Thread.created_at >= start, Thread.created_at < end))
    groups: dict[tuple[str, date], list[Thread]] = {}
    for thread in threads:
        day = uow.local_date(thread.created_at)
        groups.setdefault((thread.channel, day - timedelta(days=day.weekday())), []).append(thread)
    return [_week(channel, week, found, office, zone, now)
            for (channel, week), found in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0]),
                                                 reverse=True)]


def _week(channel: str, week: date, threads: list[Thread], office: OfficeHours, zone: str, now: datetime) -> PromiseWeek:
    outcomes = [m.kept for t in threads for m in t.messages if m.kept is not None]
    overdue = sum(1 for t in threads if t.status == states.WAITING_FOR_US and t.due_at and t.due_at < now)
    waits = sorted(office.open_between(t.created_at, t.first_answer_at, zone) for t in threads
                   if t.first_answer_at and t.messages and t.messages[0].party == "consumer")
    return PromiseWeek(channel=channel, week=week, asked=len(threads), kept=outcomes.count(True),
                       missed=outcomes.count(False) + overdue, median_first_answer=_median(waits))


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


# --- questions passed to the webshop (the merchant API's conversations) --------------------

def pass_to_merchant(uow: UnitOfWork, *, thread_id: str, staff_id: str, staff_name: str) -> Thread:
    """Staff pass a question about a purchase to its webshop: it is told (webhook) and may
    answer in the API; the promise to the consumer runs on unchanged."""
    thread = _thread(uow, thread_id, for_update=True)
    if not thread.merchant_id:
        raise Conflict(said("A general question is about no webshop; answer it yourself."))
    if thread.passed_to_merchant_at is None:
        thread.passed_to_merchant_at = uow.now()
        events.record(uow, scope=Scope(thread.merchant_id, bool(thread.livemode)), type="conversation.passed",
                      subject_id=thread.id, data={**conversation_view(thread), "passed_by": staff_name})
    return thread


def list_conversations(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """The questions passed to this webshop, newest first."""
    query = (_scoped(scope).options(selectinload(Thread.messages)))
    return pagination.page(uow.session, query, created_col=Thread.created_at, id_col=Thread.id, cursor=cursor,
                           limit=limit)


def get_conversation(uow: UnitOfWork, *, scope: Scope, conversation_id: str, for_update: bool = False) -> Thread:
    """One question passed to this webshop; any other is not found, exactly like a missing one."""
    query = _scoped(scope).options(selectinload(Thread.messages)).where(Thread.id == conversation_id)
    if for_update:
        query = query.with_for_update(of=Thread).execution_options(populate_existing=True)
    thread = uow.session.scalar(query)
    if thread is None:
        raise NotFound(said("No conversation %(id)s.", id=conversation_id))
    return thread


def merchant_message(uow: UnitOfWork, *, scope: Scope, conversation_id: str, message: str) -> Thread:
    """The webshop answers: into the consumer's thread (and their mail), counted for the promise."""
    thread = get_conversation(uow, scope=scope, conversation_id=conversation_id, for_update=True)
    body = _required_text(message, "message", MAX_MESSAGE)
    name = merchants.get_merchant(uow, merchant_id=scope.merchant_id).name
    _answered(uow, thread, staff_id=None, staff_name=name, body=body, party="merchant")
    _mail_answer(uow, thread, body=body, author=name)
    return thread


def conversation_view(thread: Thread) -> dict:
    """A conversation as the webshop reads it (API answers and webhook data alike)."""
    return {"id": thread.id, "object": "conversation", "livemode": bool(thread.livemode),
            "invoice_id": thread.invoice_id, "subject": thread.subject, "status": thread.status,
            "answer_by": thread.due_at.isoformat() if thread.due_at else None,
            "created_at": thread.created_at.isoformat(),
            "messages": [{"at": m.at.isoformat(), "from": "provider" if m.party == "staff" else m.party, "text": m.body}
                         for m in thread.messages]}


def _scoped(scope: Scope):
    return select(Thread).where(Thread.merchant_id == scope.merchant_id, Thread.livemode.is_(scope.livemode),
                                Thread.passed_to_merchant_at.is_not(None))
