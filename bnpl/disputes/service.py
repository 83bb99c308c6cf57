"""Use cases for disputes: open a case, the merchant's answer, the mediator's questions,
notes and reasoned decision, deadlines, the consumer's history, and statistics.

Money moves only through the invoices feature: a credit note for what the consumer wins,
the invoice's pause lifted with a fresh due date for what they still owe.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bnpl import pagination
from bnpl.calendar import working_days_after
from bnpl.db import among
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.i18n import N_, said
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.risk import service as risk
from bnpl.disputes import states
from bnpl.disputes.evidence import CheckedFile, EvidenceFile, check_files
from bnpl.disputes.models import (CONSUMER, FOR_CONSUMER, FRAUD, MEDIATOR, MERCHANT, OUTCOMES,
                                  PARTIAL, REASONS, SHARED, STAFF_ONLY, SUSPICIOUS_REASONS, SYSTEM, WITHDRAWN,
                                  Dispute, DisputeEntry, Evidence)
from bnpl.disputes.schemas import PROPOSALS, DisputeSchema
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

_dispute_schema = DisputeSchema()
MIN_REASONS_LENGTH = 20  # "Rejected." is not a reason a consumer or a webshop can follow


@dataclass(frozen=True)
class Actor:
    """Who acts on a case: the consumer, the merchant, a mediator (staff id and name) or the system."""

    party: str
    id: str | None = None
    name: str | None = None

    @classmethod
    def consumer(cls, consumer_id: str) -> "Actor":
        return cls(CONSUMER, consumer_id)

    @classmethod
    def merchant(cls, merchant_id: str) -> "Actor":
        return cls(MERCHANT, merchant_id)

    @classmethod
    def mediator(cls, staff_id: str, name: str) -> "Actor":
        return cls(MEDIATOR, staff_id, name)


SYSTEM_ACTOR = Actor(SYSTEM)


# --- opening a case ------------------------------------------------------------------------

@dataclass(frozen=True)
class NewDispute:
    reason: str
    description: str
    contacted_merchant_on: date | None = None
    lines: tuple[tuple[str, int], ...] = ()  # (order line reference, quantity); none: the whole invoice
    evidence: tuple[EvidenceFile, ...] = ()
    new_facts: str = ""  # what is new since an earlier case on the invoice was decided


def open_dispute(uow: UnitOfWork, *, invoice_id: str, actor: Actor, case: NewDispute) -> Dispute:
    """Open a case about an invoice: it pauses, the webshop is told and gets its deadline.
    A consumer may open one only for their own invoice; a mediator for anyone who phoned.
    After an earlier case on the same lines was decided, a new one needs new facts and waits for a
    mediator to admit it (reopen_requested) before it pauses anything or asks the webshop."""
    invoice = _invoice_for(uow, invoice_id, actor)
    # The invoice's row lock makes a second opening at the same moment wait, then see this case.
    invoice = invoices.get_invoice(uow, scope=Scope(invoice.merchant_id, invoice.livemode), invoice_id=invoice.id,
                                   for_update=True)
    rules = uow.settings.disputes
    _check_case(uow, case, invoice)
    files = check_files(list(case.evidence), max_files=rules.evidence_max_files, max_bytes=rules.evidence_max_bytes)
    scope = Scope(invoice.merchant_id, invoice.livemode)
    left = invoice_queries.uncredited_lines(uow, scope=scope, invoice_id=invoice.id)
    lines = _disputed_lines(invoice, case.lines, left)
    disputed = min(sum(line["amount"] for line in lines) if lines else invoice.creditable_cents,
                   invoice.creditable_cents)
    _check_no_running_case(uow, invoice)
    earlier = _decided_case(uow, invoice, lines)
    if earlier is not None:
        _check_new_facts(case, earlier)
    now = uow.now()
    dispute = Dispute(merchant_id=invoice.merchant_id, livemode=invoice.livemode, invoice_id=invoice.id,
                      consumer_id=invoice.consumer_id, invoice_number=invoice.number, currency=invoice.currency,
                      reason=case.reason, description=case.description.strip(), lines=lines or None,
                      disputed_cents=disputed, contacted_merchant_on=case.contacted_merchant_on,
                      opened_by=actor.id if actor.party == MEDIATOR else CONSUMER,
                      status=states.REOPEN_REQUESTED if earlier else states.OPEN,
                      opened_at=now, created_at=now, updated_at=now, entries=[], evidence=[])
    uow.session.add(dispute)
    uow.session.flush()  # the unique index backs the check above against a concurrent opening
    entry = _entry(uow, dispute, actor, "opened", case.description.strip(),
                   data={"reason": case.reason, "disputed": disputed, "on_behalf_of_consumer": actor.party == MEDIATOR})
    _attach(uow, dispute, entry, actor, files)
    if earlier is not None:
        _entry(uow, dispute, actor, "reopen_requested", case.new_facts.strip(), data={"earlier_case": earlier.id})
        return dispute
    _start(uow, dispute)
    return dispute


def _start(uow, dispute: Dispute) -> None:
    """A case takes effect: the invoice pauses, the webshop is asked and told."""
    rules = uow.settings.disputes
    invoices.pause_invoice(uow, scope=Scope(dispute.merchant_id, dispute.livemode), invoice_id=dispute.invoice_id,
                           reason="dispute", reference_id=dispute.id, max_days=rules.decision_days + rules.merchant_days)
    _ask(uow, dispute, MERCHANT, days=rules.fraud_merchant_days if dispute.is_fraud else rules.merchant_days,
         message=None, actor=SYSTEM_ACTOR)
    _record(uow, dispute, "dispute.opened")


def admit(uow: UnitOfWork, *, dispute_id: str, actor: Actor) -> Dispute:
    """A mediator admits a second case after a decision: from now on it runs as any case."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    mediator = _staff(actor)
    dispute.move("admit", uow.now())
    _entry(uow, dispute, mediator, "reopen_admitted", None)
    _start(uow, dispute)
    return dispute


