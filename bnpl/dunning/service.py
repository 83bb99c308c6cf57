"""Use cases for dunning: one pass over the unpaid invoices (a pure decision each, then the
effects), the reconciliation check before it, merchant policies and the hand-over export."""
from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bnpl import pagination
from bnpl.audit import service as audit
from bnpl.calendar import working_days_between
from bnpl.db import among, insert_ignoring_conflicts, new_id, upsert
from bnpl.dunning import letters
from bnpl.dunning.candidates import DunningCandidate, charged_so_far, customer_type_of, dunning_candidates
from bnpl.dunning.decision import InvoiceState, LastStep, Step, decide
from bnpl.dunning.models import DunningPolicy, DunningStep, PaymentPlan
from bnpl.dunning.policy import DEFAULTS, Policy, check_lawful_for
from bnpl.dunning.schemas import PaymentPlanSchema
from bnpl.dunning.states import PLAN, PLAN_ACTIVE
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.fields import WithRelated
from bnpl.i18n import said
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.merchants import service as merchants
from bnpl.notifications import service as notifications
from bnpl.payments import service as payments
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

BATCH = 1000
_plan_schema = PaymentPlanSchema()


# --- reconcile before reminding -------------------------------------------------------------

def stale_statements(uow: UnitOfWork, *, as_of: date) -> str | None:
    """Why the bank statements are too old to remind on, or None when they are recent."""
    through = payments.statements_known_through(uow)
    allowed = uow.settings.statement_max_age_working_days
    if through is None:
        return "No bank statement was ever imported: a reminder could cross a payment."
    age = working_days_between(through, as_of)
    if age > allowed:
        return (f"The newest bank statement covers {through.isoformat()}, {age} working days before "
                f"{as_of.isoformat()} (at most {allowed}): a reminder could cross a payment.")
    return None


# --- one pass ---------------------------------------------------------------------------------

class Policies:
    """Each merchant's policy per customer type, read once per run."""

    def __init__(self):
        self.known: dict[tuple[str, str], Policy] = {}

    def of(self, uow: UnitOfWork, merchant_id: str, customer_type: str) -> Policy:
        key = (merchant_id, customer_type)
        if key not in self.known:
            own = uow.session.get(DunningPolicy, key)
            self.known[key] = Policy.from_dict(own.data) if own else DEFAULTS[customer_type]
        return self.known[key]


START = (date.min, "")  # the cursor before the first overdue invoice


@dataclass(frozen=True)
class Batch:
    cursor: tuple[date, str] | None  # (due date, id) the next batch starts after; None: nothing left
    examined: int
    taken: Counter  # level name -> invoices that reached it


def run_batch(uow: UnitOfWork, *, as_of: date, after: tuple[date, str], policies: Policies,
              limit: int = BATCH) -> Batch:
    """Decide and take the next step for up to `limit` open, overdue invoices after `after`
    (in due date and id order, each locked for this transaction). At most one step each."""
    candidates = dunning_candidates(uow, due_by=as_of, after=after, limit=limit)
    if not candidates:
        return Batch(None, 0, Counter())
    states = _states(uow, candidates)
    decided = [(candidate, states[candidate.id], step) for candidate in candidates
               if (step := decide(states[candidate.id], policies.of(uow, candidate.scope.merchant_id,
                                                                    candidate.customer_type), as_of))]
    # Money that came in and waits for a person to confirm its match: no reminder crosses it.
    awaiting = payments.invoices_with_proposals(uow, invoice_ids=[candidate.id for candidate, _, _ in decided])
    decided = [(candidate, state, step) for candidate, state, step in decided if candidate.id not in awaiting]
    taken = _take(uow, as_of, decided)
    last = candidates[-1]
    return Batch((last.due_date, last.id), len(candidates), Counter(step.level.name for _, _, step in taken))


def _states(uow, candidates: list[DunningCandidate]) -> dict[str, InvoiceState]:
    chased = [c.id for c in candidates if c.dunning_level > 0]
    last_steps = _last_steps(uow, chased)
    charged = charged_so_far(uow, invoice_ids=chased)
    delivered = notifications.delivered(uow, subject_ids=[
        step.id for step in last_steps.values() if step.deadline is not None and step.channel == "email"])
    return {c.id: _state(c, last_steps.get(c.id), charged.get(c.id), delivered) for c in candidates}


