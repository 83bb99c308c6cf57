"""The dunning decision (bnpl/dunning/decision.py) as tables: an invoice's state, a policy and
a date in, the one next step (or nothing) out.

Every expected value is worked out by hand in the row's id or the comment next to it; none is
computed with the code under test. The figures used throughout:

- a principal of EUR 400.00 (40_000 cents): WIK 15 % = EUR 60.00 (6_000); statutory interest
  4 % (2026) = 1_600 cents a year, so 30 days = 48_000 / 365 = 131.51 -> 132 and 14 days =
  22_400 / 365 = 61.37 -> 61;
- commercial interest 10.15 % (since 1 July 2025) on it: 4_060 cents a year, 14 days =
  56_840 / 365 = 155.73 -> 156;
- June 2026 starts on a Monday; 25 and 26 December and 1 January are public holidays; Easter
  Sunday 2026 is 5 April; summer time starts on Sunday 29 March 2026 and ends on Sunday
  25 October 2026. Dates are calendar dates in Europe/Amsterdam: a day is a day, whether it
  lasted 23, 24 or 25 hours.
"""
from __future__ import annotations

from datetime import date

import pytest

from bnpl.dunning.decision import InvoiceState, LastStep, Step, decide, due_on
from bnpl.dunning.policy import BUSINESS, CONSUMER, Level, Policy

D = date.fromisoformat

REMINDER, LETTER, COSTS, HANDOVER = CONSUMER.levels
B_REMINDER, B_COSTS, B_HANDOVER = BUSINESS.levels


def state(due: str, *, status: str = "open", balance: int = 40_000, principal: int | None = None,
          last: tuple | None = None, paused: int = 0, interest_through: str | None = None) -> InvoiceState:
    """An invoice due on `due`; `last` is (level, sent_on, deadline or None)."""
    return InvoiceState(
        status=status, due_date=D(due), balance_cents=balance,
        principal_cents=balance if principal is None else principal,
        last_step=LastStep(last[0], D(last[1]), last[2] and D(last[2])) if last else None,
        paused_days_since_last_step=paused,
        interest_paid_through=interest_through and D(interest_through))


def step(number: int, level: Level, *, deadline: str | None = None, costs: int = 0, interest: int = 0,
         interest_from: str | None = None, interest_through: str | None = None) -> Step:
    return Step(number=number, level=level, deadline=deadline and D(deadline), costs_cents=costs,
                interest_cents=interest, interest_from=interest_from and D(interest_from),
                interest_through=interest_through and D(interest_through))


def check(policy: Policy, invoice: InvoiceState, as_of: str, expected: Step | None) -> None:
    assert decide(invoice, policy, D(as_of)) == expected


# --- each default level, the day before and the day it is due ------------------------------------

# Consumer: reminder due + 3, 14-day letter due + 14, costs the day after the letter's deadline,
# hand-over 14 days after the costs were sent.
AFTER_REMINDER = (1, "2026-06-04", None)
AFTER_LETTER = (2, "2026-06-15", "2026-06-30")
AFTER_COSTS = (3, "2026-07-01", None)
AFTER_COSTS_BALANCE = 40_000 + 6_000 + 132

CONSUMER_LEVELS = [
    pytest.param(state("2026-06-01"), "2026-06-01", None, id="reminder: not on the due date (Mon 1 June)"),
    pytest.param(state("2026-06-01"), "2026-06-03", None, id="reminder: not on due + 2"),
    pytest.param(state("2026-06-01"), "2026-06-04", step(1, REMINDER), id="reminder: on due + 3, Thu 4 June"),
    pytest.param(state("2026-06-01", last=AFTER_REMINDER), "2026-06-14", None, id="letter: not on due + 13"),
    pytest.param(state("2026-06-01", last=AFTER_REMINDER), "2026-06-15",
                 step(2, LETTER, deadline="2026-06-30", costs=6_000),
                 id="letter: on due + 14, Mon 15 June; received Tue 16, 14 days end Tue 30 June; "
                    "states WIK 15% of 400.00 = 60.00"),
    pytest.param(state("2026-06-01", last=AFTER_LETTER), "2026-06-30", None,
                 id="costs: not on the letter's last day, 30 June"),
    pytest.param(state("2026-06-01", last=AFTER_LETTER), "2026-07-01",
                 step(3, COSTS, costs=6_000, interest=132, interest_from="2026-06-02", interest_through="2026-07-01"),
                 id="costs: 1 July, the day after the deadline: 60.00 and 2 June-1 July, 30 days at 4% = 1.32"),
    pytest.param(state("2026-06-01", balance=AFTER_COSTS_BALANCE, principal=40_000, last=AFTER_COSTS,
                       interest_through="2026-07-01"), "2026-07-14", None, id="handover: not on sent + 13"),
    pytest.param(state("2026-06-01", balance=AFTER_COSTS_BALANCE, principal=40_000, last=AFTER_COSTS,
                       interest_through="2026-07-01"), "2026-07-15",
                 step(4, HANDOVER, interest=61, interest_from="2026-07-02", interest_through="2026-07-15"),
                 id="handover: sent + 14, 15 July; interest 2-15 July, 14 days on the principal only = 0.61"),
    pytest.param(state("2026-06-01", balance=AFTER_COSTS_BALANCE + 61, principal=40_000,
                       last=(4, "2026-07-15", None), interest_through="2026-07-15"), "2027-06-01", None,
                 id="after the hand-over: nothing, ever"),
]