def refuse(uow: UnitOfWork, *, dispute_id: str, actor: Actor, reasons: str) -> Dispute:
    """A mediator refuses a second case, with reasons: the earlier decision stands. The
    consumer is told why (dispute.reopen_refused, their e-mail); the webshop, never asked about
    the request, gets only the event."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    mediator = _staff(actor)
    reasons = (reasons or "").strip()
    if len(reasons) < MIN_REASONS_LENGTH:
        raise InvalidInput({"reasons": [said("Write the reasons for the consumer (at least %(least)s characters).",
                                             least=MIN_REASONS_LENGTH)]})
    now = uow.now()
    dispute.move("refuse", now)
    dispute.decision_reasons, dispute.decided_by, dispute.decided_at = reasons, mediator.id, now
    _entry(uow, dispute, mediator, "reopen_refused", reasons)
    _record(uow, dispute, "dispute.reopen_refused")
    return dispute


def _decided_case(uow, invoice: Invoice, lines: list[dict]) -> Dispute | None:
    """The latest decided case about this invoice that covered any of these lines (a case
    without lines covers the whole invoice); a case about other lines is a first one."""
    decided = uow.session.scalars(select(Dispute).where(Dispute.invoice_id == invoice.id,
                                                        Dispute.status == states.DECIDED)
                                  .order_by(Dispute.decided_at.desc()))
    wanted = {line["reference"] for line in lines}
    return next((case for case in decided
                 if not case.lines or not wanted or wanted & {line["reference"] for line in case.lines}), None)


def _check_new_facts(case: NewDispute, earlier: Dispute) -> None:
    if len(case.new_facts.strip()) < MIN_REASONS_LENGTH:
        raise InvalidInput({"new_facts": [said(
            "A case about invoice %(number)s was decided on %(date)s. Tell us what is new since then (at least "
            "%(least)s characters); a mediator decides whether the case is opened again.",
            number=earlier.invoice_number, date=earlier.decided_at.date().isoformat(), least=MIN_REASONS_LENGTH)]},
            earlier_case=earlier.id)


def _invoice_for(uow, invoice_id: str, actor: Actor) -> Invoice:
    invoice = invoices.find_invoice(uow, invoice_id=invoice_id)
    if actor.party == CONSUMER and invoice.consumer_id != actor.id:
        raise NotFound(said("No invoice %(id)s.", id=invoice_id))  # someone else's invoice is simply not there
    if actor.party not in (CONSUMER, MEDIATOR):
        raise Conflict(said("Only the consumer or a mediator can open a case."))
    return invoice


def _check_case(uow, case: NewDispute, invoice: Invoice) -> None:
    errors = {}
    if case.reason not in REASONS:
        errors["reason"] = [said("Choose one of: %(choices)s.", choices=", ".join(REASONS))]
    if len(case.description.strip()) < 10:
        errors["description"] = [said("Tell us in a sentence or two what went wrong (at least 10 characters).")]
    if case.contacted_merchant_on is None and case.reason != FRAUD:
        errors["contacted_merchant_on"] = [said("Tell us the day you asked the webshop about this.")]
    elif case.contacted_merchant_on and case.contacted_merchant_on > uow.today():
        errors["contacted_merchant_on"] = [said("This day is in the future.")]
    if errors:
        raise InvalidInput(errors)
    if invoice.creditable_cents <= 0:
        raise Conflict(said("Invoice %(number)s is fully credited: there is nothing left to dispute.",
                            number=invoice.number))
    _check_waited(uow, case)


def _check_waited(uow, case: NewDispute) -> None:
    """The webshop gets a few working days to answer first, except when someone else ordered
    in the consumer's name: that cannot wait."""
    if case.reason == FRAUD:
        return
    days = uow.settings.disputes.wait_working_days
    open_from = working_days_after(case.contacted_merchant_on, days)
    if uow.today() < open_from:
        raise Conflict(said("Please give the webshop until %(date)s to answer you (%(days)s working days from the "
                            "day you asked). If they have not solved it by then, open a case here.",
                            date=open_from.isoformat(), days=days), open_from=open_from.isoformat())


