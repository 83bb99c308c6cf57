"""Use cases of the back office: accounts (create one, sign in, who is signed in) and the case
pages, composed from the disputes feature's services.

Rules:
- Passwords are stored as argon2id hashes only; a hash made with older parameters is
  replaced at the next successful sign-in.
- After MAX_FAILED_SIGN_INS wrong passwords in a row the account is locked for LOCK_DURATION.
  While locked nothing is checked and the answer never tells whether the password was right.
  (The lock message does tell that the address has an account: a locked-out mediator needs
  to know to wait.)
- An unknown e-mail address costs the same hash verification and gets the same message as a
  wrong password, so neither the answer nor its timing tells which addresses exist.
- A sign-in lasts SESSION_LIFETIME, as a session on the server (staff/accounts.py): signing
  out, deactivating the account or resetting its password ends it at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from bnpl import i18n
from bnpl.audit import service as audit
from bnpl.disputes import service as disputes, states as dispute_states
from bnpl.disputes.models import STAFF_ONLY, Dispute, DisputeEntry, Evidence
from bnpl.errors import Conflict, DomainError, InvalidInput
from bnpl.i18n import said
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.merchants import service as merchants
from bnpl.orders import service as orders
from bnpl.risk import service as risk, states as risk_states
from bnpl.risk.policy import Policy
from bnpl.staff.models import ROLES, StaffMember
from bnpl.support import service as support
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes on request would be a cheap way to load the server
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

WRONG_CREDENTIALS = said("The e-mail address or the password is not right.")


class SignInFailed(DomainError):
    status, slug, title = 401, "sign-in-failed", "Sign-in failed"


class AccountLocked(SignInFailed):
    status, slug, title = 423, "account-locked", "Account locked"


def create_member(uow: UnitOfWork, *, email: str, name: str | None, role: str, password: str,
                  actor: str = "operator (command line)") -> StaffMember:
    """A back-office account; the name defaults to the part of the e-mail address before the @."""
    email = normalize_email(email)
    errors = _member_errors(email, role, password)
    if errors:
        raise InvalidInput(errors)
    if uow.session.scalar(select(StaffMember.id).where(StaffMember.email == email)):
        raise Conflict(said("There is already a staff account for %(email)s.", email=email))
    member = StaffMember(email=email, name=(name or "").strip()[:100] or email.split("@")[0], role=role,
                         password_hash=HASHER.hash(password), active=True, failed_logins=0,
                         created_at=uow.now())
    uow.session.add(member)
    uow.session.flush()
    audit.record(uow, actor=actor, action="staff.created", member=member.email, role=member.role)
    return member


def sign_in(uow: UnitOfWork, *, email: str, password: str) -> StaffMember:
    """The account behind an e-mail address and password; counts failures and locks the account."""
    # The row is locked and read afresh: parallel guesses must each count.
    member = uow.session.scalar(select(StaffMember).where(StaffMember.email == normalize_email(email),
                                                          StaffMember.active.is_(True))
                                .with_for_update().execution_options(populate_existing=True))
    if member is None:
        _verify(_dummy_hash(HASHER), password)  # the same work as for a real account
        raise SignInFailed(WRONG_CREDENTIALS)
    now = uow.now()
    if member.locked_until and member.locked_until > now:
        _verify(_dummy_hash(HASHER), password)
        raise _locked(uow, member)
    if not _verify(member.password_hash, password):
        raise _count_failure(uow, member, now)
    if HASHER.check_needs_rehash(member.password_hash):
        member.password_hash = HASHER.hash(password)
    member.failed_logins, member.locked_until, member.last_login_at = 0, None, now
    return member


def get_member(uow: UnitOfWork, *, member_id: str) -> StaffMember | None:
    """An active account by id; None for an unknown or inactive one."""
    member = uow.session.get(StaffMember, member_id)
    return member if member is not None and member.active else None


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _member_errors(email: str, role: str, password: str) -> dict[str, list[str]]:
    errors = {}
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > 254 or any(c.isspace() for c in email):
        errors["email"] = [said("Not a valid e-mail address.")]
    if role not in ROLES:
        errors["role"] = [said("One of %(choices)s.", choices=", ".join(ROLES))]
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        errors["password"] = [said("Between %(least)s and %(most)s characters.", least=MIN_PASSWORD_LENGTH,
                                      most=MAX_PASSWORD_LENGTH)]
    return errors


def _count_failure(uow: UnitOfWork, member: StaffMember, now: datetime) -> SignInFailed:
    """Count a wrong password; the last one allowed locks the account and starts counting anew.
    The caller commits the count even though the sign-in fails."""
    member.failed_logins += 1
    if member.failed_logins < MAX_FAILED_SIGN_INS:
        return SignInFailed(WRONG_CREDENTIALS)
    member.failed_logins, member.locked_until = 0, now + LOCK_DURATION
    return _locked(uow, member)


def _locked(uow: UnitOfWork, member: StaffMember) -> AccountLocked:
    until = member.locked_until.astimezone(ZoneInfo(uow.settings.timezone))
    return AccountLocked(said("This account is locked after %(count)s failed sign-ins in a row, until %(until)s "
                              "(%(zone)s). Try again after that.", count=MAX_FAILED_SIGN_INS,
                              until=f"{until:%d-%m-%Y %H:%M}", zone=uow.settings.timezone),
                         locked_until=member.locked_until.isoformat())


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, (password or "")[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=2)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash nobody's password matches, made with the same parameters as the real ones."""
    return hasher.hash("no account has this password")