@pytest.mark.parametrize("invoice, as_of, expected", CONSUMER_LEVELS)
def test_default_consumer_levels(invoice, as_of, expected):
    check(CONSUMER, invoice, as_of, expected)


# Business: reminder due + 3, then EUR 40 and commercial interest on due + 14 (no 14-day letter),
# hand-over 14 days after that.
BUSINESS_LEVELS = [
    pytest.param(state("2026-06-01"), "2026-06-03", None, id="reminder: not on due + 2"),
    pytest.param(state("2026-06-01"), "2026-06-04", step(1, B_REMINDER), id="reminder: on due + 3"),
    pytest.param(state("2026-06-01", last=AFTER_REMINDER), "2026-06-14", None, id="costs: not on due + 13"),
    pytest.param(state("2026-06-01", last=AFTER_REMINDER), "2026-06-15",
                 step(2, B_COSTS, costs=4_000, interest=156, interest_from="2026-06-02", interest_through="2026-06-15"),
                 id="costs: due + 14, no letter before; EUR 40 flat, 2-15 June at 10.15% = 1.56"),
    pytest.param(state("2026-06-01", principal=1_000_000, balance=1_000_000, last=AFTER_REMINDER), "2026-06-15",
                 step(2, B_COSTS, costs=4_000, interest=3_893, interest_from="2026-06-02",
                      interest_through="2026-06-15"),
                 id="costs on 10,000.00: still EUR 40 flat (WIK would be 875.00); 101,500 x 14 / 365 = 38.93"),
    pytest.param(state("2026-06-01", balance=44_156, principal=40_000, last=(2, "2026-06-15", None),
                       interest_through="2026-06-15"), "2026-06-28", None, id="handover: not on sent + 13"),
    pytest.param(state("2026-06-01", balance=44_156, principal=40_000, last=(2, "2026-06-15", None),
                       interest_through="2026-06-15"), "2026-06-29",
                 step(3, B_HANDOVER, interest=156, interest_from="2026-06-16", interest_through="2026-06-29"),
                 id="handover: sent + 14; 16-29 June, 14 days at 10.15% = 1.56"),
    pytest.param(state("2026-06-01", balance=44_312, principal=40_000, last=(3, "2026-06-29", None),
                       interest_through="2026-06-29"), "2027-06-01", None, id="after the hand-over: nothing"),
]


@pytest.mark.parametrize("invoice, as_of, expected", BUSINESS_LEVELS)
def test_default_business_levels(invoice, as_of, expected):
    check(BUSINESS, invoice, as_of, expected)


def test_a_business_customer_never_gets_a_14_day_letter():
    assert [level.name for level in BUSINESS.levels] == ["reminder", "collection_costs", "handover"]
    assert not any(level.letter for level in BUSINESS.levels)


# --- the letter's deadline: weekends, holidays, year end, summer time ---------------------------