def _state(candidate, last: DunningStep | None, charged, delivered: set[str]) -> InvoiceState:
    fees = charged.fees_cents if charged else 0
    return InvoiceState(
        status="open", due_date=candidate.due_date, balance_cents=max(candidate.owed_cents, 0),
        principal_cents=max(candidate.owed_cents - fees, 0),
        last_step=_last_step(last, delivered) if last else None,
        paused_days_since_last_step=max((candidate.due_date - last.due_date).days, 0) if last else 0,
        interest_paid_through=charged.interest_through if charged else None)


def _last_step(step: DunningStep, delivered: set[str]) -> LastStep:
    letter = step.deadline is not None
    return LastStep(step.level, step.sent_on, step.deadline, stated_costs_cents=step.costs_cents if letter else None,
                    reached_consumer=not letter or step.channel != "email" or step.id in delivered)


def _last_steps(uow, invoice_ids: list[str]) -> dict[str, DunningStep]:
    found: dict[str, DunningStep] = {}
    for start in range(0, len(invoice_ids), BATCH):
        for step in uow.session.scalars(select(DunningStep).where(
                among(uow.session, DunningStep.invoice_id, invoice_ids[start:start + BATCH])).order_by(DunningStep.level)):
            found[step.invoice_id] = step
    return found


def _take(uow, as_of: date, decided: list[tuple]) -> list[tuple]:
    """The effects of the decisions: the step rows first (unique per invoice and level, so a
    step another run took already is not taken again), then fees, letters and messages."""
    if not decided:
        return []
    rows = {id(step): _step_row(uow, as_of, candidate, state, step) for candidate, state, step in decided}
    inserted = set(uow.session.scalars(
        upsert(uow.session, DunningStep.__table__).on_conflict_do_nothing(index_elements=["invoice_id", "level"])
        .returning(DunningStep.__table__.c.id), list(rows.values())))
    taken = [(c, s, step) for c, s, step in decided if rows[id(step)]["id"] in inserted]
    invoice_ledger.record_dunning_levels(uow, reached=[
        invoice_ledger.LevelReached(candidate.id, step.number, _fees(state, step)) for candidate, state, step in taken])
    letters.request_letters(uow, step_ids=[rows[id(step)]["id"] for _, _, step in taken if step.level.letter],
                            stated=[_letter(rows[id(step)]) for _, _, step in taken if step.level.letter])
    events.record_many(uow, [events.NewEvent(candidate.scope, "dunning.level_reached", rows[id(step)]["id"],
                                             _event_data(candidate, rows[id(step)], step))
                             for candidate, _, step in taken])
    return taken


def _step_row(uow, as_of: date, candidate, state: InvoiceState, step: Step) -> dict:
    charged = step.interest_cents + (step.costs_cents if "collection_costs" in step.level.charges else 0)
    return dict(id=new_id("dun"), invoice_id=candidate.id, merchant_id=candidate.scope.merchant_id,
                livemode=candidate.scope.livemode, level=step.number, name=step.level.name,
                channel=step.level.channel, template=step.level.template, sent_on=as_of, due_date=candidate.due_date,
                deadline=step.deadline, balance_cents=state.balance_cents + charged, costs_cents=step.costs_cents,
                interest_cents=step.interest_cents, created_at=uow.now())


def _fees(state: InvoiceState, step: Step) -> tuple[invoice_ledger.NewFee, ...]:
    fees = []
    if "collection_costs" in step.level.charges and step.costs_cents:
        fees.append(invoice_ledger.NewFee("collection_costs", step.costs_cents,
                                          f"collection costs on a principal of {_amount(state.principal_cents)}"))
    if step.interest_cents:
        fees.append(invoice_ledger.NewFee("interest", step.interest_cents,
                                          f"interest on {_amount(state.principal_cents)} from "
                                          f"{step.interest_from.isoformat()} through "
                                          f"{step.interest_through.isoformat()}",
                                          step.interest_from, step.interest_through))
    return tuple(fees)