# --- the case pages ------------------------------------------------------------------------

def acting(member: StaffMember) -> disputes.Actor:
    """The member as the disputes feature knows who acts."""
    return disputes.Actor.mediator(member.id, member.name)


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows: the case, whose it is, both timelines, the history."""

    dispute: Dispute
    merchant_name: str
    billed_to: dict  # name, e-mail and address the invoice went to
    invoice_total_cents: int
    timeline: list[DisputeEntry]  # what both sides see
    notes: list[DisputeEntry]  # internal: notes, proposals, approvals
    evidence: dict[int, list[Evidence]]  # by timeline entry id
    history: disputes.History
    proposal: dict | None  # a decision waiting for a second mediator
    may_approve: bool  # someone other than the proposer is looking
    actions: frozenset[str]  # what the state table allows now: decide, ask_merchant, …
    shipment: object | None = None  # orders' Shipment: carrier, tracking code, shipped and delivered
    lines: tuple = ()  # (invoice line, quantity credited), every line of the invoice
    questions: tuple = ()  # the consumer's questions to the support desk (support's Thread)
    payments: tuple = ()  # money applied to the invoice (invoices' InvoicePayment), oldest first
    balance_cents: int = 0  # what is still owed on the invoice


def case_file(uow: UnitOfWork, *, dispute_id: str, member: StaffMember) -> CaseFile:
    """A case as a mediator reads it, whichever webshop it belongs to."""
    dispute = disputes.get_case(uow, dispute_id=dispute_id)
    scope = Scope(dispute.merchant_id, dispute.livemode)
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=dispute.invoice_id)
    evidence: dict[int, list[Evidence]] = {}
    for item in dispute.evidence:
        evidence.setdefault(item.entry_id, []).append(item)
    proposal = dispute.proposal if dispute.status == dispute_states.AWAITING_APPROVAL else None
    return CaseFile(dispute=dispute, merchant_name=merchants.get_merchant(uow, merchant_id=dispute.merchant_id).name,
                    billed_to=invoice.billed_to, invoice_total_cents=invoice.total_cents,
                    timeline=dispute.shared_entries(),
                    notes=[entry for entry in dispute.entries if entry.visibility == STAFF_ONLY],
                    evidence=evidence, history=disputes.history(uow, dispute_id=dispute.id), proposal=proposal,
                    may_approve=bool(proposal) and proposal.get("by") != member.id,
                    actions=dispute_states.DISPUTE.actions_from(dispute.status),
                    shipment=_shipment_of(uow, scope, invoice), lines=_credited_lines(uow, scope, invoice),
                    questions=tuple(support.consumer_threads(uow, consumer_id=dispute.consumer_id)),
                    payments=tuple(sorted(invoice.payments, key=lambda p: (p.paid_on, p.booked_at, p.id))),
                    balance_cents=invoice.balance_cents)


def _shipment_of(uow, scope: Scope, invoice):
    order = orders.get_order(uow, scope=scope, order_id=invoice.order_id)
    return next((shipment for shipment in order.shipments if shipment.id == invoice.shipment_id), None)


def _credited_lines(uow, scope: Scope, invoice) -> tuple:
    left = invoice_queries.uncredited_lines(uow, scope=scope, invoice_id=invoice.id)
    return tuple((line, line.quantity - (left[line.order_line_reference].quantity
                                         if line.order_line_reference in left else 0))
                 for line in invoice.lines)


# --- reviews of credit decisions (the risk role) -------------------------------------------

@dataclass(frozen=True)
class ReviewRow:
    review: object  # risk's Review
    merchant_name: str
    consumer_name: str
    amount_cents: int
    currency: str
    livemode: bool


def review_queue(uow: UnitOfWork) -> list[ReviewRow]:
    """The reviews consumers asked for that nobody has answered yet, the oldest request first."""
    waiting = risk.reviews(uow)
    decisions = {review.id: risk.get_decision(uow, decision_id=review.decision_id) for review in waiting}
    names = merchants.names(uow, merchant_ids=list({d.merchant_id for d in decisions.values()}))
    return [ReviewRow(review=review, merchant_name=names.get(d.merchant_id, d.merchant_id),
                      consumer_name=_order_of(uow, d).consumer.get("name", ""), amount_cents=d.amount_cents,
                      currency=d.currency, livemode=d.livemode)
            for review in waiting for d in [decisions[review.id]]]


@dataclass(frozen=True)
class ReviewFile:
    """Everything the review page shows: the request, the decision with its inputs, reasons and
    policy, whether replaying it gives the same outcome, and the person's room now."""

    review: object
    decision: object  # risk's RiskDecision
    merchant_name: str
    order: object
    reasons: list[dict]  # [{code, text}] as the consumer read them, in the reader's language
    replayed_outcome: str
    replay_matches: bool
    room: risk.Room
    may_decide: bool
    language: str  # the consumer's, in which they read the reasons