@pytest.mark.parametrize("sent_on, due, deadline", [
    pytest.param("2026-06-15", "2026-06-01", "2026-06-30", id="Mon 15 June: received Tue 16, ends Tue 30 June"),
    pytest.param("2026-06-11", "2026-05-28", "2026-06-26", id="Thu 11 June: received Fri 12, ends Fri 26: no move"),
    pytest.param("2026-06-12", "2026-05-29", "2026-06-29",
                 id="Fri 12 June: received Sat 13, ends Sat 27 June: moves to Mon 29"),
    pytest.param("2026-06-13", "2026-05-30", "2026-06-29",
                 id="Sat 13 June: received Sun 14, ends Sun 28 June: moves to Mon 29"),
    pytest.param("2026-12-10", "2026-11-26", "2026-12-28",
                 id="Thu 10 Dec: received Fri 11, ends Fri 25 Dec (Christmas), Sat 26 (Boxing Day), Sun 27: Mon 28"),
    pytest.param("2026-12-17", "2026-12-03", "2027-01-04",
                 id="Thu 17 Dec: received Fri 18, ends Fri 1 Jan 2027 (New Year's Day): Mon 4 Jan 2027"),
    pytest.param("2026-12-31", "2026-12-17", "2027-01-15",
                 id="Thu 31 Dec: received Fri 1 Jan (a holiday delays no e-mail), ends Fri 15 Jan 2027"),
    pytest.param("2026-03-20", "2026-03-06", "2026-04-07",
                 id="Fri 20 Mar: received Sat 21, ends Sat 4 Apr; Easter Sunday 5, Easter Monday 6: Tue 7 Apr"),
    pytest.param("2026-03-18", "2026-03-04", "2026-04-02",
                 id="Wed 18 Mar, the term spans summer time (29 Mar): received Thu 19, ends Thu 2 Apr"),
    pytest.param("2026-03-29", "2026-03-15", "2026-04-13",
                 id="Sun 29 Mar, the day clocks go forward: received Mon 30 Mar, ends Mon 13 Apr"),
    pytest.param("2026-10-20", "2026-10-06", "2026-11-04",
                 id="Tue 20 Oct, the term spans winter time (25 Oct): received Wed 21, ends Wed 4 Nov"),
    pytest.param("2026-10-25", "2026-10-11", "2026-11-09",
                 id="Sun 25 Oct, the day clocks go back: received Mon 26 Oct, ends Mon 9 Nov"),
])
def test_the_letters_deadline(sent_on, due, deadline):
    # The letter goes out on due + 14 exactly (the reminder went out before; when does not matter).
    invoice = state(due, last=(1, "2026-01-01", None))
    assert decide(invoice, CONSUMER, D(sent_on)) == step(2, LETTER, deadline=deadline, costs=6_000)


@pytest.mark.parametrize("invoice, as_of, expected", [
    pytest.param(state("2026-03-26"), "2026-03-28", None, id="reminder: not on Sat 28 Mar, due + 2"),
    pytest.param(state("2026-03-26"), "2026-03-29", step(1, REMINDER),
                 id="reminder: on Sun 29 Mar (a 23-hour day), due + 3"),
    pytest.param(state("2026-10-22"), "2026-10-24", None, id="reminder: not on Sat 24 Oct, due + 2"),
    pytest.param(state("2026-10-22"), "2026-10-25", step(1, REMINDER),
                 id="reminder: on Sun 25 Oct (a 25-hour day), due + 3"),
    pytest.param(state("2026-03-02", last=(2, "2026-03-16", "2026-03-31")), "2026-03-31", None,
                 id="costs: not on the deadline Tue 31 Mar (letter Mon 16 Mar, received Tue 17)"),
    pytest.param(state("2026-03-02", last=(2, "2026-03-16", "2026-03-31")), "2026-04-01",
                 step(3, COSTS, costs=6_000, interest=132, interest_from="2026-03-03", interest_through="2026-04-01"),
                 id="costs: 1 Apr; 3 Mar-1 Apr is 30 calendar days across summer time = 1.32"),
    pytest.param(state("2026-10-05", last=(2, "2026-10-19", "2026-11-03")), "2026-11-03", None,
                 id="costs: not on the deadline Tue 3 Nov (letter Mon 19 Oct, received Tue 20)"),
    pytest.param(state("2026-10-05", last=(2, "2026-10-19", "2026-11-03")), "2026-11-04",
                 step(3, COSTS, costs=6_000, interest=132, interest_from="2026-10-06", interest_through="2026-11-04"),
                 id="costs: 4 Nov; 6 Oct-4 Nov is 30 calendar days across winter time = 1.32"),
])
def test_summer_and_winter_time_move_nothing(invoice, as_of, expected):
    check(CONSUMER, invoice, as_of, expected)