def _amount(cents: int) -> str:
    return f"EUR {cents // 100}.{cents % 100:02d}"


def _letter(row: dict) -> dict:
    """What a letter states, kept with its render request: the PDF shows exactly this."""
    return {"invoice_id": row["invoice_id"], "level": row["level"], "name": row["name"],
            "sent_on": row["sent_on"].isoformat(), "deadline": row["deadline"] and row["deadline"].isoformat(),
            "balance": row["balance_cents"], "costs": row["costs_cents"], "interest": row["interest_cents"]}


def _event_data(candidate, row: dict, step: Step) -> dict:
    return {**_letter(row), "step_id": row["id"], "number": candidate.number, "currency": candidate.currency,
            "channel": step.level.channel, "final": step.level.final,
            # The consumer's e-mail, if this level sends one by e-mail (bnpl.notifications).
            "template": step.level.template if step.level.channel == "email" else None}


# --- hand-over to a collection agency ---------------------------------------------------------

HANDOVER_COLUMNS = ("invoice_number", "merchant_id", "handed_over_on", "name", "email", "street", "postal_code",
                    "city", "country", "currency", "principal", "collection_costs", "interest", "balance",
                    "reminder_sent_on", "letter_sent_on", "letter_deadline")


def export_handovers(uow: UnitOfWork, *, livemode: bool = True) -> list[dict]:
    """The hand-overs not yet sent to the agency, one row each with what it needs to collect
    (who, what is owed and of what, and the proof dates), each marked exported so that it
    is handed over once."""
    steps = uow.session.scalars(select(DunningStep).where(
        DunningStep.name == "handover", DunningStep.exported_at.is_(None), DunningStep.livemode == livemode)
        .order_by(DunningStep.sent_on, DunningStep.id).with_for_update(skip_locked=True)).all()
    earlier = _earlier_steps(uow, [step.invoice_id for step in steps])
    rows = []
    for step in steps:
        invoice = invoices.get_invoice(uow, scope=Scope(step.merchant_id, step.livemode), invoice_id=step.invoice_id,
                                       for_update=True)
        if invoice.may_be_chased:  # paid (or paused, credited) since the hand-over: not the agency's
            rows.append(_handover_row(step, invoice, earlier.get(step.invoice_id, {})))
            step.exported_at = uow.now()
    return rows


def _earlier_steps(uow, invoice_ids: list[str]) -> dict[str, dict[str, DunningStep]]:
    found: dict[str, dict[str, DunningStep]] = {}
    for start in range(0, len(invoice_ids), BATCH):
        for step in uow.session.scalars(select(DunningStep).where(
                among(uow.session, DunningStep.invoice_id, invoice_ids[start:start + BATCH]))):
            found.setdefault(step.invoice_id, {})[step.name] = step
    return found


def _handover_row(step: DunningStep, invoice, earlier: dict[str, DunningStep]) -> dict:
    person, address = invoice.billed_to, invoice.billed_to.get("address") or {}
    letter, reminder = earlier.get("fourteen_day_letter"), earlier.get("reminder")
    return {"invoice_number": invoice.number, "merchant_id": invoice.merchant_id,
            "handed_over_on": step.sent_on.isoformat(), "name": person.get("name", ""),
            "email": person.get("email", ""), "street": address.get("street", ""),
            "postal_code": address.get("postal_code", ""), "city": address.get("city", ""),
            "country": address.get("country", ""), "currency": invoice.currency,
            "principal": max(invoice.balance_cents - invoice.fees_cents - invoice.interest_cents, 0),
            "collection_costs": invoice.fees_cents, "interest": invoice.interest_cents,
            "balance": invoice.balance_cents,
            "reminder_sent_on": reminder.sent_on.isoformat() if reminder else "",
            "letter_sent_on": letter.sent_on.isoformat() if letter else "",
            "letter_deadline": letter.deadline.isoformat() if letter and letter.deadline else ""}


# --- what dunning did to one invoice, and the policy it follows ----------------------------------

CUSTOMER_TYPES = tuple(DEFAULTS)  # consumer | business


