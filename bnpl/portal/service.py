"""Use cases of the consumer portal: signing in (an e-mailed link, or an invoice number with
its postcode), what a consumer may see, and their self-service actions.

Every action is the owning feature's own service, called with the invoice's merchant scope
after checking that the invoice is the viewer's: the portal has no business rules of its own.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update

from bnpl import i18n
from bnpl.i18n import said
from bnpl.consumers import service as consumers
from bnpl.consumers.models import Consumer, normalize_email
from bnpl.disputes import service as disputes
from bnpl.documents import epc
from bnpl.documents import service as documents
from bnpl.dunning import service as dunning
from bnpl.errors import DomainError, InvalidInput, NotFound
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.merchants import service as merchants
from bnpl.notifications import service as notifications
from bnpl.orders import service as orders
from bnpl.payments import checkout as checkouts
from bnpl.payments import service as payments
from bnpl.portal.models import Device, SignInLink
from bnpl.returns import service as returns
from bnpl.risk import service as risk
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork
from bnpl.web import limits

LINK_MINUTES = 15
REVIEW_DAYS = 10  # working days the portal promises for a person's answer to a review request
DEVICE_DAYS = 30
# Per key: enough for a person who mistypes, too few to guess or to spam (bnpl/web/limits.py).
LINKS_PER_EMAIL = limits.per_window(3, timedelta(minutes=15))
LINKS_PER_CLIENT = limits.per_window(10, timedelta(hours=1))
# An invoice being guessed slows down, a wait that doubles from a minute to an hour, instead
# of locking out its owner, who can always ask for the e-mailed link (limited by other keys).
TRIES_PER_INVOICE = limits.Limit(free=5, first_wait=timedelta(minutes=1), longest_wait=timedelta(hours=1),
                                 forget_after=timedelta(days=1))
TRIES_PER_CLIENT = limits.per_window(10, timedelta(hours=1))
# Postcodes are guessable and invoice numbers run in sequence: one postcode tried against many
# numbers slows down too. There is no limit over everyone: a stranger could run it out.
TRIES_PER_POSTCODE = limits.Limit(free=10, first_wait=timedelta(minutes=1), longest_wait=timedelta(hours=1),
                                  forget_after=timedelta(days=1))


class TooManyAttempts(DomainError):
    status, slug, title = 429, "too-many-attempts", "Too many attempts"


class SignInRefused(DomainError):
    status, slug, title = 401, "sign-in-refused", "Not signed in"


@dataclass(frozen=True)
class Viewer:
    """Who looks at the portal: everything of an e-mail address, or the one invoice whose
    number and postcode they knew. An address with live purchases sees only those: a test
    order someone placed in a stranger's name never reaches them. An address with test
    purchases only (a demo, a shop testing with its own address) sees those, marked as test."""

    email: str | None = None
    invoice_id: str | None = None
    livemode: bool = True

    @property
    def whole_account(self) -> bool:
        return self.email is not None


@dataclass(frozen=True)
class SignedIn:
    viewer: Viewer
    device_token: str  # for the remember-this-device cookie; only its hash is stored


# --- signing in ----------------------------------------------------------------------------

def request_link(uow: UnitOfWork, *, email: str, client: str, language: str | None = None) -> None:
    """E-mail a single-use sign-in link, if the address has purchases. The answer is the same
    either way, so the form does not tell strangers who buys here."""
    email = normalize_email(email or "")
    if "@" not in email or len(email) > 254:
        raise InvalidInput({"email": [said("Enter the e-mail address your invoices were sent to.")]})
    _take(uow, f"link:email:{email}", LINKS_PER_EMAIL)
    _take(uow, f"link:client:{client}", LINKS_PER_CLIENT)
    known = uow.session.execute(select(Consumer.id, Consumer.livemode).where(Consumer.email == email)).all()
    if not known:
        return
    token = secrets.token_urlsafe(32)
    now = uow.now()
    uow.session.add(SignInLink(token_hash=_hash(token), email=email, created_at=now,
                               expires_at=now + timedelta(minutes=LINK_MINUTES)))
    livemode = any(live for _, live in known)  # test-mode only people get test-mode mail rules
    notifications.mail_consumer(uow, livemode=livemode, kind="portal_sign_in", recipient=email,
                                language=language or _language_of(uow, [cid for cid, _ in known]),
                                payload={"link": f"{uow.settings.base_url}/portal/sign-in/{token}",
                                         "minutes": LINK_MINUTES})


def redeem_link(uow: UnitOfWork, *, token: str) -> SignedIn:
    """Use a sign-in link (once, within its minutes) and remember the device."""
    link = uow.session.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(token or ""))
                              .with_for_update())
    if link is None or link.used_at is not None or link.expires_at <= uow.now():
        raise SignInRefused(said("This sign-in link is used or expired. Ask for a new one; it arrives in a minute."))
    link.used_at = uow.now()
    return _remember(uow, Viewer(email=link.email, livemode=_has_live_purchases(uow, link.email)))


def sign_in_with_invoice(uow: UnitOfWork, *, number: str, postal_code: str, client: str) -> SignedIn:
    """Sign in for one invoice with its number and the billing postcode on it. Every try is
    counted before it is judged (the caller commits refusals too)."""
    number, postcode = (number or "").strip().upper(), _postcode(postal_code)
    _take(uow, f"invoice:client:{client}", TRIES_PER_CLIENT)
    _take(uow, f"invoice:postcode:{postcode}", TRIES_PER_POSTCODE)
    _take(uow, f"invoice:number:{number}", TRIES_PER_INVOICE, ask_a_link=True)
    addressee = invoice_queries.addressee_by_number(uow, number=number) if number else None
    if addressee is None or postcode not in {_postcode(code) for code in addressee.postal_codes}:
        raise SignInRefused(said("This invoice number and postcode do not belong together. Check both on the "
                                 "invoice."))
    limits.forget(uow, f"invoice:number:{number}")
    return _remember(uow, Viewer(invoice_id=addressee.invoice_id, livemode=addressee.livemode))


def forget_old_tries(uow: UnitOfWork) -> int:
    """Sign-in tries no limit looks at any more (the scheduler's hourly pass)."""
    longest = max(limit.forget_after for limit in (LINKS_PER_EMAIL, LINKS_PER_CLIENT, TRIES_PER_INVOICE,
                                                   TRIES_PER_CLIENT, TRIES_PER_POSTCODE))
    return limits.forget_stale(uow, older_than=longest)


def viewer_of_device(uow: UnitOfWork, *, token: str | None) -> Viewer | None:
    """The viewer a remembered device signs in as, while its 30 days last."""
    if not token:
        return None
    device = uow.session.scalar(select(Device).where(Device.token_hash == _hash(token)))
    if device is None or device.expires_at <= uow.now():
        return None
    device.last_seen_at = uow.now()
    if device.invoice_id:
        invoice = invoices.find_invoice(uow, invoice_id=device.invoice_id)
        return Viewer(invoice_id=invoice.id, livemode=invoice.livemode)
    return Viewer(email=device.email, livemode=_has_live_purchases(uow, device.email))


def _has_live_purchases(uow, email: str) -> bool:
    return uow.session.scalar(select(Consumer.id).where(Consumer.email == email, Consumer.livemode.is_(True))) is not None


def forget_device(uow: UnitOfWork, *, token: str | None) -> None:
    """Sign out: this device no longer signs in by itself."""
    if token:
        uow.session.execute(delete(Device).where(Device.token_hash == _hash(token)))


def forget_every_device(uow: UnitOfWork, *, viewer: Viewer) -> None:
    """Sign out everywhere: no device opens these purchases by itself any more (also one
    signed in with an invoice's number and postcode), and no e-mailed link still unused works."""
    invoice_ids = [invoice.id for invoice in _visible_invoices(uow, viewer)]
    if viewer.email:
        uow.session.execute(delete(Device).where(Device.email == viewer.email))
        uow.session.execute(update(SignInLink).where(SignInLink.email == viewer.email, SignInLink.used_at.is_(None))
                            .values(used_at=uow.now()))
    for chunk in range(0, len(invoice_ids), 500):  # below SQLite's placeholder limit
        uow.session.execute(delete(Device).where(Device.invoice_id.in_(invoice_ids[chunk:chunk + 500])))


def _remember(uow, viewer: Viewer) -> SignedIn:
    token = secrets.token_urlsafe(32)
    now = uow.now()
    uow.session.add(Device(token_hash=_hash(token), email=viewer.email, invoice_id=viewer.invoice_id,
                           created_at=now, expires_at=now + timedelta(days=DEVICE_DAYS), last_seen_at=now))
    return SignedIn(viewer=viewer, device_token=token)


def _take(uow, key: str, limit: limits.Limit, ask_a_link: bool = False) -> None:
    wait = limits.take(uow, key, limit)
    if wait:
        minutes = -(-wait // 60)
        if ask_a_link:
            raise TooManyAttempts(said("Too many attempts. Please try again in %(minutes)s minutes, or ask for a "
                                       "sign-in link by e-mail.", minutes=minutes))
        raise TooManyAttempts(said("Too many attempts. Please try again in %(minutes)s minutes.", minutes=minutes))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _postcode(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def _language_of(uow, consumer_ids: list[str]) -> str:
    person = invoice_queries.latest_billed_to(uow, consumer_ids=consumer_ids) or {}
    return i18n.language_for(person.get("language"), (person.get("address") or {}).get("country"))


# --- what a consumer sees ------------------------------------------------------------------

ATTENTION, ORDERED, ON_HOLD, SETTLED = "attention", "ordered", "on_hold", "settled"
GROUPS = (ATTENTION, ORDERED, ON_HOLD, SETTLED)


@dataclass
class Purchase:
    """One card of "My purchases": an invoice with the order it bills, or an order with no
    invoice yet (not shipped, or cancelled: the consumer sees that they owe nothing)."""

    shop: str
    group: str  # attention | ordered | on_hold | settled
    invoice: Invoice | None = None
    order: orders.OrderView | None = None
    overdue: bool = False
    dispute: object | None = None  # the running or latest case
    next_date: "AgendaItem | None" = None  # the next instalment or collection, where there is one
    avoidable: object | None = None  # a running 14-day letter: its last day and the costs it stated

    @property
    def newest(self) -> datetime:
        if self.invoice is not None:
            return self.invoice.issued_at
        return self.order.cancelled_at or self.order.created_at


@dataclass
class Purchases:
    groups: dict[str, list[Purchase]] = field(default_factory=dict)
    agenda: list["AgendaItem"] = field(default_factory=list)  # what to pay when, soonest first

    def __iter__(self):
        return iter((group, self.groups.get(group, [])) for group in GROUPS)


def purchases(uow: UnitOfWork, *, viewer: Viewer) -> Purchases:
    """Every purchase of the viewer at every webshop: what needs paying first (overdue, then by
    due date), what is ordered but not sent (nothing to pay yet), what is on hold, and what is
    settled or cancelled (newest first). Each invoice with its order: date, number, items."""
    found = _visible_invoices(uow, viewer)
    placed = _orders(uow, viewer)
    names = merchants.names(uow, merchant_ids=list({i.merchant_id for i in found} | {o.merchant_id for o in placed}))
    cases, by_order = _latest_cases(uow, viewer), {order.id: order for order in placed}
    dates = _dates(uow, viewer, found, names)
    today, result = uow.today(), Purchases(agenda=_in_order(dates))
    avoidable = dunning.avoidable_costs(uow, invoice_ids=[i.id for i in found if i.due_date < today], today=today)
    for invoice in found:
        group = SETTLED if invoice.is_closed else ON_HOLD if invoice.open_pause else ATTENTION
        result.groups.setdefault(group, []).append(Purchase(
            shop=names.get(invoice.merchant_id, ""), group=group, invoice=invoice, order=by_order.get(invoice.order_id),
            overdue=group == ATTENTION and invoice.due_date < today, dispute=cases.get(invoice.id),
            next_date=_next(dates.get(invoice.id)), avoidable=avoidable.get(invoice.id)))
    for order in placed:
        if not order.invoice_ids:
            group = SETTLED if order.is_cancelled else ORDERED
            result.groups.setdefault(group, []).append(Purchase(shop=names.get(order.merchant_id, ""), group=group,
                                                                order=order))
    result.groups.get(ATTENTION, []).sort(key=lambda p: (not p.overdue, p.invoice.due_date))
    result.groups.get(ORDERED, []).sort(key=lambda p: p.newest, reverse=True)
    result.groups.get(ON_HOLD, []).sort(key=lambda p: p.invoice.due_date)
    result.groups.get(SETTLED, []).sort(key=lambda p: p.newest, reverse=True)
    return result


# --- the agenda: what to pay when, at every webshop ------------------------------------------

DUE, INSTALMENT, DEBIT, DEBIT_PLANNED = "due", "instalment", "debit", "debit_planned"


@dataclass(frozen=True)
class AgendaItem:
    on: date
    kind: str  # due | instalment | debit (submitted, on this date) | debit_planned (from this date on)
    amount_cents: int
    currency: str
    shop: str
    invoice_id: str
    number: str
    account: str | None = None  # the account a debit is collected from, shortened


def agenda(uow: UnitOfWork, *, viewer: Viewer) -> list[AgendaItem]:
    """Every date the viewer has to pay something, or will be collected from, oldest first:
    an invoice's due date, a plan's instalments still to pay, a direct debit's collection.
    An invoice on hold for a return or a dispute has no date until it runs again."""
    found = _visible_invoices(uow, viewer)
    names = merchants.names(uow, merchant_ids=list({invoice.merchant_id for invoice in found}))
    return _in_order(_dates(uow, viewer, found, names))


def _dates(uow, viewer: Viewer, found: list[Invoice], names: dict[str, str]) -> dict[str, list[AgendaItem]]:
    """The dates of each invoice still owing (a plan and a collection read once for all)."""
    owing = [invoice for invoice in found if not invoice.is_closed and invoice.balance_cents > 0]
    plans = dunning.instalments_left(uow, balances={invoice.id: invoice.balance_cents for invoice in owing})
    debits, mandate_account = payments.collections(
        uow, consumer_ids=_consumer_ids(uow, viewer), invoice_ids=[invoice.id for invoice in owing],
        livemode=viewer.livemode)
    return {invoice.id: _dates_of(invoice, names.get(invoice.merchant_id, ""), plans, debits, mandate_account)
            for invoice in owing}


def _in_order(dates: dict[str, list[AgendaItem]]) -> list[AgendaItem]:
    return sorted((item for items in dates.values() for item in items), key=lambda i: (i.on, i.shop, i.number))


def _next(dates: list[AgendaItem] | None) -> AgendaItem | None:
    """An invoice's next instalment or collection (not its plain due date)."""
    return dates[0] if dates and dates[0].kind != DUE else None


def _dates_of(invoice: Invoice, shop: str, plans: dict, debits: dict, mandate_account: str | None) -> list[AgendaItem]:
    def item(on, kind, amount, account=None):
        return AgendaItem(on, kind, amount, invoice.currency, shop, invoice.id, invoice.number,
                          payments.short_account(account) if account else None)

    if invoice.id in plans:
        return [item(part["due_date"], INSTALMENT, part["amount"]) for part in plans[invoice.id]]
    if invoice.open_pause:
        return []
    if invoice.id in debits:
        debit = debits[invoice.id]
        return [item(debit.on, DEBIT, debit.amount_cents, debit.iban)]
    if mandate_account:
        return [item(invoice.due_date, DEBIT_PLANNED, invoice.balance_cents, mandate_account)]
    return [item(invoice.due_date, DUE, invoice.balance_cents)]


FEED_DAYS = 365  # a calendar subscription lasts a year; signing out everywhere ends it at once


def make_agenda_feed(uow: UnitOfWork, *, viewer: Viewer) -> str:
    """A secret address a calendar app subscribes to: the agenda without signing in. It is a
    remembered device of its own kind (its hash is of another domain, so the token never
    works as a sign-in cookie), and "sign out everywhere" forgets it with the others."""
    _whole_account(viewer)
    token = secrets.token_urlsafe(24)
    now = uow.now()
    uow.session.add(Device(token_hash=_hash(FEED + token), email=viewer.email, invoice_id=None, created_at=now,
                           expires_at=now + timedelta(days=FEED_DAYS), last_seen_at=now))
    return token


def viewer_of_feed(uow: UnitOfWork, *, token: str) -> Viewer | None:
    device = uow.session.scalar(select(Device).where(Device.token_hash == _hash(FEED + token)))
    if device is None or device.expires_at <= uow.now():
        return None
    device.last_seen_at = uow.now()
    return Viewer(email=device.email, livemode=_has_live_purchases(uow, device.email))


FEED = "agenda-feed:"


def wants_due_notices(uow: UnitOfWork, *, viewer: Viewer) -> bool:
    return bool(viewer.email) and consumers.wants_due_notices(uow, email=viewer.email, livemode=viewer.livemode)


def set_due_notices(uow: UnitOfWork, *, viewer: Viewer, wanted: bool) -> None:
    """The consumer's choice of a notice before each due date (a collection's notice is not
    theirs to switch off: the SEPA rules require it)."""
    _whole_account(viewer)
    consumers.set_due_notices(uow, email=viewer.email, livemode=viewer.livemode, wanted=wanted)


def language_of(uow: UnitOfWork, *, viewer: Viewer) -> str:
    """The language the viewer's invoices are written in (for what is read outside a page)."""
    return _language_of(uow, _consumer_ids(uow, viewer))


def _orders(uow, viewer: Viewer) -> list[orders.OrderView]:
    """The viewer's orders; one opened with an invoice number shows that invoice's order only."""
    found = orders.consumer_orders(uow, consumer_ids=_consumer_ids(uow, viewer), livemode=viewer.livemode)
    if viewer.invoice_id:
        return [order for order in found if viewer.invoice_id in order.invoice_ids]
    return found


def invoice_of(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> Invoice:
    """One of the viewer's invoices; anyone else's is simply not found."""
    try:
        invoice = invoices.find_invoice(uow, invoice_id=invoice_id)
    except NotFound:
        raise NotFound(said("There is no such invoice in your purchases.")) from None
    if not _may_see(uow, viewer, invoice):
        raise NotFound(said("There is no such invoice in your purchases."))
    return invoice


def shop_of(uow: UnitOfWork, *, invoice: Invoice):
    return merchants.get_merchant(uow, merchant_id=invoice.merchant_id)


def _may_see(uow, viewer: Viewer, invoice: Invoice) -> bool:
    if viewer.invoice_id:
        return invoice.id == viewer.invoice_id
    return (invoice.livemode == viewer.livemode
            and consumers.email_of(uow, consumer_id=invoice.consumer_id) == viewer.email)


def _visible_invoices(uow, viewer: Viewer) -> list[Invoice]:
    if viewer.invoice_id:
        return [invoices.find_invoice(uow, invoice_id=viewer.invoice_id)]
    ids = _consumer_ids(uow, viewer)
    return [invoice for consumer_id in ids
            for invoice in invoices.consumer_invoices(uow, consumer_id=consumer_id)]


def _consumer_ids(uow, viewer: Viewer) -> list[str]:
    if viewer.invoice_id:
        return [invoices.find_invoice(uow, invoice_id=viewer.invoice_id).consumer_id]
    return list(uow.session.scalars(select(Consumer.id).where(Consumer.email == viewer.email,
                                                              Consumer.livemode.is_(viewer.livemode))))


def _latest_cases(uow, viewer: Viewer) -> dict[str, object]:
    latest: dict[str, object] = {}
    for consumer_id in _consumer_ids(uow, viewer):
        for case in disputes.consumer_disputes(uow, consumer_id=consumer_id):
            latest.setdefault(case.invoice_id, case)  # newest first
    return latest


@dataclass(frozen=True)
class TimelineItem:
    on: datetime | date
    kind: str  # issued | due_date_changed | credited | paid | paused | resumed | fee | reminder | dispute
    data: dict


def timeline(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> list[TimelineItem]:
    """What happened to an invoice, oldest first, from its own entries (never from logs)."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    items = [TimelineItem(invoice.issued_at, "issued", {"number": invoice.number})]
    items += [TimelineItem(e.created_at, "extended", {"days": e.days, "due_date": e.due_date,
                                                      "by": e.requested_by}) for e in invoice.extensions]
    items += [TimelineItem(note.issued_at, "credited", {"number": note.number, "amount": note.total_cents,
                                                        "reason": note.reason}) for note in invoice.credit_notes]
    items += [TimelineItem(p.booked_at, "paid" if p.amount_cents > 0 else "payment_reversed",
                           {"amount": p.amount_cents, "method": p.method}) for p in invoice.payments]
    for pause in invoice.pauses:
        items.append(TimelineItem(pause.started_at, "paused", {"reason": pause.reason}))
        if pause.lifted_at:
            items.append(TimelineItem(pause.lifted_at, "resumed", {"reason": pause.reason}))
    items += [TimelineItem(fee.charged_at, "fee", {"kind": fee.kind, "amount": fee.amount_cents, "basis": fee.basis,
                                                   "waived": fee.waived_at is not None}) for fee in invoice.fees]
    scope = Scope(invoice.merchant_id, invoice.livemode)
    items += [TimelineItem(step.sent_on, "reminder", {"name": step.name, "deadline": step.deadline})
              for step in dunning.invoice_dunning(uow, scope=scope, invoice_id=invoice.id).steps]
    return sorted(items, key=lambda item: _instant(uow, item.on))


def _instant(uow, on: datetime | date) -> datetime:
    if isinstance(on, datetime):
        return on
    from datetime import time
    from zoneinfo import ZoneInfo
    return datetime.combine(on, time(12), ZoneInfo(uow.settings.timezone))


# --- paying ----------------------------------------------------------------------------------

def payment_methods(uow: UnitOfWork, *, invoice: Invoice) -> list[str]:
    """The ways to pay online, the one the consumer used last first (none without a provider)."""
    return checkouts.methods_for(uow, livemode=invoice.livemode, consumer_id=invoice.consumer_id)


def start_checkout(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, method: str | None) -> str:
    """Start paying at the payment provider; the URL to send the consumer to."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    _, redirect_url = checkouts.start_checkout(
        uow, scope=_scope(invoice), invoice_id=invoice.id, method=method,
        return_url=f"{uow.settings.base_url}/portal/invoices/{invoice.id}")
    return redirect_url


def give_mandate(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, account_holder: str, iban: str):
    """Let the provider collect the invoice by direct debit from this account."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    _whole_account(viewer)  # a mandate covers the consumer's later invoices too
    if not (account_holder or "").strip():
        raise InvalidInput({"account_holder": [said("The name on the account.")]})
    return payments.create_mandate(uow, scope=_scope(invoice), invoice_id=invoice.id, account_holder=account_holder,
                                   iban=iban, signed_on=uow.today())


# --- self-service actions: each is the owning feature's service ---------------------------

def report_return(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, lines: list[dict],
                  carrier: str | None = None, tracking_code: str | None = None):
    """The consumer sent goods back: the invoice pauses and the webshop is told."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    wanted = [line for line in lines if line.get("quantity")]
    if not wanted:
        raise InvalidInput({"lines": [said("Choose what you sent back, and how many.")]})
    by_reference = {line.order_line_reference for line in invoice.lines}
    if any(line["reference"] not in by_reference for line in wanted):
        raise InvalidInput({"lines": [said("Choose lines of this invoice.")]})
    return returns.register_return(uow, scope=_scope(invoice), order_id=invoice.order_id, invoice_id=invoice.id, data={
        "status": "announced", "lines": wanted, "carrier": (carrier or "").strip() or None,
        "tracking_code": (tracking_code or "").strip() or None, "reason": "Reported by the consumer"}).return_


def extend(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> Invoice:
    """The one free extension of the due date."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    return invoices.extend(uow, scope=_scope(invoice), invoice_id=invoice.id, days=0, requested_by=invoices.CONSUMER)


def start_payment_plan(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, instalments: int):
    """Pay in monthly parts when paying at once is too much (forbearance)."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    return dunning.start_payment_plan(uow, scope=_scope(invoice), invoice_id=invoice.id, instalments=instalments)


def open_dispute(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, case: disputes.NewDispute):
    """Ask the mediators to decide between the consumer and the webshop."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    return disputes.open_dispute(uow, invoice_id=invoice.id, actor=disputes.Actor.consumer(invoice.consumer_id),
                                 case=case)


def dispute_of(uow: UnitOfWork, *, viewer: Viewer, dispute_id: str):
    """One of the viewer's cases (the shared file only)."""
    for consumer_id in _consumer_ids(uow, viewer):
        try:
            case = disputes.get_consumer_dispute(uow, consumer_id=consumer_id, dispute_id=dispute_id)
        except NotFound:
            continue
        if viewer.invoice_id is None or case.invoice_id == viewer.invoice_id:
            return case
    raise NotFound(said("There is no such case in your purchases."))


def reply_to_dispute(uow: UnitOfWork, *, viewer: Viewer, dispute_id: str, message: str, evidence=()):
    case = dispute_of(uow, viewer=viewer, dispute_id=dispute_id)
    return disputes.consumer_reply(uow, consumer_id=case.consumer_id, dispute_id=case.id, message=message,
                                   evidence=tuple(evidence))


def withdraw_dispute(uow: UnitOfWork, *, viewer: Viewer, dispute_id: str):
    case = dispute_of(uow, viewer=viewer, dispute_id=dispute_id)
    _whole_account(viewer)
    return disputes.withdraw(uow, consumer_id=case.consumer_id, dispute_id=case.id)


def address_choices(uow: UnitOfWork, *, viewer: Viewer) -> list[tuple[Invoice, str]]:
    """The invoices an address change can apply to (those still to be paid), with their webshop."""
    running = [invoice for invoice in _visible_invoices(uow, viewer) if not invoice.is_closed]
    names = merchants.names(uow, merchant_ids=list({invoice.merchant_id for invoice in running}))
    return sorted(((invoice, names.get(invoice.merchant_id, "")) for invoice in running),
                  key=lambda pair: (pair[1], pair[0].number))


def change_billing_address(uow: UnitOfWork, *, viewer: Viewer, address: dict,
                           invoice_ids: list[str] | None = None) -> list[Invoice]:
    """Where the chosen invoices still to be paid (all of them when none are named) are sent
    from now on; their webshops are told."""
    _whole_account(viewer)
    address = _checked_address(address)
    running = [invoice for invoice, _ in address_choices(uow, viewer=viewer)]
    if not running:
        raise InvalidInput({"address": [said("You have no invoices left to pay, so there is no address to change.")]})
    if invoice_ids is not None:
        running = [invoice for invoice in running if invoice.id in set(invoice_ids)]
        if not running:
            raise InvalidInput({"invoices": [said("Choose at least one invoice the new address is for.")]})
    return [invoices.change_billing_address(uow, scope=_scope(invoice), invoice_id=invoice.id, address=address)
            for invoice in running]


class NeedsLinkSignIn(DomainError):
    status, slug, title = 403, "needs-link-sign-in", "Sign in with the e-mailed link"


def _whole_account(viewer: Viewer) -> None:
    """What reaches beyond one invoice, or ends a case, needs the e-mailed link: an invoice
    number and a postcode are written on paper that others may see."""
    if not viewer.whole_account:
        raise NeedsLinkSignIn(said("For this, sign in with the link we e-mail you: an invoice number and postcode "
                                   "only open that one invoice."))


def _checked_address(address: dict) -> dict:
    from marshmallow import ValidationError

    from bnpl.errors import flatten_messages
    from bnpl.fields import AddressSchema

    try:
        return AddressSchema().load(address)
    except ValidationError as exc:
        raise InvalidInput({f"address.{path}": messages
                            for path, messages in flatten_messages(exc.messages).items()}) from None


def _scope(invoice: Invoice) -> Scope:
    return Scope(invoice.merchant_id, invoice.livemode)


# --- what the pages show besides ------------------------------------------------------------

@dataclass(frozen=True)
class InvoicePage:
    invoice: Invoice
    shop: object  # the merchant
    timeline: list[TimelineItem]
    case: object | None  # the invoice's running or latest dispute
    is_business: bool
    plan: object | None = None  # the payment plan it is being paid by
    avoidable: object | None = None  # a running 14-day letter: its last day and the costs it stated


def invoice_page(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> InvoicePage:
    """Everything the invoice page shows: the invoice, its webshop, its timeline and its case."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    case = next((case for case in disputes.consumer_disputes(uow, consumer_id=invoice.consumer_id)
                 if case.invoice_id == invoice.id), None)
    avoidable = dunning.avoidable_costs(uow, invoice_ids=[invoice.id], today=uow.today()).get(invoice.id)
    return InvoicePage(invoice=invoice, shop=shop_of(uow, invoice=invoice), avoidable=avoidable,
                       timeline=timeline(uow, viewer=viewer, invoice_id=invoice.id), case=case,
                       is_business=invoice.billed_to.get("type") == "business",
                       plan=dunning.active_plan(uow, scope=_scope(invoice), invoice_id=invoice.id))


@dataclass(frozen=True)
class NamedDocument:
    document: object
    filename: str  # what the consumer's download is called: the document's number


def invoice_document(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> NamedDocument:
    """The invoice's stored PDF as it stands (rendered and stored first if need be)."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    return NamedDocument(invoices.invoice_document(uow, scope=_scope(invoice), invoice_id=invoice.id),
                         f"{invoice.number}.pdf")


def credit_note_document(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, credit_note_id: str) -> NamedDocument:
    """The stored PDF of a credit note on one of the viewer's invoices."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    note = next((note for note in invoice.credit_notes if note.id == credit_note_id), None)
    if note is None:
        raise NotFound(said("There is no such credit note on this invoice."))
    return NamedDocument(invoices.credit_note_document(uow, scope=_scope(invoice), credit_note_id=note.id),
                         f"{note.number}.pdf")


def document_pdf(uow: UnitOfWork, document) -> bytes:
    return documents.pdf_bytes(uow, document)


@dataclass(frozen=True)
class PayDetails:
    """How to pay an invoice: by bank transfer (with the EPC QR) or online. With a payment plan
    the amount is the next instalment; with a mandate the day and account it is collected from."""

    invoice: Invoice
    payee: str
    iban: str
    bic: str | None
    reference: str
    amount_cents: int
    qr: object | None  # a segno QR code; None when there is nothing to pay or it is not in euros
    methods: list[str]  # online, the one used last first
    next_date: AgendaItem | None = None  # the next instalment or the collection; None: the due date


def pay_details(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> PayDetails:
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    provider = uow.settings.provider
    upcoming = _next_date(uow, viewer, invoice)
    amount = upcoming.amount_cents if upcoming is not None and upcoming.kind == INSTALMENT else invoice.balance_cents
    return PayDetails(invoice=invoice, payee=provider.name, iban=provider.iban, bic=provider.bic,
                      reference=invoice.payment_reference, amount_cents=amount,
                      qr=epc.epc_qr(name=provider.name, iban=provider.iban, bic=provider.bic,
                                    amount_cents=amount, currency=invoice.currency,
                                    reference=invoice.payment_reference),
                      methods=payment_methods(uow, invoice=invoice), next_date=upcoming)


def _next_date(uow, viewer: Viewer, invoice: Invoice) -> AgendaItem | None:
    """The invoice's next instalment or collection (not its plain due date)."""
    return _next(_dates(uow, viewer, [invoice], {}).get(invoice.id))


@dataclass(frozen=True)
class ExtensionOffer:
    invoice: Invoice
    refusal: str | None  # why there is none now; else the extension is offered
    days: int
    new_due_date: date | None


def extension_offer(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str) -> ExtensionOffer:
    """The free extension as the consumer is offered it: the new due date, or why not."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    new_due_date, refusal = invoices.consumer_extension_offer(uow, invoice)
    return ExtensionOffer(invoice=invoice, refusal=refusal, days=uow.settings.consumer_extension_days,
                          new_due_date=new_due_date)


PLAN_INSTALMENTS = range(dunning.MIN_INSTALMENTS, dunning.MAX_INSTALMENTS + 1)


def plan_preview(uow: UnitOfWork, *, viewer: Viewer, invoice_id: str, instalments: int) -> list[dict]:
    """The monthly instalments ({due_date, amount}) a payment plan started now would have."""
    invoice = invoice_of(uow, viewer=viewer, invoice_id=invoice_id)
    if instalments not in PLAN_INSTALMENTS:
        raise InvalidInput({"instalments": [said("A plan has %(least)s to %(most)s monthly instalments.",
                                                 least=dunning.MIN_INSTALMENTS, most=dunning.MAX_INSTALMENTS)]})
    return dunning.plan_preview(invoice.balance_cents, instalments,
                                dunning.first_instalment_due(today=uow.today(), invoice_due=invoice.due_date))


def evidence_of(uow: UnitOfWork, *, viewer: Viewer, dispute_id: str, evidence_id: str):
    """A file on the shared side of one of the viewer's cases."""
    case = dispute_of(uow, viewer=viewer, dispute_id=dispute_id)
    return disputes.evidence_file(uow, dispute=case, evidence_id=evidence_id)


@dataclass(frozen=True)
class CasePage:
    case: object  # the dispute
    shop: object  # the merchant
    entries: list  # the shared timeline, oldest first: never the mediators' internal notes
    evidence: dict  # entry id -> the shared files handed in with it


def case_page(uow: UnitOfWork, *, viewer: Viewer, dispute_id: str) -> CasePage:
    """One of the viewer's cases as both sides see it."""
    case = dispute_of(uow, viewer=viewer, dispute_id=dispute_id)
    evidence: dict[int, list] = {}
    for item in case.shared_evidence():
        evidence.setdefault(item.entry_id, []).append(item)
    return CasePage(case=case, shop=merchants.get_merchant(uow, merchant_id=case.merchant_id),
                    entries=case.shared_entries(), evidence=evidence)


def billing_address(uow: UnitOfWork, *, viewer: Viewer) -> dict:
    """The address the newest invoice was sent to, to start the change from."""
    found = _visible_invoices(uow, viewer)
    newest = max(found, key=lambda invoice: invoice.issued_at, default=None)
    return dict((newest.billed_to.get("address") or {}) if newest else {})


@dataclass(frozen=True)
class Channel:
    kind: str  # email | phone | dispute
    address: str | None  # the e-mail address or phone number
    within: int  # the promised answer time, in `unit`
    unit: str  # working_days | minutes | days
    hours: str | None = None  # when the channel is staffed


def contact_channels(uow: UnitOfWork) -> list[Channel]:
    """The ways to reach people and the answer time promised for each (configuration)."""
    support, settings = uow.settings.support, uow.settings
    return [Channel("email", settings.provider.email, support.email_working_days, "working_days"),
            Channel("phone", support.phone, support.phone_minutes, "minutes", support.office_hours),
            Channel("dispute", None, settings.disputes.decision_days, "days")]


# --- the spending room and human review of a decline (CCD2) -------------------------------

@dataclass(frozen=True)
class DeclinedOrder:
    decision_id: str
    shop: str
    decided_at: datetime
    amount_cents: int
    currency: str
    reasons: list[dict]          # [{code, text}] in the reader's language
    review: object | None        # the review asked for, if any (risk's Review)


@dataclass(frozen=True)
class SpendingRoom:
    room: risk.Room
    why: list[str]               # the sentences that explain it, in the reader's language
    declined: list[DeclinedOrder]


def spending_room(uow: UnitOfWork, *, viewer: Viewer, language: str) -> SpendingRoom:
    """What the viewer may have open at once at all webshops, why, and their declined orders
    (each with its reasons and whether a review was asked for)."""
    _whole_account(viewer)  # the room speaks of every webshop: more than one invoice's paper shows
    consumer_id = _person_consumer(uow, viewer)
    return SpendingRoom(room=risk.room_for(uow, consumer_id=consumer_id, livemode=viewer.livemode),
                        why=risk.explain_room(uow, consumer_id=consumer_id, livemode=viewer.livemode, language=language),
                        declined=_declined(uow, viewer, language))


def _person_consumer(uow, viewer: Viewer) -> str:
    """The consumer record risk knows the viewer's person by (one e-mail address is one person;
    any record does before a first order)."""
    ids = _consumer_ids(uow, viewer)
    known = [consumer_id for consumer_id in ids
             if risk.person_of(uow, consumer_id=consumer_id, livemode=viewer.livemode) is not None]
    return (known or ids or [""])[0]


def _declined(uow, viewer: Viewer, language: str) -> list[DeclinedOrder]:
    found = risk.final_decisions(uow, consumer_ids=_consumer_ids(uow, viewer), livemode=viewer.livemode)
    names = merchants.names(uow, merchant_ids=list({decision.merchant_id for decision in found}))
    asked = risk.reviews_of(uow, decision_ids=[decision.id for decision in found])
    return [DeclinedOrder(decision_id=decision.id, shop=names.get(decision.merchant_id, ""),
                          decided_at=decision.created_at, amount_cents=decision.amount_cents,
                          currency=decision.currency,
                          reasons=risk.explain(uow, decision_id=decision.id, language=language),
                          review=asked.get(decision.id))
            for decision in found]


def declined_order(uow: UnitOfWork, *, viewer: Viewer, decision_id: str, language: str) -> DeclinedOrder:
    """One of the viewer's declined orders; anyone else's (or an accepted one) is not found."""
    _whole_account(viewer)
    found = next((d for d in _declined(uow, viewer, language) if d.decision_id == decision_id), None)
    if found is None:
        raise NotFound(said("There is no such decision in your purchases."))
    return found


def request_review(uow: UnitOfWork, *, viewer: Viewer, decision_id: str, message: str, language: str):
    """Ask a person at the provider to look at a declined order again (one request per decision)."""
    found = declined_order(uow, viewer=viewer, decision_id=decision_id, language=language)
    consumer_id = risk.get_decision(uow, decision_id=found.decision_id).consumer_id
    return risk.request_review(uow, decision_id=found.decision_id, consumer_id=consumer_id, message=message)