def review_file(uow: UnitOfWork, *, review_id: str, language: str = "en") -> ReviewFile:
    review = risk.get_review(uow, review_id=review_id)
    decision = risk.get_decision(uow, decision_id=review.decision_id)
    replayed = risk.replay(uow, decision_id=decision.id)
    order = _order_of(uow, decision)
    return ReviewFile(
        review=review, decision=decision,
        merchant_name=merchants.get_merchant(uow, merchant_id=decision.merchant_id).name,
        order=order, reasons=risk.explain(uow, decision_id=decision.id, language=language),
        replayed_outcome=replayed.outcome,
        replay_matches=replayed == risk.stored_decision(uow, decision_id=decision.id),
        room=risk.room_for(uow, consumer_id=decision.consumer_id, livemode=decision.livemode),
        may_decide=bool(risk_states.REVIEW.actions_from(review.status)),
        language=i18n.language_for(order.consumer.get("language"), (order.billing_address or {}).get("country")))


def decide_review(uow: UnitOfWork, *, member: StaffMember, review_id: str, change: bool, reasons: str,
                  limit_cents: int | None = None):
    """Answer a review with written reasons. Changed, the declined order is accepted after all;
    either way the webshop (webhook) and the consumer (e-mail) are told through the order's event."""
    if limit_cents is not None and not change:
        # A limit typed beside "uphold" would be dropped without a word; say so instead.
        raise InvalidInput({"limit": [said("Only a changed decision sets a new limit; leave it empty to uphold.")]})
    review = risk.decide_review(uow, review_id=review_id, staff_id=member.id, change=change, reasons=reasons,
                                limit_cents=limit_cents)
    decision = risk.get_decision(uow, decision_id=review.decision_id)
    orders.review_decided(
        uow, scope=Scope(decision.merchant_id, decision.livemode), order_id=decision.order_id,
        review={"id": review.id, "outcome": review.status, "decided_at": review.decided_at.isoformat()},
        accepted_decision=risk.accepted_on_review(uow, decision_id=decision.id) if change else None)
    return review


def _order_of(uow, decision):
    return orders.get_order(uow, scope=Scope(decision.merchant_id, decision.livemode), order_id=decision.order_id)


# --- the acceptance policy and statistics ---------------------------------------------------

@dataclass(frozen=True)
class PolicyPage:
    installation: Policy
    webshops: list  # [(merchant name, risk.WebshopPolicy)]


def policy_page(uow: UnitOfWork) -> PolicyPage:
    """The installation's default policy and every webshop's stricter version of it."""
    found = risk.webshop_policies(uow)
    names = merchants.names(uow, merchant_ids=[p.merchant_id for p in found])
    return PolicyPage(installation=risk.policy_for(uow, merchant_id=None)[0],
                      webshops=sorted(((names.get(p.merchant_id, p.merchant_id), p) for p in found),
                                      key=lambda pair: pair[0].lower()))


def acceptance_statistics(uow: UnitOfWork, *, since, until) -> list[tuple[str, Scope, object]]:
    """Per webshop (and mode): approval rate and what declined, as (name, scope, risk statistics)."""
    rows = risk.statistics_per_webshop(uow, since=since, until=until)
    names = merchants.names(uow, merchant_ids=list({scope.merchant_id for scope, _ in rows}))
    return [(names.get(scope.merchant_id, scope.merchant_id), scope, stats) for scope, stats in rows]