@dataclass(frozen=True)
class PolicyInEffect:
    customer_type: str
    policy: Policy
    default: bool  # the provider's: the merchant stored none
    updated_at: datetime | None


def policy_in_effect(uow: UnitOfWork, *, merchant_id: str, customer_type: str) -> PolicyInEffect:
    """The merchant's own policy for this kind of customer, or the default."""
    own = uow.session.get(DunningPolicy, (merchant_id, customer_type))
    if own is None:
        return PolicyInEffect(customer_type, DEFAULTS[customer_type], True, None)
    return PolicyInEffect(customer_type, Policy.from_dict(own.data), False, own.updated_at)


def merchant_policies(uow: UnitOfWork, *, scope: Scope) -> dict[str, PolicyInEffect]:
    """The policy in effect for each kind of customer."""
    return {customer_type: policy_in_effect(uow, merchant_id=scope.merchant_id, customer_type=customer_type)
            for customer_type in CUSTOMER_TYPES}


def set_policy(uow: UnitOfWork, *, scope: Scope, customer_type: str, data: dict) -> PolicyInEffect:
    """Store the merchant's own policy; Policy.from_dict decides whether it is lawful and whole.
    The next dunning run follows it (the steps already taken stay as they were)."""
    try:
        checked = Policy.from_dict(data)
        check_lawful_for(checked, customer_type)
    except ValueError as exc:
        raise InvalidInput({"_schema": [str(exc)]}, detail=f"This policy cannot be used: {exc}") from None
    # Two first PUTs at once: the row is created once, then both update it in turn.
    insert_ignoring_conflicts(uow.session, DunningPolicy.__table__, dict(
        merchant_id=scope.merchant_id, customer_type=customer_type, data=checked.to_dict(), updated_at=uow.now()),
        index_elements=["merchant_id", "customer_type"])
    own = uow.session.get(DunningPolicy, (scope.merchant_id, customer_type), with_for_update=True,
                          populate_existing=True)
    own.data, own.updated_at = checked.to_dict(), uow.now()
    uow.session.flush()
    audit.record(uow, actor=merchants.acting_key(uow), action="dunning_policy.changed", merchant_id=scope.merchant_id,
                 customer_type=customer_type, policy=checked.to_dict())
    return PolicyInEffect(customer_type, checked, False, own.updated_at)


def reset_policy(uow: UnitOfWork, *, scope: Scope, customer_type: str) -> PolicyInEffect:
    """Drop the merchant's own policy: the default applies again."""
    own = uow.session.get(DunningPolicy, (scope.merchant_id, customer_type), with_for_update=True)
    if own is not None:
        uow.session.delete(own)
        uow.session.flush()
        audit.record(uow, actor=merchants.acting_key(uow), action="dunning_policy.reset",
                     merchant_id=scope.merchant_id, customer_type=customer_type)
    return PolicyInEffect(customer_type, DEFAULTS[customer_type], True, None)


@dataclass(frozen=True)
class InvoiceDunning:
    invoice_id: str
    dunning_level: int
    customer_type: str
    steps: list  # DunningStep with `letter` and `pdf_stored` (bnpl.fields.WithRelated)
    policy: PolicyInEffect


def invoice_dunning(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> InvoiceDunning:
    """The steps an invoice went through, oldest first, and the policy that applies to it."""
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id)
    kind = customer_type_of(invoice.billed_to)
    steps = uow.session.scalars(select(DunningStep).where(
        DunningStep.invoice_id == invoice.id, DunningStep.merchant_id == scope.merchant_id,
        DunningStep.livemode == scope.livemode).order_by(DunningStep.level)).all()
    stored = letters.letters_stored(uow, step_ids=[step.id for step in steps if _is_letter(step)])
    return InvoiceDunning(
        invoice.id, invoice.dunning_level, kind,
        [WithRelated(step, letter=_is_letter(step), pdf_stored=step.id in stored) for step in steps],
        policy_in_effect(uow, merchant_id=scope.merchant_id, customer_type=kind))


@dataclass(frozen=True)
class AvoidableCosts:
    """What the 14-day letter stated: paying in full by its last day avoids these costs."""
    deadline: date
    costs_cents: int