def _disputed_lines(invoice: Invoice, requested: tuple[tuple[str, int], ...],
                    left: dict[str, invoice_queries.UncreditedLine]) -> list[dict]:
    errors, lines = {}, []
    for position, (reference, quantity) in enumerate(requested):
        line = left.get(reference)
        if line is None:
            errors[f"lines.{position}.reference"] = [said("Invoice %(number)s has no line %(reference)s.",
                                                          number=invoice.number, reference=repr(reference))]
        elif not line.quantity:
            errors[f"lines.{position}.reference"] = [said("Line %(reference)s was already credited in full.",
                                                          reference=repr(reference))]
        elif not 1 <= quantity <= line.quantity:
            errors[f"lines.{position}.quantity"] = [said("Between 1 and %(left)s (not yet credited).",
                                                         left=line.quantity)]
        elif reference in [r for r, _ in requested[:position]]:
            errors[f"lines.{position}.reference"] = [said("Line %(reference)s is named twice.",
                                                          reference=repr(reference))]
        else:
            lines.append({"reference": reference, "description": line.description, "quantity": quantity,
                          "amount": line.unit_price_cents * quantity})
    if errors:
        raise InvalidInput(errors)
    return lines


def _check_no_running_case(uow, invoice: Invoice) -> None:
    """One running case per invoice (a unique index too); say which one, not just 'conflict'."""
    running = uow.session.scalar(select(Dispute.id).where(
        Dispute.invoice_id == invoice.id, Dispute.status.in_(states.RUNNING)))
    if running:
        raise Conflict(said("There is already a case about invoice %(number)s (%(case)s); add to that one instead.",
                            number=invoice.number, case=running), dispute_id=running)


# --- the merchant's answer -----------------------------------------------------------------

@dataclass(frozen=True)
class MerchantResponse:
    message: str
    proposal: str  # accept | reject | partial_credit
    amount: int | None = None
    evidence: tuple[EvidenceFile, ...] = ()


def respond(uow: UnitOfWork, *, scope: Scope, dispute_id: str, response: MerchantResponse) -> Dispute:
    """The webshop answers: accepting or crediting part ends the case with a credit note;
    rejecting sends it to a mediator."""
    dispute = get_dispute(uow, scope=scope, dispute_id=dispute_id, for_update=True)
    _check_awaiting(uow, dispute, MERCHANT)
    rules = uow.settings.disputes
    if response.proposal not in PROPOSALS:
        raise InvalidInput({"proposal": [said("One of: %(choices)s.", choices=", ".join(PROPOSALS))]})
    files = check_files(list(response.evidence), max_files=rules.evidence_max_files, max_bytes=rules.evidence_max_bytes)
    if response.proposal == "partial_credit" and not 0 < (response.amount or 0) < dispute.disputed_cents:
        raise InvalidInput({"amount": [said("A partial credit is more than 0 and less than the disputed %(cents)s "
                                            "cents; to credit all of it, accept.", cents=dispute.disputed_cents)]})
    actor = Actor.merchant(scope.merchant_id)
    dispute.first_merchant_response_at = dispute.first_merchant_response_at or uow.now()
    entry = _entry(uow, dispute, actor, "merchant_responded", response.message,
                   data={"proposal": response.proposal, "amount": response.amount})
    _attach(uow, dispute, entry, actor, files)
    if response.proposal == "reject":
        dispute.move("merchant_rejects", uow.now())
        _record(uow, dispute, "dispute.merchant_responded")
        return dispute
    outcome, amount = (FOR_CONSUMER, None) if response.proposal == "accept" else (PARTIAL, response.amount)
    reasons = ("The webshop accepted the claim." if outcome == FOR_CONSUMER else
               f"The webshop offered a partial credit of {_euros(amount, dispute.currency)}, which ends the case.")
    _record(uow, dispute, "dispute.merchant_responded")
    return _settle(uow, dispute, action="merchant_settles", outcome=outcome, amount=amount,
                   reasons=reasons, decided_by=MERCHANT)


def _check_awaiting(uow, dispute: Dispute, party: str) -> None:
    if dispute.is_closed:
        raise Conflict(said("This case is already %(status)s; nothing can be added.", status=dispute.status),
                       dispute_status=dispute.status)
    if dispute.waiting_for != party:
        raise Conflict(said("This case is not waiting for the %(party)s's answer; it is %(status)s.",
                            party=party, status=dispute.status.replace("_", " ")), dispute_status=dispute.status)
    if dispute.respond_by and uow.now() > dispute.respond_by:
        raise Conflict(_deadline_passed(dispute), respond_by=dispute.respond_by.isoformat())


def _deadline_passed(dispute: Dispute) -> str:
    """To whoever answers after their deadline: the webshop (API) or the consumer (the portal)."""
    return said("The deadline to answer was %(deadline)s; the case went to a mediator.",
                deadline=dispute.respond_by.isoformat())


# --- the consumer's side -------------------------------------------------------------------

