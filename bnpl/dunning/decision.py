"""The dunning decision: invoice state + policy + date -> the next step, or nothing. Pure: no
database and no clock, so every rule is a row in a table test (tests/dunning/test_decision.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bnpl.dunning import law
from bnpl.dunning.policy import Level, Policy

OPEN = "open"  # bnpl.invoices.models.OPEN: only a running invoice is chased


@dataclass(frozen=True)
class LastStep:
    level: int
    sent_on: date
    deadline: date | None  # a letter's
    stated_costs_cents: int | None = None  # a letter's: the costs that follow are never more
    reached_consumer: bool = True  # False: its e-mail was dropped or died undelivered (or has not left yet)


@dataclass(frozen=True)
class InvoiceState:
    status: str  # open | paused | paid | credited
    due_date: date  # already moved by pauses that ended
    balance_cents: int  # what is owed now, fees included
    principal_cents: int  # what is owed for the goods (no fees): costs and interest are on this
    last_step: LastStep | None = None
    # Calendar days the invoice was paused since its last step: a deadline or term that ran
    # during a pause continues where it was.
    paused_days_since_last_step: int = 0
    interest_paid_through: date | None = None  # the last day interest was charged for


@dataclass(frozen=True)
class Step:
    number: int
    level: Level
    deadline: date | None  # for a letter: the last day to pay without collection costs
    costs_cents: int  # stated (a letter) or charged (a level that charges them)
    interest_cents: int
    interest_from: date | None  # the first and last day the interest covers
    interest_through: date | None


def decide(state: InvoiceState, policy: Policy, as_of: date) -> Step | None:
    """The one next level due on `as_of`, or None. After a gap (no run for days) it is still
    only the next level in order; its own deadline then counts from `as_of`, the real send day."""
    if state.status != OPEN or state.balance_cents < policy.minimum_balance_cents:
        return None
    if state.last_step and as_of <= state.last_step.sent_on:
        # One step per invoice a day: the same pass again (a rerun after a crash, a second
        # scheduler process) takes nothing the first did not, even when the next level is due.
        return None
    number = state.last_step.level + 1 if state.last_step else 1
    level = policy.level(number)
    if level is None or not _may_follow(state.last_step, level):
        return None
    start = due_on(state, level)
    if start is None or as_of < start:
        return None
    interest_from, interest_through, interest = _interest(state, policy, level, as_of)
    return Step(number=number, level=level,
                deadline=law.letter_deadline(as_of, level.channel) if level.letter else None,
                costs_cents=_costs(state, policy, level), interest_cents=interest,
                interest_from=interest_from, interest_through=interest_through)


def _may_follow(last: LastStep | None, level: Level) -> bool:
    """Costs after a letter only once that letter reached the consumer (art. 6:96 lid 6 BW:
    the term runs from receipt); a letter that never left leaves the invoice where it is."""
    letter = last is not None and last.deadline is not None
    return not (letter and "collection_costs" in level.charges and not last.reached_consumer)


def due_on(state: InvoiceState, level: Level) -> date | None:
    """The first day this level may go out; None when it counts from a deadline that the
    previous step did not set (a policy changed under the invoice)."""
    if level.counts_from == "due":
        return state.due_date + timedelta(days=level.after_days)
    last = state.last_step
    start = last.deadline if level.counts_from == "deadline" else last.sent_on
    if start is None:
        return None
    return start + timedelta(days=level.after_days + state.paused_days_since_last_step)


def _costs(state: InvoiceState, policy: Policy, level: Level) -> int:
    """A letter states the costs that would follow; a level that charges them charges them."""
    if not (level.letter or "collection_costs" in level.charges):
        return 0
    costs = policy.costs_for(state.principal_cents)
    stated = state.last_step.stated_costs_cents if state.last_step else None
    return costs if level.letter or stated is None else min(costs, stated)


def _interest(state: InvoiceState, policy: Policy, level: Level, as_of: date):
    """Interest on the principal from the day after the due date (or after what was charged
    before) through as_of. On what is unpaid now for the whole stretch: a payment made in
    between lowers it, so this is never more than owed."""
    if "interest" not in level.charges:
        return None, None, 0
    # No interest runs while paused: a pause before any interest moved the due date, and a
    # pause since the last step (after what that step charged) moves the charged-through day.
    # (A pause between an interest-charging step and a later step that charged none is not
    # known here and still earns interest; the default policies have no such level.)
    charged = state.interest_paid_through and state.interest_paid_through + timedelta(
        days=state.paused_days_since_last_step)
    start = max(state.due_date, charged or state.due_date)
    if as_of <= start:
        return None, None, 0
    amount = law.interest_cents(state.principal_cents, start, as_of, policy.interest_table)
    return start + timedelta(days=1), as_of, amount