def avoidable_costs(uow: UnitOfWork, *, invoice_ids: list[str], today: date) -> dict[str, AvoidableCosts]:
    """For invoices whose latest step is a 14-day letter still running, its last day and the
    exact costs it stated (WIK: costs only if not paid by then)."""
    if not invoice_ids:
        return {}
    latest: dict[str, DunningStep] = {}
    for step in uow.session.scalars(select(DunningStep).where(among(uow.session, DunningStep.invoice_id, invoice_ids))
                                    .order_by(DunningStep.level)):
        latest[step.invoice_id] = step
    return {invoice_id: AvoidableCosts(step.deadline, step.costs_cents) for invoice_id, step in latest.items()
            if step.name == "fourteen_day_letter" and step.deadline and step.deadline >= today and step.costs_cents > 0}


class LetterNotRendered(NotFound):
    slug, title = "not-rendered-yet", "Not rendered yet"


def letter_pdf(uow: UnitOfWork, *, scope: Scope, invoice_id: str, step_id: str) -> bytes:
    """The stored PDF of a letter that dunning sent for this invoice."""
    invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id)  # another merchant's: 404
    step = uow.session.scalar(select(DunningStep).where(
        DunningStep.id == step_id, DunningStep.invoice_id == invoice_id))
    if step is None:
        raise NotFound(f"Invoice {invoice_id} has no dunning step {step_id}.")
    if not _is_letter(step):
        raise NotFound(f"Step {step_id} is a {step.name} ({step.channel}), not a letter: only letters are kept as PDF.")
    pdf = letters.letter_pdf(uow, step_id=step.id)
    if pdf is None:
        raise LetterNotRendered(f"The letter of step {step_id} is not rendered yet; it will be within minutes.")
    return pdf


def _is_letter(step: DunningStep) -> bool:
    # Only a letter level sets a deadline (decision.decide), and only a letter is rendered.
    return step.deadline is not None


# --- payment plans (forbearance, CCD2) ------------------------------------------------------------

MIN_INSTALMENTS, MAX_INSTALMENTS = 2, 12
FIRST_DUE_DAYS = 14  # the first instalment's due date when none is given
FIRST_DUE_AT_MOST_DAYS = 90  # a plan is not a way to postpone paying anything
GRACE_DAYS = 14  # an instalment this many days late, not covered: the plan ends


def start_payment_plan(uow: UnitOfWork, *, scope: Scope, invoice_id: str, instalments: int,
                       first_due: date | None = None) -> PaymentPlan:
    """Split what is owed into monthly instalments (the remainder on the first) and pause the
    invoice until the last is due, plus grace: no reminder, fee or interest while it is kept."""
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id, for_update=True)
    _check_plan_may_start(uow, invoice)
    first_due = first_due or first_instalment_due(today=uow.today(), invoice_due=invoice.due_date)
    _check_plan_terms(uow, invoice.balance_cents, instalments, first_due, invoice_due=invoice.due_date)
    plan = PaymentPlan(id=new_id("plan"), invoice_id=invoice.id, merchant_id=scope.merchant_id,
                       livemode=scope.livemode, status=PLAN_ACTIVE, created_at=uow.now(),
                       instalments=_instalments(invoice.balance_cents, instalments, first_due))
    uow.session.add(plan)
    uow.session.flush()
    last_due = date.fromisoformat(plan.instalments[-1]["due_date"])
    invoices.pause_invoice(uow, scope=scope, invoice_id=invoice.id, reason="payment_plan", reference_id=plan.id,
                           max_days=(last_due - uow.today()).days + GRACE_DAYS)
    events.record(uow, scope=scope, type="payment_plan.started", subject_id=plan.id, data=_plan_data(plan))
    return plan