def consumer_reply(uow: UnitOfWork, *, consumer_id: str, dispute_id: str, message: str,
                   evidence: tuple[EvidenceFile, ...] = ()) -> Dispute:
    """The consumer answers a mediator's question (or adds to the case while it runs)."""
    dispute = _consumers_dispute(uow, consumer_id, dispute_id, for_update=True)
    if dispute.is_closed:
        raise Conflict(said("This case is already %(status)s; nothing can be added.", status=dispute.status),
                       dispute_status=dispute.status)
    if dispute.waiting_for == CONSUMER and dispute.respond_by and uow.now() > dispute.respond_by:
        raise Conflict(_deadline_passed(dispute))
    rules = uow.settings.disputes
    files = check_files(list(evidence), max_files=rules.evidence_max_files, max_bytes=rules.evidence_max_bytes)
    entry = _entry(uow, dispute, Actor.consumer(consumer_id), "consumer_replied", _required(message, "message"))
    _attach(uow, dispute, entry, Actor.consumer(consumer_id), files)
    if dispute.waiting_for == CONSUMER:
        dispute.move("consumer_replies", uow.now())
    _record(uow, dispute, "dispute.consumer_replied")
    return dispute


def withdraw(uow: UnitOfWork, *, consumer_id: str, dispute_id: str, message: str | None = None) -> Dispute:
    """The consumer drops the case: the invoice runs again, with time to pay."""
    dispute = _consumers_dispute(uow, consumer_id, dispute_id, for_update=True)
    return _settle(uow, dispute, action="withdraw", outcome=WITHDRAWN, amount=None,
                   reasons=(message or "").strip() or "The consumer withdrew the case.", decided_by=CONSUMER)


def consumer_disputes(uow: UnitOfWork, *, consumer_id: str) -> list[Dispute]:
    """Every case of a consumer, at any webshop, newest first."""
    return list(uow.session.scalars(_with_file(select(Dispute)).where(Dispute.consumer_id == consumer_id)
                                    .order_by(Dispute.opened_at.desc())))


def get_consumer_dispute(uow: UnitOfWork, *, consumer_id: str, dispute_id: str) -> Dispute:
    return _consumers_dispute(uow, consumer_id, dispute_id)


def _consumers_dispute(uow, consumer_id: str, dispute_id: str, for_update: bool = False) -> Dispute:
    dispute = _load(uow, dispute_id, for_update)
    if dispute is None or dispute.consumer_id != consumer_id:
        raise NotFound(said("No case %(id)s.", id=dispute_id))
    return dispute


# --- mediators -----------------------------------------------------------------------------

def add_note(uow: UnitOfWork, *, dispute_id: str, actor: Actor, message: str) -> Dispute:
    """An internal note: only staff ever see it."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    _entry(uow, dispute, _staff(actor), "note", _required(message, "message"), visibility=STAFF_ONLY)
    return dispute


def post_message(uow: UnitOfWork, *, dispute_id: str, actor: Actor, message: str) -> Dispute:
    """A mediator's message to both sides, on the shared timeline."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    _open_case(dispute)
    _entry(uow, dispute, _staff(actor), "mediator_message", _required(message, "message"))
    _record(uow, dispute, "dispute.message_posted")
    return dispute


def ask(uow: UnitOfWork, *, dispute_id: str, actor: Actor, party: str, message: str) -> Dispute:
    """Ask the merchant or the consumer for more, with a deadline; the case waits for them."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    if party not in (MERCHANT, CONSUMER):
        raise InvalidInput({"party": [said("Ask the merchant or the consumer.")]})
    rules = uow.settings.disputes
    merchant_days = rules.fraud_merchant_days if dispute.is_fraud else rules.merchant_days
    _ask(uow, dispute, party, days=merchant_days if party == MERCHANT else rules.consumer_days,
         message=_required(message, "message"), actor=_staff(actor))
    _record(uow, dispute, "dispute.information_requested")
    return dispute


def _ask(uow, dispute: Dispute, party: str, *, days: int, message: str | None, actor: Actor) -> None:
    dispute.move("ask_merchant" if party == MERCHANT else "ask_consumer", uow.now())
    dispute.respond_by = uow.now() + timedelta(days=days)
    _entry(uow, dispute, actor, f"{party}_asked", message,
           data={"party": party, "respond_by": dispute.respond_by.isoformat()})


def decide(uow: UnitOfWork, *, dispute_id: str, actor: Actor, outcome: str, reasons: str,
           amount: int | None = None) -> Dispute:
    """A mediator's decision with written reasons for both sides. Above the approval amount it
    waits for a second mediator (awaiting_approval) before any money moves."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    _open_case(dispute)
    mediator = _staff(actor)
    if dispute.status == states.AWAITING_APPROVAL:
        raise Conflict(said("A decision of this case waits for a second mediator: approve it or send it back first."),
                       dispute_status=dispute.status)
    reasons = _check_decision(dispute, outcome, reasons, amount)
    if outcome != WITHDRAWN and dispute.disputed_cents > uow.settings.disputes.approval_above_cents:
        dispute.move("propose", uow.now())
        dispute.proposal = {"outcome": outcome, "amount": amount, "reasons": reasons,
                            "by": mediator.id, "by_name": mediator.name, "at": uow.now().isoformat()}
        _entry(uow, dispute, mediator, "decision_proposed", reasons, visibility=STAFF_ONLY,
               data={"outcome": outcome, "amount": amount})
        return dispute
    action = "withdraw" if outcome == WITHDRAWN else "decide"
    return _settle(uow, dispute, action=action, outcome=outcome, amount=amount, reasons=reasons,
                   decided_by=mediator.id, by_name=mediator.name)