# --- gaps: the run did not run for a while --------------------------------------------------------

@pytest.mark.parametrize("invoice, as_of, expected", [
    pytest.param(state("2026-06-01"), "2026-08-01", step(1, REMINDER),
                 id="two months without a run, nothing sent yet: only the reminder"),
    pytest.param(state("2026-06-01", last=AFTER_REMINDER), "2026-07-04",
                 step(2, LETTER, deadline="2026-07-20", costs=6_000),
                 id="30 days late after the reminder: only the letter, its deadline from the run day "
                    "(Sat 4 July: received Sun 5, ends Sun 19: Mon 20 July)"),
    pytest.param(state("2026-06-01", last=(2, "2026-07-04", "2026-07-20")), "2026-07-20", None,
                 id="no costs on 20 July, the late letter's own deadline (one counted from the due date "
                    "would have ended on 30 June)"),
    pytest.param(state("2026-06-01", last=(2, "2026-07-04", "2026-07-20")), "2026-07-21",
                 step(3, COSTS, costs=6_000, interest=219, interest_from="2026-06-02", interest_through="2026-07-21"),
                 id="costs the day after the late letter's deadline: 2 June-21 July, 50 days = 80,000 / 365 = 2.19"),
    pytest.param(state("2026-06-01", last=(1, "2026-06-20", None)), "2026-06-20", None,
                 id="a second pass on the day the (late) reminder went out: the letter, though due, waits a day"),
    pytest.param(state("2026-06-01", last=(1, "2026-06-20", None)), "2026-06-21",
                 step(2, LETTER, deadline="2026-07-06", costs=6_000),
                 id="the next day the letter goes (Sun 21 June: received Mon 22, ends Mon 6 July)"),
    pytest.param(state("2026-06-01", last=AFTER_LETTER), "2026-08-15",
                 step(3, COSTS, costs=6_000, interest=329, interest_from="2026-06-02", interest_through="2026-08-15"),
                 id="costs six weeks late: interest to the run day, 2 June-15 Aug, 75 days = 120,000 / 365 = 3.29"),
    pytest.param(state("2026-06-01", balance=AFTER_COSTS_BALANCE, principal=40_000, last=AFTER_COSTS,
                       interest_through="2026-07-01"), "2026-09-01",
                 step(4, HANDOVER, interest=272, interest_from="2026-07-02", interest_through="2026-09-01"),
                 id="handover late: 2 July-1 Sep, 62 days = 99,200 / 365 = 2.72"),
])
def test_after_a_gap_only_the_next_level_goes_out(invoice, as_of, expected):
    check(CONSUMER, invoice, as_of, expected)


# --- invoices that get nothing --------------------------------------------------------------------

@pytest.mark.parametrize("invoice, as_of", [
    pytest.param(state("2026-06-01", status="paused"), "2026-06-04", id="paused on the reminder's day"),
    pytest.param(state("2026-06-01", status="paused", last=AFTER_REMINDER), "2026-06-15",
                 id="paused on the letter's day"),
    pytest.param(state("2026-06-01", status="paused", last=AFTER_LETTER), "2026-07-01",
                 id="paused on the costs' day"),
    pytest.param(state("2026-06-01", status="paid", balance=0), "2026-06-04", id="paid"),
    pytest.param(state("2026-06-01", status="paid", balance=0, last=AFTER_LETTER), "2026-07-01",
                 id="paid after the letter"),
    pytest.param(state("2026-06-01", status="credited", balance=0), "2026-06-04", id="credited in full"),
    pytest.param(state("2026-06-01", balance=99), "2026-06-04", id="0.99 left: below the 1.00 minimum"),
    pytest.param(state("2026-06-01", balance=0), "2026-06-04", id="open with nothing left"),
    pytest.param(state("2026-06-01", balance=99, last=AFTER_LETTER), "2026-07-01",
                 id="0.99 left after the letter: no costs on it"),
])
def test_nothing_goes_out(invoice, as_of):
    assert decide(invoice, CONSUMER, D(as_of)) is None
    assert decide(invoice, BUSINESS, D(as_of)) is None


def test_exactly_the_minimum_balance_is_still_reminded():
    assert decide(state("2026-06-01", balance=100), CONSUMER, D("2026-06-04")) == step(1, REMINDER)