def _check_plan_may_start(uow, invoice) -> None:
    if invoice.is_closed or invoice.balance_cents <= 0:
        raise Conflict(said("Invoice %(id)s is %(status)s: nothing is left to pay in instalments.", id=invoice.id,
                            status=invoice.status))
    active = _active_plan(uow, invoice.id)
    if active is not None:
        raise Conflict(said("Invoice %(id)s already has an active payment plan %(plan)s.", id=invoice.id, plan=active.id),
                       plan_id=active.id)
    if invoice.open_pause is not None:
        raise Conflict(said("Invoice %(id)s is paused (%(pause)s); a payment plan can start once that pause ends.",
                            id=invoice.id, pause=invoice.open_pause.reason), pause_reason=invoice.open_pause.reason)


def first_instalment_due(*, today: date, invoice_due: date) -> date:
    """A plan eases paying; it never makes the first part due before the invoice itself was."""
    return max(today + timedelta(days=FIRST_DUE_DAYS), invoice_due)


def _check_plan_terms(uow, balance_cents: int, instalments: int, first_due: date, *, invoice_due: date) -> None:
    errors = {}
    if not MIN_INSTALMENTS <= instalments <= MAX_INSTALMENTS:
        errors["instalments"] = [said("A plan has %(least)s to %(most)s monthly instalments.", least=MIN_INSTALMENTS,
                                         most=MAX_INSTALMENTS)]
    elif balance_cents < instalments:
        errors["instalments"] = [said("A balance of %(cents)s cents cannot be split into %(count)s instalments.",
                                         cents=balance_cents, count=instalments)]
    today = uow.today()
    if not today <= first_due <= today + timedelta(days=FIRST_DUE_AT_MOST_DAYS):
        errors["first_due"] = [f"The first instalment is due from today ({today.isoformat()}) to "
                               f"{FIRST_DUE_AT_MOST_DAYS} days ahead."]
    elif first_due < invoice_due:
        errors["first_due"] = [f"The first instalment may not be due before the invoice is ({invoice_due.isoformat()})."]
    if errors:
        raise InvalidInput(errors)


def plan_preview(balance_cents: int, instalments: int, first_due: date) -> list[dict]:
    """The instalments a plan would have ({due_date, amount}), for showing them before it starts."""
    return _instalments(balance_cents, instalments, first_due)


def _instalments(balance_cents: int, count: int, first_due: date) -> list[dict]:
    """Equal monthly parts to the cent; what does not divide evenly is paid with the first."""
    part = balance_cents // count
    amounts = [balance_cents - part * (count - 1)] + [part] * (count - 1)
    return [{"due_date": _months_later(first_due, n).isoformat(), "amount": amount}
            for n, amount in enumerate(amounts)]


def _months_later(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day where it has none."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def active_plan(uow: UnitOfWork, *, scope: Scope, invoice_id: str) -> PaymentPlan | None:
    """The payment plan an invoice is being paid by now, if any."""
    plan = _active_plan(uow, invoice_id)
    return plan if plan is not None and (plan.merchant_id, plan.livemode) == (scope.merchant_id, scope.livemode) else None


def instalments_left(uow: UnitOfWork, *, balances: dict[str, int]) -> dict[str, list[dict]]:
    """For invoices with a running plan (invoice id -> what is left to pay), the instalments
    still to pay, oldest first, as {due_date, amount}: what came off the balance since the plan
    started pays the earliest first, so the next one may be a part of its instalment."""
    if not balances:
        return {}
    plans = uow.session.scalars(select(PaymentPlan).where(
        among(uow.session, PaymentPlan.invoice_id, list(balances)), PaymentPlan.status == PLAN_ACTIVE))
    return {plan.invoice_id: _still_to_pay(plan, balances[plan.invoice_id]) for plan in plans}


def _still_to_pay(plan: PaymentPlan, balance_cents: int) -> list[dict]:
    covered, left = sum(item["amount"] for item in plan.instalments) - balance_cents, []
    for item in plan.instalments:
        paid = min(max(covered, 0), item["amount"])
        covered -= item["amount"]
        if item["amount"] > paid:
            left.append({"due_date": date.fromisoformat(item["due_date"]), "amount": item["amount"] - paid})
    return left


def _active_plan(uow, invoice_id: str) -> PaymentPlan | None:
    return uow.session.scalar(select(PaymentPlan).where(
        PaymentPlan.invoice_id == invoice_id, PaymentPlan.status == PLAN_ACTIVE))


def list_payment_plans(uow: UnitOfWork, *, scope: Scope, invoice_id: str, cursor: str | None, limit: int):
    """An invoice's payment plans, newest first."""
    invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id)  # another merchant's: 404
    query = select(PaymentPlan).where(PaymentPlan.invoice_id == invoice_id,
                                      PaymentPlan.merchant_id == scope.merchant_id,
                                      PaymentPlan.livemode == scope.livemode)
    return pagination.page(uow.session, query, created_col=PaymentPlan.created_at, id_col=PaymentPlan.id,
                           cursor=cursor, limit=limit)


