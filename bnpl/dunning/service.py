"""Use cases for dunning: one pass over the unpaid invoices (a pure decision each, then the
effects), the reconciliation check before it, merchant policies and the hand-over export."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bnpl.db import new_id, upsert
from bnpl.dunning import law
from bnpl.dunning.decision import InvoiceState, LastStep, Step, decide
from bnpl.dunning.models import DunningPolicy, DunningStep
from bnpl.dunning.policy import DEFAULTS, Policy
from bnpl.events import service as events
from bnpl.invoices import service as invoices
from bnpl.invoices.documents import request_renderings
from bnpl.payments import service as payments
from bnpl.uow import UnitOfWork

BATCH = 1000


# --- reconcile before reminding -------------------------------------------------------------

def stale_statements(uow: UnitOfWork, *, as_of: date) -> str | None:
    """Why the bank statements are too old to remind on, or None when they are recent."""
    through = payments.statements_known_through(uow)
    allowed = uow.settings.statement_max_age_working_days
    if through is None:
        return "No bank statement was ever imported: a reminder could cross a payment."
    age = law.working_days_between(through, as_of)
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


@dataclass(frozen=True)
class Batch:
    last_id: str | None  # where the next batch starts; None: nothing was left
    examined: int
    taken: Counter  # level name -> invoices that reached it


def run_batch(uow: UnitOfWork, *, as_of: date, after: str, policies: Policies, limit: int = BATCH) -> Batch:
    """Decide and take the next step for up to `limit` open, overdue invoices after `after`
    (in id order, each locked for this transaction). At most one step per invoice."""
    candidates = invoices.dunning_candidates(uow, due_by=as_of, after=after, limit=limit)
    if not candidates:
        return Batch(None, 0, Counter())
    states = _states(uow, candidates)
    decided = [(candidate, states[candidate.id], step) for candidate in candidates
               if (step := decide(states[candidate.id], policies.of(uow, candidate.scope.merchant_id,
                                                                    candidate.customer_type), as_of))]
    taken = _take(uow, as_of, decided)
    return Batch(candidates[-1].id, len(candidates), Counter(step.level.name for _, _, step in taken))


def _states(uow, candidates: list[invoices.DunningCandidate]) -> dict[str, InvoiceState]:
    chased = [c.id for c in candidates if c.dunning_level > 0]
    last_steps = _last_steps(uow, chased)
    charged = invoices.charged_so_far(uow, invoice_ids=chased)
    return {c.id: _state(c, last_steps.get(c.id), charged.get(c.id)) for c in candidates}


def _state(candidate, last: DunningStep | None, charged) -> InvoiceState:
    fees = charged.fees_cents if charged else 0
    return InvoiceState(
        status="open", due_date=candidate.due_date, balance_cents=max(candidate.owed_cents, 0),
        principal_cents=max(candidate.owed_cents - fees, 0),
        last_step=LastStep(last.level, last.sent_on, last.deadline) if last else None,
        paused_days_since_last_step=max((candidate.due_date - last.due_date).days, 0) if last else 0,
        interest_paid_through=charged.interest_through if charged else None)


def _last_steps(uow, invoice_ids: list[str]) -> dict[str, DunningStep]:
    found: dict[str, DunningStep] = {}
    for start in range(0, len(invoice_ids), BATCH):
        for step in uow.session.scalars(select(DunningStep).where(
                DunningStep.invoice_id.in_(invoice_ids[start:start + BATCH])).order_by(DunningStep.level)):
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
    invoices.reach_dunning_levels(uow, reached=[
        invoices.LevelReached(candidate.id, step.number, _fees(state, step)) for candidate, state, step in taken])
    request_renderings(uow, subject_type="letter", subject_ids=[rows[id(step)]["id"] for _, _, step in taken
                                                                if step.level.letter],
                       payloads=[_letter(rows[id(step)]) for _, _, step in taken if step.level.letter])
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


def _fees(state: InvoiceState, step: Step) -> tuple[invoices.NewFee, ...]:
    fees = []
    if "collection_costs" in step.level.charges and step.costs_cents:
        fees.append(invoices.NewFee("collection_costs", step.costs_cents,
                                    f"collection costs on a principal of {_amount(state.principal_cents)}"))
    if step.interest_cents:
        fees.append(invoices.NewFee("interest", step.interest_cents,
                                    f"interest on {_amount(state.principal_cents)} from "
                                    f"{step.interest_from.isoformat()} through {step.interest_through.isoformat()}",
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