def test_a_merchants_own_minimum_applies():
    policy = Policy(levels=CONSUMER.levels, minimum_balance_cents=500)
    assert decide(state("2026-06-01", balance=499), policy, D("2026-06-04")) is None
    assert decide(state("2026-06-01", balance=500), policy, D("2026-06-04")) == step(1, REMINDER)


# --- pauses: what ran before a pause continues after it ---------------------------------------------

@pytest.mark.parametrize("invoice, as_of, expected", [
    pytest.param(state("2026-06-06"), "2026-06-08", None,
                 id="a 5-day pause before the reminder moved the due date to 6 June: not on 8 June"),
    pytest.param(state("2026-06-06"), "2026-06-09", step(1, REMINDER), id="... but on 9 June, the new due + 3"),
    pytest.param(state("2026-06-06", last=AFTER_REMINDER, paused=5), "2026-06-19", None,
                 id="paused 5 days after the reminder: the letter not on due + 19"),
    pytest.param(state("2026-06-06", last=AFTER_REMINDER, paused=5), "2026-06-20",
                 step(2, LETTER, deadline="2026-07-06", costs=6_000),
                 id="... but on Sat 20 June, due + 14 + 5 (received Sun 21, ends Sun 5 July: Mon 6 July)"),
    pytest.param(state("2026-06-06", last=AFTER_LETTER, paused=5), "2026-07-05", None,
                 id="paused 5 days in the letter's term: no costs on 5 July"),
    pytest.param(state("2026-06-06", last=AFTER_LETTER, paused=5), "2026-07-06",
                 step(3, COSTS, costs=6_000, interest=132, interest_from="2026-06-07", interest_through="2026-07-06"),
                 id="... but on 6 July, deadline + 1 + 5; interest 30 days, not the 5 paused = 1.32"),
    pytest.param(state("2026-06-04", balance=AFTER_COSTS_BALANCE, principal=40_000, last=AFTER_COSTS, paused=3,
                       interest_through="2026-07-01"), "2026-07-17", None,
                 id="paused 3 days after the costs: no hand-over on sent + 16"),
])
def test_a_pause_moves_the_next_level_by_the_paused_days(invoice, as_of, expected):
    check(CONSUMER, invoice, as_of, expected)


def test_no_interest_runs_while_paused_after_the_costs():
    """Paused 3 days between the costs (interest charged through 1 July) and the hand-over:
    the hand-over goes 3 days later, on 18 July, and charges 14 days of interest, not 17
    (17 days would be 27,200 / 365 = 0.75). Like the due date, the interest period moves by
    the paused days: 5-18 July."""
    invoice = state("2026-06-04", balance=AFTER_COSTS_BALANCE, principal=40_000, last=AFTER_COSTS, paused=3,
                    interest_through="2026-07-01")
    assert decide(invoice, CONSUMER, D("2026-07-18")) == step(
        4, HANDOVER, interest=61, interest_from="2026-07-05", interest_through="2026-07-18")


def test_the_first_day_each_level_may_go_out():
    assert due_on(state("2026-06-01"), REMINDER) == D("2026-06-04")
    assert due_on(state("2026-06-01", last=AFTER_REMINDER), LETTER) == D("2026-06-15")
    assert due_on(state("2026-06-01", last=AFTER_LETTER), COSTS) == D("2026-07-01")
    assert due_on(state("2026-06-06", last=AFTER_LETTER, paused=5), COSTS) == D("2026-07-06")
    assert due_on(state("2026-06-01", last=AFTER_COSTS), HANDOVER) == D("2026-07-15")


# --- costs on the principal; interest across a change of rate ---------------------------------------