@dataclass(frozen=True)
class PlanBatch:
    last_id: str | None  # where the next batch starts; None: nothing was left
    changed: int


def complete_paid_plans(uow: UnitOfWork, *, after: str = "", limit: int = BATCH) -> PlanBatch:
    """Active plans whose invoice is paid (or credited) were kept: completed. Paying in full
    already lifted the plan's pause (apply_payment); this records the outcome."""
    return _settle_plans(uow, after, limit, "complete", lambda plan, invoice: invoice.is_closed)


def end_missed_plans(uow: UnitOfWork, *, as_of: date, after: str = "", limit: int = BATCH) -> PlanBatch:
    """Active plans with an instalment unpaid more than GRACE_DAYS after its due date end: the
    pause is lifted and dunning goes on where it was (the paused days move its deadlines)."""
    return _settle_plans(uow, after, limit, "end", lambda plan, invoice: not invoice.is_closed and (
        missed_instalment(plan, balance_cents=invoice.balance_cents, as_of=as_of) is not None))


def missed_instalment(plan: PaymentPlan, *, balance_cents: int, as_of: date) -> dict | None:
    """The first instalment past its grace that what came off the balance since the plan
    started does not cover. Payments, credits and waived fees all count: the plan is kept
    while no more is owed than the plan still expects."""
    covered, expected = sum(item["amount"] for item in plan.instalments) - balance_cents, 0
    for item in plan.instalments:
        expected += item["amount"]
        if as_of <= date.fromisoformat(item["due_date"]) + timedelta(days=GRACE_DAYS):
            return None
        if covered < expected:
            return item
    return None


def _settle_plans(uow, after: str, limit: int, action: str, applies) -> PlanBatch:
    """Apply `action` (complete or end) to the active plans after `after` (id order, SKIP LOCKED: workers share
    them) for which `applies(plan, invoice)`: a first look at the cached figures, then again
    with the invoice locked, so a payment arriving meanwhile is seen."""
    plans = uow.session.scalars(select(PaymentPlan).where(PaymentPlan.status == PLAN_ACTIVE, PaymentPlan.id > after)
                                .order_by(PaymentPlan.id).limit(limit).with_for_update(skip_locked=True)).all()
    if not plans:
        return PlanBatch(None, 0)
    owed = invoice_queries.owed_now(uow, invoice_ids=[plan.invoice_id for plan in plans])
    changed = 0
    # Invoices locked in id order, as apply_payments locks them: the two cannot deadlock.
    for plan in sorted((p for p in plans if applies(p, owed[p.invoice_id])), key=lambda p: p.invoice_id):
        scope = Scope(plan.merchant_id, plan.livemode)
        if applies(plan, invoices.get_invoice(uow, scope=scope, invoice_id=plan.invoice_id, for_update=True)):
            _close_plan(uow, scope, plan, action)
            changed += 1
    return PlanBatch(plans[-1].id, changed)


def _close_plan(uow, scope: Scope, plan: PaymentPlan, action: str) -> None:
    plan.status = PLAN.next(plan.status, action, subject=f"Payment plan {plan.id}")
    plan.ended_at = uow.now()
    invoices.lift_pauses(uow, scope=scope, reference_id=plan.id, by=f"payment plan {plan.status}")
    events.record(uow, scope=scope, type=f"payment_plan.{plan.status}", subject_id=plan.id, data=_plan_data(plan))


def _plan_data(plan: PaymentPlan) -> dict:
    return _plan_schema.dump(plan)