def approve(uow: UnitOfWork, *, dispute_id: str, actor: Actor) -> Dispute:
    """A second mediator approves the proposed decision: now it takes effect."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    mediator = _staff(actor)
    proposal = _pending(dispute)
    if proposal["by"] == mediator.id:
        raise Conflict(said("A second mediator must approve this decision; you proposed it."))
    dispute.proposal = None
    _entry(uow, dispute, mediator, "decision_approved", None, visibility=STAFF_ONLY,
           data={"proposed_by": proposal["by_name"]})
    dispute.approved_by = mediator.id
    return _settle(uow, dispute, action="approve", outcome=proposal["outcome"], amount=proposal["amount"],
                   reasons=proposal["reasons"], decided_by=proposal["by"],
                   by_name=f"{proposal['by_name']}, approved by {mediator.name}")


def send_back(uow: UnitOfWork, *, dispute_id: str, actor: Actor, message: str) -> Dispute:
    """The second mediator does not agree: the case goes back to review, with why."""
    dispute = get_case(uow, dispute_id=dispute_id, for_update=True)
    mediator = _staff(actor)
    _pending(dispute)
    dispute.proposal = None
    dispute.move("send_back", uow.now())
    _entry(uow, dispute, mediator, "decision_sent_back", _required(message, "message"), visibility=STAFF_ONLY)
    return dispute


def _pending(dispute: Dispute) -> dict:
    if dispute.status != states.AWAITING_APPROVAL or not dispute.proposal:
        raise Conflict(said("No decision of this case waits for approval."), dispute_status=dispute.status)
    return dispute.proposal


def _check_decision(dispute: Dispute, outcome: str, reasons: str, amount: int | None) -> str:
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = [said("Choose one of: %(choices)s.", choices=", ".join(OUTCOMES))]
    reasons = (reasons or "").strip()
    if len(reasons) < MIN_REASONS_LENGTH:
        errors["reasons"] = [said("Write the reasons for both sides (at least %(least)s characters).",
                                     least=MIN_REASONS_LENGTH)]
    if outcome == PARTIAL and not (amount and 0 < amount < dispute.disputed_cents):
        errors["amount"] = [said("A partial credit is more than 0 and less than the disputed %(cents)s cents.",
                                    cents=dispute.disputed_cents)]
    if outcome != PARTIAL and amount:
        errors["amount"] = [said("An amount goes only with a partial credit.")]
    if errors:
        raise InvalidInput(errors)
    return reasons


def _staff(actor: Actor) -> Actor:
    if actor.party != MEDIATOR or not actor.id:
        raise Conflict(said("Only a mediator can do this."))
    return actor


def _open_case(dispute: Dispute) -> None:
    if dispute.is_closed:
        raise Conflict(said("This case is already %(status)s; it cannot be decided again.", status=dispute.status),
                       dispute_status=dispute.status)


# --- the end of a case: the money moves ----------------------------------------------------

def _settle(uow, dispute: Dispute, *, action: str, outcome: str, amount: int | None, reasons: str,
            decided_by: str, by_name: str | None = None) -> Dispute:
    """Close the case and move the money: a credit note for what the consumer wins, and the
    invoice running again, due no earlier than resume_days from now, for what is left."""
    now = uow.now()
    dispute.move(action, now)
    dispute.proposal = None
    scope = Scope(dispute.merchant_id, dispute.livemode)
    credit = _credit_for(dispute, outcome, amount)
    note = _credit(uow, scope, dispute, credit, whole=outcome == FOR_CONSUMER) if credit else None
    if note is not None:
        dispute.credit_note_id, dispute.credited_cents = note.id, note.total_cents
    elif credit:
        dispute.credited_cents = 0  # credited meanwhile (a return, the webshop): nothing is left to credit
    resume_on = uow.today() + timedelta(days=uow.settings.disputes.resume_days)
    invoices.lift_pauses(uow, scope=scope, reference_id=dispute.id, by=f"dispute {outcome}", due_on_or_after=resume_on)
    dispute.outcome, dispute.decision_reasons, dispute.decided_by, dispute.decided_at = outcome, reasons, decided_by, now
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=dispute.invoice_id)
    # None when nothing is owed, or while another pause (a return) still holds the invoice.
    dispute.resume_due_date = None if invoice.is_closed or invoice.open_pause else invoice.due_date
    party = {CONSUMER: CONSUMER, MERCHANT: MERCHANT, SYSTEM: SYSTEM}.get(decided_by, MEDIATOR)
    _entry(uow, dispute, Actor(party, decided_by, by_name), "withdrawn" if outcome == WITHDRAWN else "decided", reasons,
           data={"outcome": outcome, "credited": dispute.credited_cents, "credit_note_id": dispute.credit_note_id,
                 "resume_due_date": dispute.resume_due_date.isoformat() if dispute.resume_due_date else None,
                 "invoice_on_hold": invoice.open_pause is not None})
    _record(uow, dispute, "dispute.withdrawn" if outcome == WITHDRAWN else "dispute.decided")
    return dispute


def _credit_for(dispute: Dispute, outcome: str, amount: int | None) -> int:
    if outcome == FOR_CONSUMER:
        return dispute.disputed_cents
    return (amount or 0) if outcome == PARTIAL else 0


def _credit(uow, scope: Scope, dispute: Dispute, cents: int, *, whole: bool):
    """The credit note for what the consumer won, read again under the invoice's lock: what a
    return or the webshop credited while the case ran is not credited a second time. None
    when nothing is left to credit."""
    # A fixed sentence, so that the document states it in the consumer's language (the dispute
    # itself is known from the credit note's event and the case's timeline).
    reason = N_("Decided for you after a dispute") if whole else N_("Partly credited after a dispute")
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=dispute.invoice_id, for_update=True)
    if whole and dispute.lines:
        left = invoice_queries.uncredited_lines(uow, scope=scope, invoice_id=invoice.id)
        lines = [invoice_ledger.LineToCredit(reference=line["reference"], description=line["description"],
                                             quantity=min(line["quantity"], left[line["reference"]].quantity),
                                             unit_price_cents=left[line["reference"]].unit_price_cents,
                                             vat_rate_bp=left[line["reference"]].vat_rate_bp)
                 for line in dispute.lines if line["reference"] in left and left[line["reference"]].quantity]
        if not lines or invoice.creditable_cents <= 0:
            return None
        return invoice_ledger.credit_lines(uow, scope=scope, invoice_id=invoice.id, lines=lines, reason=reason)
    cents = min(cents, invoice.creditable_cents)
    if cents <= 0:
        return None
    return invoice_ledger.credit_amount(uow, scope=scope, invoice_id=invoice.id, amount=cents, reason=reason)


# --- deadlines -----------------------------------------------------------------------------

def check_deadlines(uow: UnitOfWork, *, limit: int = 500) -> list[Dispute]:
    """Cases whose awaited party let the deadline pass: to a mediator, with that fact on the
    case; a small case the webshop let run out is decided for the consumer. SKIP LOCKED, so
    workers running at once never handle one case twice."""
    overdue = list(uow.session.scalars(
        _with_file(select(Dispute)).where(Dispute.status.in_((states.AWAITING_MERCHANT, states.AWAITING_CONSUMER)),
                                          Dispute.respond_by < uow.now())
        .order_by(Dispute.respond_by).limit(limit).with_for_update(skip_locked=True, of=Dispute)))
    for dispute in overdue:
        if dispute.waiting_for == MERCHANT:
            _merchant_missed(uow, dispute)
        else:
            deadline = dispute.respond_by
            dispute.move("consumer_missed", uow.now())
            _entry(uow, dispute, SYSTEM_ACTOR, "deadline_missed", None,
                   data={"party": CONSUMER, "respond_by": deadline.isoformat()})
            _record(uow, dispute, "dispute.escalated")
    return overdue


def _merchant_missed(uow, dispute: Dispute) -> None:
    deadline = dispute.respond_by
    dispute.merchant_missed_deadline = True
    _entry(uow, dispute, SYSTEM_ACTOR, "deadline_missed", None,
           data={"party": MERCHANT, "respond_by": deadline.isoformat()})
    limit = uow.settings.disputes.auto_decide_below_cents
    if dispute.disputed_cents < limit and dispute.first_merchant_response_at is None:
        reasons = (f"The webshop did not answer by {deadline.date().isoformat()}. A case under "
                   f"{_euros(limit, dispute.currency)} that the webshop leaves unanswered is decided for the consumer.")
        _settle(uow, dispute, action="decide_unanswered", outcome=FOR_CONSUMER, amount=None, reasons=reasons,
                decided_by=SYSTEM)
        return
    dispute.move("merchant_missed", uow.now())
    _record(uow, dispute, "dispute.escalated")


# --- reading -------------------------------------------------------------------------------

def get_dispute(uow: UnitOfWork, *, scope: Scope, dispute_id: str, for_update: bool = False) -> Dispute:
    """A merchant's own case; another merchant's is not found."""
    dispute = _load(uow, dispute_id, for_update)
    if dispute is None or (dispute.merchant_id, dispute.livemode) != (scope.merchant_id, scope.livemode):
        raise NotFound(said("No dispute %(id)s.", id=dispute_id))
    return dispute


def list_disputes(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int,
                  status: str | None = None) -> tuple[list[Dispute], str | None]:
    query = _with_file(select(Dispute)).where(Dispute.merchant_id == scope.merchant_id,
                                              Dispute.livemode == scope.livemode)
    if status:
        query = query.where(Dispute.status == status)
    return pagination.page(uow.session, query, created_col=Dispute.created_at, id_col=Dispute.id,
                           cursor=cursor, limit=limit)


def get_case(uow: UnitOfWork, *, dispute_id: str, for_update: bool = False) -> Dispute:
    """Any case, for mediators."""
    dispute = _load(uow, dispute_id, for_update)
    if dispute is None:
        raise NotFound(said("No case %(id)s.", id=dispute_id))
    return dispute


def evidence_file(uow: UnitOfWork, *, dispute: Dispute, evidence_id: str, staff: bool = False) -> Evidence:
    """One evidence file of a case the caller may read; the staff-only ones only for staff."""
    visible = dispute.evidence if staff else dispute.shared_evidence()
    item = next((item for item in visible if item.id == evidence_id), None)
    if item is None:
        raise NotFound(said("No evidence %(id)s.", id=evidence_id))
    return item


def _load(uow, dispute_id: str, for_update: bool) -> Dispute | None:
    query = _with_file(select(Dispute)).where(Dispute.id == dispute_id)
    if for_update:
        query = query.with_for_update(of=Dispute).execution_options(populate_existing=True)
    return uow.session.scalar(query)


def _with_file(query):
    return query.options(selectinload(Dispute.entries), selectinload(Dispute.evidence))


@dataclass(frozen=True)
class QueueRow:
    dispute: Dispute
    merchant_name: str
    consumer_name: str
    due_at: datetime  # the awaited party's deadline, or the mediators' own target
    overdue: bool


def queue(uow: UnitOfWork, *, include_closed: bool = False, closed_limit: int = 200) -> list[QueueRow]:
    """The mediators' work list, most urgent first, each row naming its webshop: every running
    case (none may drop off the list), then the latest closed ones if asked for."""
    from bnpl.merchants import service as merchants

    disputes = list(uow.session.scalars(select(Dispute).where(Dispute.status.in_(states.RUNNING))))
    if include_closed:
        disputes += uow.session.scalars(select(Dispute).where(Dispute.status.in_(states.CLOSED))
                                        .order_by(Dispute.updated_at.desc()).limit(closed_limit))
    names = merchants.names(uow, merchant_ids=list({d.merchant_id for d in disputes}))
    people = invoice_queries.billed_to_many(uow, invoice_ids={(d.invoice_id, Scope(d.merchant_id, d.livemode))
                                                              for d in disputes})
    now, target = uow.now(), timedelta(days=uow.settings.disputes.decision_days)
    rows = [QueueRow(dispute=d, merchant_name=names.get(d.merchant_id, d.merchant_id),
                     consumer_name=people[d.invoice_id][0].get("name", ""),
                     due_at=(due := d.respond_by or d.opened_at + target), overdue=not d.is_closed and due < now)
            for d in disputes]
    return sorted(rows, key=lambda row: (row.dispute.is_closed, row.due_at))


# --- the consumer's history and the abuse signal -------------------------------------------

@dataclass(frozen=True)
class LinkedDispute:
    dispute: Dispute
    merchant_name: str
    linked_by: tuple[str, ...]  # the kinds of identifier shared: email, phone, address, iban


@dataclass(frozen=True)
class History:
    identities: list[tuple[str, str]]
    disputes: list[LinkedDispute]  # earlier and other cases by the same person, newest first
    suspicious_claims: int  # "not received" / "empty box" claims in one 90-day stretch with this case
    window_days: int
    abuse_signal: bool


ABUSE_WINDOW_DAYS, ABUSE_CLAIMS = 90, 3


def history(uow: UnitOfWork, *, dispute_id: str) -> History:
    """Every other case by this person at any webshop: the same consumer, or one sharing an
    e-mail, phone, address, IBAN or device (risk's person links: one implementation for the
    acceptance decision and the mediators); and whether they made 3+ suspicious claims in 90 days."""
    from bnpl.merchants import service as merchants

    dispute = get_case(uow, dispute_id=dispute_id)
    linked = risk.linked_consumers(uow, consumer_id=dispute.consumer_id, livemode=dispute.livemode)
    linked.setdefault(dispute.consumer_id, set()).add("email")  # the same consumer is the same e-mail address
    others = uow.session.scalars(select(Dispute).where(among(uow.session, Dispute.consumer_id, sorted(linked)),
                                                       Dispute.livemode == dispute.livemode, Dispute.id != dispute.id)
                                 .order_by(Dispute.opened_at.desc()).limit(500)).all()
    names = merchants.names(uow, merchant_ids=list({d.merchant_id for d in others}))
    # The most claims within any one 90-day stretch that includes this case: claims 80 days
    # before and 80 days after it are not "3 in 90 days".
    window = timedelta(days=ABUSE_WINDOW_DAYS)
    claims = [d.opened_at for d in [dispute, *others] if d.reason in SUSPICIOUS_REASONS]
    starts = [at for at in claims if dispute.opened_at - window <= at <= dispute.opened_at] + [dispute.opened_at]
    suspicious = max(sum(1 for at in claims if start <= at <= start + window) for start in starts)
    return History(identities=sorted(risk.identifiers_of(uow, consumer_id=dispute.consumer_id)),
                   disputes=[LinkedDispute(d, names.get(d.merchant_id, d.merchant_id), tuple(sorted(linked[d.consumer_id])))
                             for d in others],
                   suspicious_claims=suspicious, window_days=ABUSE_WINDOW_DAYS,
                   abuse_signal=suspicious >= ABUSE_CLAIMS)


# --- statistics ----------------------------------------------------------------------------

STATISTICS_FROM, STATISTICS_UNTIL = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class MerchantStatistics:
    merchant_id: str
    merchant_name: str
    since: date
    until: date
    invoices: int
    disputes: int
    outcomes: dict[str, int]
    running: int
    missed_deadlines: int
    median_response_hours: float | None

    @property
    def dispute_rate(self) -> str:
        """Disputes per 100 invoices, two decimals (a string: exact, not a float)."""
        if not self.invoices:
            return "0.00"
        hundredths = (self.disputes * 10_000 + self.invoices // 2) // self.invoices
        return f"{hundredths // 100}.{hundredths % 100:02d}"


def statistics(uow: UnitOfWork, *, since: date, until: date, scope: Scope | None = None) -> list[MerchantStatistics]:
    """Per webshop: dispute rate, outcomes and response times of cases opened in the period."""
    from bnpl.merchants import service as merchants

    if since > until:
        raise InvalidInput({"since": [said("The period starts after it ends.")]})
    if since < STATISTICS_FROM or until > STATISTICS_UNTIL:
        raise InvalidInput({"since": [said("Choose days from %(since)s to %(until)s.", since=STATISTICS_FROM.isoformat(),
                                           until=STATISTICS_UNTIL.isoformat())]})
    start, end = _utc_day_start(uow, since), _utc_day_start(uow, until + timedelta(days=1))
    query = select(Dispute).where(Dispute.opened_at >= start, Dispute.opened_at < end)
    if scope:
        query = query.where(Dispute.merchant_id == scope.merchant_id, Dispute.livemode == scope.livemode)
    per_merchant: dict[str, list[Dispute]] = {}
    for dispute in uow.session.scalars(query):
        per_merchant.setdefault(dispute.merchant_id, []).append(dispute)
    issued = invoice_queries.issued_counts(uow, since=start, until=end, scope=scope)
    merchant_ids = sorted(set(per_merchant) | ({scope.merchant_id} if scope else set()))
    names = merchants.names(uow, merchant_ids=merchant_ids)
    return [_statistics_of(merchant_id, names.get(merchant_id, merchant_id), since, until,
                           issued.get(merchant_id, 0), per_merchant.get(merchant_id, []))
            for merchant_id in merchant_ids]


def _statistics_of(merchant_id, name, since, until, issued: int, disputes: list[Dispute]) -> MerchantStatistics:
    outcomes: dict[str, int] = {}
    for dispute in disputes:
        if dispute.outcome:
            outcomes[dispute.outcome] = outcomes.get(dispute.outcome, 0) + 1
    hours = sorted((d.first_merchant_response_at - d.opened_at).total_seconds() / 3600
                   for d in disputes if d.first_merchant_response_at)
    median = None
    if hours:
        middle = len(hours) // 2
        median = round(hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2, 1)
    return MerchantStatistics(merchant_id=merchant_id, merchant_name=name, since=since, until=until, invoices=issued,
                              disputes=len(disputes), outcomes=outcomes,
                              running=sum(1 for d in disputes if not d.is_closed),
                              missed_deadlines=sum(1 for d in disputes if d.merchant_missed_deadline),
                              median_response_hours=median)


def _utc_day_start(uow, day: date) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(uow.settings.timezone)).astimezone(timezone.utc)


# --- the timeline and the outbox -----------------------------------------------------------

def _entry(uow, dispute: Dispute, actor: Actor, kind: str, message: str | None, *, data: dict | None = None,
           visibility: str = SHARED) -> DisputeEntry:
    entry = DisputeEntry(at=uow.now(), party=actor.party, author=actor.name, kind=kind, visibility=visibility,
                         message=message, data=data or {})
    dispute.entries.append(entry)
    dispute.updated_at = uow.now()
    uow.session.flush()  # the entry's id, for its evidence
    return entry


def _attach(uow, dispute: Dispute, entry: DisputeEntry, actor: Actor, files: list[CheckedFile]) -> None:
    for item in files:
        dispute.evidence.append(Evidence(entry_id=entry.id, party=actor.party, filename=item.filename,
                                         content_type=item.content_type, size_bytes=len(item.content),
                                         sha256=item.sha256, content=item.content, uploaded_at=uow.now()))
    if files:
        uow.session.flush()


def _record(uow, dispute: Dispute, type: str) -> None:
    """Tell both sides: a webhook and e-mail to the merchant, the consumer's e-mail where due.
    The data is the shared case file: internal notes never leave the back office."""
    events.record(uow, scope=Scope(dispute.merchant_id, dispute.livemode), type=type, subject_id=dispute.id,
                  data=_dispute_schema.dump(dispute))


def _required(message: str | None, field: str) -> str:
    text = (message or "").strip()
    if not text:
        raise InvalidInput({field: [said("Write a message.")]})
    return text


def _euros(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"