@pytest.mark.parametrize("policy, invoice, as_of, expected", [
    pytest.param(CONSUMER, state("2026-06-01", balance=260_000, principal=250_000, last=AFTER_REMINDER),
                 "2026-06-15", step(2, LETTER, deadline="2026-06-30", costs=37_500),
                 id="the letter states WIK on the 2,500.00 principal = 375.00, not on 2,600.00 with fees (385.00)"),
    pytest.param(CONSUMER, state("2026-06-01", balance=260_000, principal=250_000, last=AFTER_LETTER),
                 "2026-07-01",
                 step(3, COSTS, costs=37_500, interest=822, interest_from="2026-06-02", interest_through="2026-07-01"),
                 id="costs: 375.00 on the principal; interest 10,000 a year x 30 / 365 = 8.22 on it too"),
    pytest.param(CONSUMER, state("2026-06-01", balance=20_000, principal=20_000, last=AFTER_LETTER), "2026-07-01",
                 step(3, COSTS, costs=4_000, interest=66, interest_from="2026-06-02", interest_through="2026-07-01"),
                 id="costs on 200.00: 15% is 30.00, the minimum 40.00 applies; 800 x 30 / 365 = 0.66"),
    pytest.param(CONSUMER, state("2025-11-24", balance=100_000, last=(2, "2025-12-08", "2025-12-23")), "2025-12-24",
                 step(3, COSTS, costs=15_000, interest=493, interest_from="2025-11-25", interest_through="2025-12-24"),
                 id="costs on 24 Dec 2025: 30 days at 6% on 1,000.00 = 180,000 / 365 = 4.93"),
    pytest.param(CONSUMER, state("2025-11-24", balance=100_000, last=(2, "2025-12-08", "2025-12-23")), "2026-01-15",
                 step(3, COSTS, costs=15_000, interest=773, interest_from="2025-11-25", interest_through="2026-01-15"),
                 id="costs across 1 Jan 2026 (6% -> 4%): 37 days x 6,000 + 15 x 4,000 = 282,000 / 365 = 7.73"),
    pytest.param(CONSUMER, state("2025-11-24", balance=115_493, principal=100_000, last=(3, "2025-12-24", None),
                                 interest_through="2025-12-24"), "2026-01-07",
                 step(4, HANDOVER, interest=192, interest_from="2025-12-25", interest_through="2026-01-07"),
                 id="handover across the year end: 25-31 Dec at 6% + 1-7 Jan at 4% = 70,000 / 365 = 1.92"),
    pytest.param(BUSINESS, state("2025-06-16", last=(1, "2025-06-19", None)), "2025-06-30",
                 step(2, B_COSTS, costs=4_000, interest=171, interest_from="2025-06-17", interest_through="2025-06-30"),
                 id="business before 1 July 2025: 14 days at 11.15% = 4,460 x 14 / 365 = 1.71"),
    pytest.param(BUSINESS, state("2025-06-23", last=(1, "2025-06-26", None)), "2025-07-07",
                 step(2, B_COSTS, costs=4_000, interest=163, interest_from="2025-06-24", interest_through="2025-07-07"),
                 id="business across 1 July 2025 (11.15% -> 10.15%): 7 x 4,460 + 7 x 4,060 = 59,640 / 365 = 1.63"),
])
def test_costs_and_interest(policy, invoice, as_of, expected):
    check(policy, invoice, as_of, expected)


# --- the 14-day letter must have reached the consumer, and binds the costs ------------------------

def test_no_costs_while_the_letters_email_has_not_reached_the_consumer():
    undelivered = InvoiceState(status="open", due_date=D("2026-06-01"), balance_cents=40_000,
                               principal_cents=40_000,
                               last_step=LastStep(2, D("2026-06-15"), D("2026-06-30"), stated_costs_cents=6_000,
                                                  reached_consumer=False))

    assert decide(undelivered, CONSUMER, D("2026-07-01")) is None
    assert decide(undelivered, CONSUMER, D("2026-09-01")) is None


def test_the_costs_charged_are_never_more_than_the_letter_stated():
    # The letter stated 50.00 (on a smaller principal); a returned payment raised it since.
    after_letter = InvoiceState(status="open", due_date=D("2026-06-01"), balance_cents=40_000,
                                principal_cents=40_000,
                                last_step=LastStep(2, D("2026-06-15"), D("2026-06-30"), stated_costs_cents=5_000))

    assert decide(after_letter, CONSUMER, D("2026-07-01")).costs_cents == 5_000  # WIK on 400.00 would be 60.00


def test_a_level_counting_from_a_deadline_the_last_step_did_not_set_waits_instead_of_failing():
    # The merchant changed its policy: level 2 now counts from a deadline, but level 1 set none.
    policy = Policy(levels=(LETTER, COSTS))
    reminded = state("2026-06-01", last=(1, "2026-06-04", None))

    assert decide(reminded, Policy(levels=(REMINDER, LETTER, COSTS)), D("2026-06-15")).level == LETTER
    assert decide(state("2026-06-01", last=(1, "2026-06-15", None)), policy, D("2026-08-01")) is None
