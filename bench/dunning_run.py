#!/usr/bin/env python
"""Dunning run benchmark: one pass of bnpl.dunning.jobs.run_dunning (decisions, step rows, fees,
letter requests, events and outbox messages; not their delivery) over a database of open
invoices on PostgreSQL, next to one SQL query that fetches the same due set as the baseline.

    python bench/dunning_run.py [--invoices N] [--due-share F] [--waiting-share F] [--runs R]
                                [--refill] [--lines] [--webhook] [--profile N]
                                [--database-url URL] [--quick]

What it does:

1. Empties the bench database (DROP SCHEMA public CASCADE; it is created when missing),
   creates the schema with bnpl.db.upgrade, and fills it with plain SQL (COPY into temporary
   tables, then INSERT ... SELECT): one merchant, one consumer, N open invoices (numbers
   `2026-000001`..., their RF references, owed_cents = total plus the fees charged so far,
   billed_to with type, name, e-mail, language and an address), the dunning steps and fees
   each invoice's history implies, and one bank statement import dated today, so the run
   is not refused for stale statements. Not timed; its duration is reported.
   The invoices, by what the run must do with them today:
     - due share (default 5 %) due for a level today: 60 % the reminder (due date today - 3),
       25 % the 14-day letter (reminder sent, due date today - 14), 15 % the collection costs
       (reminder and letter sent, the letter's deadline yesterday);
     - waiting share (default 5 %) overdue but not due for a level today: within the 3 days
       before the reminder, reminded and waiting for the letter, the letter's deadline still
       running, collection costs charged and waiting for the hand-over, handed over: examined,
       not stepped;
     - the rest not yet due (due date 1 to 30 days ahead): not examined.
   The histories (which day each earlier step went out, its deadline, costs and interest) are
   made with bnpl.dunning.decision.decide and the default consumer policy, as a daily run would
   have made them, so the rows are what the code itself writes.
2. Baseline: one query selecting the due set (the columns dunning_candidates reads, of the open
   invoices with due_date <= today), fetched completely with psycopg, 3 times, each in its own
   child process (median).
3. The run: run_dunning(services, as_of=today) in a child process (services built with
   build_services from BNPL_DATABASE_URL, as `bnpl dunning run` does), --runs times; between
   runs the steps of today are taken back (--refill: the database is emptied and filled again).
   Every run is checked: summary.taken must equal the planted counts per level, examined the
   overdue invoices, and the database must hold exactly one new step per due invoice (none got
   two), one e-mail in the outbox per step, a letter request per letter, the fees of the
   collection-costs level, and the invoices' levels moved by one; otherwise it stops loudly.
4. --profile N: afterwards, the steps taken back once more, a cProfile of run_dunning over the
   first N overdue invoices (in id order; N >= the overdue set: the whole run), with the SQL
   statements by time.

Every child reports wall time, its CPU time, PostgreSQL's CPU time (this database's backends and
PostgreSQL's own processes), other load on the machine, and its own peak RSS (VmHWM; getrusage's
ru_maxrss is kept in the JSON, but a child inherits the parent's through vfork + exec); the run
child also the time and RSS of each batch of 1,000. Prints a table and whether the targets are
met (run <= 30 s, peak < 400 MB, MB = 10^6 bytes), and the ratio run / baseline; writes
bench/results/dunning_run.json.

A standalone script, not a test. It never touches a database other than the one named by
--database-url (default: `bench_dunning` on 127.0.0.1:5432) and refuses `test`, `mine`,
`postgres`, `bench_camt` (and the templates), because it wipes the schema of the one it uses.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "dunning_run.json"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dunning"
PROTECTED_DATABASES = {"test", "mine", "postgres", "bench_camt", "template0", "template1"}
TARGET_S, TARGET_MB = 30.0, 400
BASELINE_RUNS = 3
TIMEZONE = "Europe/Amsterdam"  # bnpl.config's default: what "today" is for the run
# The due set: the next level's number -> its share. The waiting set: the level reached -> share.
DUE_SPLIT = {1: 0.60, 2: 0.25, 3: 0.15}
WAITING_SPLIT = {0: 0.35, 1: 0.30, 2: 0.15, 3: 0.10, 4: 0.10}
HISTORY_DAYS = 90  # due dates looked at for the waiting invoices' histories
FUTURE_DAYS = 30
REPRESENTATIVE_CENTS = 10_000  # the amount the schedules are worked out with (dates do not depend on it)

MERCHANT_ID, CONSUMER_ID = "mer_benchdunning00000000000000", "con_benchdunning00000000000000"
NAMES = ["Sanne de Vries", "Daan Jansen", "Emma Bakker", "Lucas Visser", "Julia Smit", "Sem Meijer",
         "Tess de Boer", "Noah Mulder", "Zoë de Groot", "Levi Bos", "Mila Vos", "Finn Peters",
         "Sara Hendriks", "Milan van Leeuwen", "Eva Dekker", "Bram Brouwer", "Lotte de Wit",
         "Jesse Dijkstra", "Fleur Smits", "Thijs de Graaf", "Anna van der Meer", "Ruben Kok",
         "Nina Jacobs", "Stijn de Haan", "Isa Vermeulen", "Jens van den Berg", "Roos van Dijk",
         "Teun Schouten", "Lieke van Beek", "Gijs Willems"]
CITIES = [("Voorstraat", "8", "3512 AK", "Utrecht"), ("Kalverstraat", "92", "1012 PH", "Amsterdam"),
          ("Lange Poten", "3", "2511 CL", "Den Haag"), ("Witte de Withstraat", "41", "3012 BM", "Rotterdam"),
          ("Stratumseind", "17", "5611 EN", "Eindhoven")]

BASELINE_SQL = """SELECT id, merchant_id, livemode, number, currency, due_date, owed_cents, dunning_level,
                         billed_to, order_id
                  FROM invoices WHERE status = 'open' AND due_date <= %(today)s"""


# --- the data: numbers, references, totals, all a function of the invoice's sequence ---------

def invoice_number(i: int) -> str:
    return f"{2026 + i // 1_000_000}-{i % 1_000_000:06d}"


def rf_reference(number: str) -> str:
    """bnpl.invoices.models.rf_reference without its final validation (checked on a sample)."""
    body = number.replace("-", "")
    return f"RF{98 - int(body + '271500') % 97:02d}{body}"  # R = 27, F = 15, then 00


def invoice_total(i: int) -> int:
    """Cents, 9.95 to 499.94 EUR."""
    return 995 + (i * 7919) % 49000


import measure
from measure import (BenchError, Meter, database_name, libpq_url, peak_mb as _peak_mb, rss_mb as _rss_mb,
                     ru_maxrss_mb as _ru_maxrss_mb, say, targets_line)


# --- database preparation -------------------------------------------------------------------

def refuse_protected(url: str) -> None:
    name = database_name(url)
    if name in PROTECTED_DATABASES:
        raise BenchError(f"refusing to wipe the {name!r} database; use a dedicated one, e.g. .../bench_dunning")


def prepare_database(url: str) -> float:
    return measure.prepare_database(url, PROTECTED_DATABASES)


# --- the plan: which invoice is in which state, and the history that state implies -----------

@dataclass(frozen=True)
class Schedule:
    """What a daily run would have done for an invoice due on `due`, through yesterday."""
    due: date
    steps: tuple  # (level number, sent_on, deadline) in order
    due_today: bool  # the next level is due today


def _policy():
    from bnpl.dunning.policy import DEFAULTS
    return DEFAULTS["consumer"]


def _state(due: date, total: int):
    from bnpl.dunning.decision import InvoiceState
    return InvoiceState(status="open", due_date=due, balance_cents=total, principal_cents=total)


def _after(state, number: int, sent_on: date, deadline, step):
    """The state once a step went out (bnpl.dunning.service._state, from the rows it wrote)."""
    from bnpl.dunning.decision import LastStep
    charged = step.interest_cents + (step.costs_cents if "collection_costs" in step.level.charges else 0)
    return replace(state, balance_cents=state.balance_cents + charged, last_step=LastStep(number, sent_on, deadline),
                   interest_paid_through=step.interest_through or state.interest_paid_through)


def schedules(today: date) -> dict[date, Schedule]:
    """For each due date of the last HISTORY_DAYS days: the steps a run on every day would have
    taken before today (bnpl.dunning.decision.decide, default consumer policy), and whether the
    next one is due today."""
    from bnpl.dunning.decision import decide

    policy, found = _policy(), {}
    for back in range(HISTORY_DAYS):
        due = today - timedelta(days=back)
        state, steps, day = _state(due, REPRESENTATIVE_CENTS), [], due
        while day < today:
            step = decide(state, policy, day)
            if step:
                steps.append((step.number, day, step.deadline))
                state = _after(state, step.number, day, step.deadline, step)
            day += timedelta(days=1)
        found[due] = Schedule(due, tuple(steps), decide(state, policy, today) is not None)
    return found


@dataclass
class Plan:
    today: date
    invoices: int
    due: dict  # level number due today -> [Schedule], and how many invoices
    due_counts: dict
    waiting: dict  # level reached -> [Schedule]
    waiting_counts: dict
    future: int
    notes: list

    @property
    def examined(self) -> int:
        return sum(self.due_counts.values()) + sum(self.waiting_counts.values())

    @property
    def due_total(self) -> int:
        return sum(self.due_counts.values())

    def taken(self) -> dict:
        policy = _policy()
        return {policy.level(n).name: count for n, count in self.due_counts.items() if count}

    def levels_before(self) -> Counter:
        """Overdue invoices per dunning_level before the run."""
        levels = Counter({n - 1: c for n, c in self.due_counts.items()})
        levels.update(self.waiting_counts)
        return +levels

    def levels_after(self) -> Counter:
        levels = Counter({n: c for n, c in self.due_counts.items()})
        levels.update(self.waiting_counts)
        return +levels


def _split(total: int, shares: dict) -> dict:
    """Whole counts of `total` in these shares (the last takes the rounding)."""
    keys, counts = list(shares), {}
    for key in keys[:-1]:
        counts[key] = round(total * shares[key])
    counts[keys[-1]] = total - sum(counts.values())
    return counts


def make_plan(today: date, invoices: int, due_share: float, waiting_share: float) -> Plan:
    from bnpl.dunning import law

    notes = []
    known = schedules(today)
    due = {n: [s for s in known.values() if s.due_today and len(s.steps) == n - 1] for n in DUE_SPLIT}
    waiting = {level: [s for s in known.values() if not s.due_today and len(s.steps) == level] for level in WAITING_SPLIT}
    yesterday = today - timedelta(days=1)
    if not due[3]:
        # A daily run takes the collection costs the day after the letter's deadline, and a
        # deadline is a working day: when yesterday was none, no invoice is due for them today
        # on its own. As the benchmark asks: letters whose deadline was yesterday anyway.
        sent = yesterday - timedelta(days=law.LETTER_TERM_DAYS + 1)
        letter_level = _policy().level(2)
        due_on = sent - timedelta(days=letter_level.after_days)
        base = known[due_on] if due_on in known else None
        if base is None or len(base.steps) < 2:
            raise BenchError(f"no history to plant the collection-costs invoices on (due {due_on})")
        reminder = base.steps[0]
        due[3] = [Schedule(due_on, (reminder, (2, sent, yesterday)), True)]
        notes.append(f"yesterday ({yesterday:%a %d %b}) was not a working day, so no letter's deadline "
                     f"fell on it: the collection-costs invoices have letters sent {sent} with the deadline "
                     f"set to yesterday anyway")
    for n, found in due.items():
        if not found:
            raise BenchError(f"no due date makes level {n} due today: the policy changed?")
    for level, found in waiting.items():
        if not found:
            raise BenchError(f"no due date leaves an invoice waiting at level {level}")
    _check_schedules(today, due, waiting)
    total_due = round(invoices * due_share)
    total_waiting = round(invoices * waiting_share)
    if total_due + total_waiting > invoices:
        raise BenchError("--due-share plus --waiting-share is more than all invoices")
    return Plan(today, invoices, due, _split(total_due, DUE_SPLIT), waiting, _split(total_waiting, WAITING_SPLIT),
                invoices - total_due - total_waiting, notes)


def _check_schedules(today: date, due: dict, waiting: dict) -> None:
    """The planted histories do what they should, by the code's own decision."""
    from bnpl.dunning.decision import decide

    policy = _policy()
    for expect_due, groups in ((True, due), (False, waiting)):
        for key, found in groups.items():
            for schedule in found:
                state = _replay(schedule, REPRESENTATIVE_CENTS)[2]
                step = decide(state, policy, today)
                if bool(step) != expect_due or (expect_due and step.number != key):
                    raise BenchError(f"the history of an invoice due {schedule.due} ({schedule.steps}) gives "
                                     f"{step} today, expected {'level %d' % key if expect_due else 'nothing'}")
    if [s.due for s in due[1]] != [today - timedelta(days=3)] or [s.due for s in due[2]] != [today - timedelta(days=14)]:
        raise BenchError(f"unexpected due dates for the reminder / letter: {due[1]} {due[2]}")
    if any(s.steps[-1][2] != today - timedelta(days=1) for s in due[3]):
        raise BenchError(f"the collection-costs invoices' letters have no deadline yesterday: {due[3]}")


def _replay(schedule: Schedule, total: int):
    """The step rows and fees of one invoice's history, with its own amount; and its state."""
    from bnpl.dunning.decision import decide

    policy = _policy()
    state, steps, fees = _state(schedule.due, total), [], []
    for number, sent_on, deadline in schedule.steps:
        step = decide(state, policy, sent_on)
        if step is None or step.number != number:
            raise BenchError(f"replaying the history of an invoice due {schedule.due}: {step} on {sent_on}")
        charged = step.interest_cents + (step.costs_cents if "collection_costs" in step.level.charges else 0)
        steps.append((number, step.level.name, step.level.channel, step.level.template, sent_on, schedule.due, deadline,
                      state.balance_cents + charged, step.costs_cents, step.interest_cents))
        if "collection_costs" in step.level.charges and step.costs_cents:
            fees.append(("collection_costs", step.costs_cents,
                         f"collection costs on a principal of {_amount(state.principal_cents)}", None, None, number,
                         sent_on))
        if step.interest_cents:
            fees.append(("interest", step.interest_cents,
                         f"interest on {_amount(state.principal_cents)} from {step.interest_from.isoformat()} "
                         f"through {step.interest_through.isoformat()}", step.interest_from, step.interest_through,
                         number, sent_on))
        state = _after(state, number, sent_on, deadline, step)
    return steps, fees, state


def _amount(cents: int) -> str:
    return f"EUR {cents // 100}.{cents % 100:02d}"


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _assignments(plan: Plan):
    """(i, kind, key, Schedule or None) for every invoice; kinds due / waiting / future."""
    i = 0
    for kind, groups, counts in (("due", plan.due, plan.due_counts), ("waiting", plan.waiting, plan.waiting_counts)):
        for key, count in counts.items():
            found = groups[key]
            for k in range(count):
                i += 1
                yield i, kind, key, found[k % len(found)]
    for _ in range(plan.future):
        i += 1
        yield i, "future", None, None


def fill(url: str, plan: Plan, *, lines: bool, webhook: bool) -> dict:
    """The merchant, the consumer, the invoices with their histories, a statement import."""
    seller = {"name": "Bench Webshop", "legal_name": "Bench Webshop B.V.",
              "address": {"street": "Oudegracht", "house_number": "12a", "postal_code": "3511 AB",
                          "city": "Utrecht", "country": "NL"},
              "vat_number": "NL123456789B01", "coc_number": "12345678"}
    addresses = [{"street": s, "house_number": h, "postal_code": p, "city": c, "country": "NL"} for s, h, p, c in CITIES]
    today = plan.today
    with Meter(database_name(url)) as meter, psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("""INSERT INTO merchants (id, name, created_at, invoice_term_days, transit_days,
                        order_limit_cents, return_pause_days, fee_bp, legal_name, address, vat_number,
                        coc_number, email)
                        VALUES (%s, 'Bench Webshop', now() - interval '400 days', 14, 2, 250000, 28, 150,
                                'Bench Webshop B.V.', %s::jsonb, 'NL123456789B01', '12345678',
                                'finance@bench-webshop.example')""",
                     (MERCHANT_ID, json.dumps(seller["address"])))
        conn.execute("INSERT INTO consumers (id, livemode, email, created_at) "
                     "VALUES (%s, true, 'shopper@example.nl', now() - interval '400 days')", (CONSUMER_ID,))
        conn.execute("""INSERT INTO statement_imports (id, statement_id, entries, latest_booking_on, imported_at)
                        VALUES ('stm_benchdunning0000000000000', %s, 1200, %s, now())""",
                     (f"BENCH-{today:%Y%m%d}", today))
        if webhook:
            conn.execute("""INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, description, event_types,
                                                           secret, enabled, created_at)
                            VALUES ('we_benchdunning000000000000000', %s, true, 'https://hooks.bench-webshop.example/bnpl',
                                    'bench', '["*"]'::jsonb, 'whsec_bench', true, now() - interval '300 days')""",
                         (MERCHANT_ID,))
        conn.execute("""CREATE TEMP TABLE bench_plan (i integer, number text, reference text, due_date date,
                        dunning_level integer, owed_cents integer) ON COMMIT DROP""")
        conn.execute("""CREATE TEMP TABLE bench_steps (i integer, level integer, name text, channel text, template text,
                        sent_on date, due_date date, deadline date, balance_cents integer, costs_cents integer,
                        interest_cents integer) ON COMMIT DROP""")
        conn.execute("""CREATE TEMP TABLE bench_fees (i integer, kind text, amount_cents integer, basis text,
                        period_start date, period_end date, dunning_level integer, charged_on date) ON COMMIT DROP""")
        t_plan = time.perf_counter()
        cursor = conn.cursor()
        # One COPY at a time per connection: the rows of the three tables are gathered first.
        plan_rows, step_rows, fee_rows = [], [], []
        for i, kind, key, schedule in _assignments(plan):
            number, total = invoice_number(i), invoice_total(i)
            if schedule is None:
                due, level, owed = today + timedelta(days=1 + i % FUTURE_DAYS), 0, total
            else:
                due = schedule.due
                if schedule.steps:
                    steps, fees, state = _replay(schedule, total)
                    step_rows.extend(f"{i}\t" + "\t".join(map(_copy_value, row)) + "\n" for row in steps)
                    fee_rows.extend(f"{i}\t" + "\t".join(map(_copy_value, row)) + "\n" for row in fees)
                    level, owed = len(steps), state.balance_cents
                else:
                    level, owed = 0, total
            plan_rows.append(f"{i}\t{number}\t{rf_reference(number)}\t{due.isoformat()}\t{level}\t{owed}\n")
        n_steps, n_fees = len(step_rows), len(fee_rows)
        for table, rows in (("bench_plan", plan_rows), ("bench_steps", step_rows), ("bench_fees", fee_rows)):
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for start in range(0, len(rows), 20_000):
                    copy.write("".join(rows[start:start + 20_000]))
        del plan_rows, step_rows, fee_rows
        plan_s = time.perf_counter() - t_plan
        # Random-looking ids like bnpl.db.new_id; billed_to as bnpl.orders.service writes it.
        conn.execute("""
            INSERT INTO invoices (id, number, payment_reference, merchant_id, livemode, order_id, shipment_id,
                                  consumer_id, status, currency, total_cents, owed_cents, billed_to, seller,
                                  order_reference, term_days, issued_at, due_date, dunning_level, created_at,
                                  paused_since)
            SELECT 'inv_' || substr(md5('i' || p.i), 1, 24), p.number, p.reference, %(merchant)s, true,
                   'ord_' || substr(md5('o' || p.i), 1, 24), 'shp_' || substr(md5('s' || p.i), 1, 24),
                   %(consumer)s, 'open', 'EUR', 995 + (p.i::bigint * 7919) %% 49000, p.owed_cents,
                   jsonb_build_object('name', (%(names)s::text[])[1 + p.i %% %(n_names)s],
                                      'email', 'shopper' || p.i %% 5000 || '@example.nl', 'type', 'person',
                                      'company_name', null, 'vat_number', null, 'language', 'nl',
                                      'address', (%(addresses)s::jsonb) -> (p.i %% %(n_addresses)s)),
                   %(seller)s::jsonb, 'WEB-' || p.i, 14,
                   ((p.due_date - 16) + time '09:30') AT TIME ZONE 'UTC', p.due_date, p.dunning_level,
                   ((p.due_date - 16) + time '09:30') AT TIME ZONE 'UTC', null
            FROM bench_plan p""", {"merchant": MERCHANT_ID, "consumer": CONSUMER_ID, "names": NAMES,
                                   "n_names": len(NAMES), "addresses": json.dumps(addresses),
                                   "n_addresses": len(addresses), "seller": json.dumps(seller)})
        conn.execute("""
            INSERT INTO dunning_steps (id, invoice_id, merchant_id, livemode, level, name, channel, template, sent_on,
                                       due_date, deadline, balance_cents, costs_cents, interest_cents, created_at)
            SELECT 'dun_' || substr(md5('d' || s.i || '-' || s.level), 1, 24), 'inv_' || substr(md5('i' || s.i), 1, 24),
                   %(merchant)s, true, s.level, s.name, s.channel, s.template, s.sent_on, s.due_date, s.deadline,
                   s.balance_cents, s.costs_cents, s.interest_cents, (s.sent_on + time '06:00') AT TIME ZONE 'UTC'
            FROM bench_steps s""", {"merchant": MERCHANT_ID})
        # The 14-day letters sent before today reached the consumer (costs follow only then).
        conn.execute("""
            INSERT INTO outbox_messages (id, channel, kind, merchant_id, livemode, recipient, language, invoice_id,
                                         subject_id, payload, status, attempts, next_attempt_at, created_at)
            SELECT 'msg_' || substr(md5('m' || s.id), 1, 24), 'email', 'dunning_letter', s.merchant_id, true,
                   'shopper@example.nl', 'nl', s.invoice_id, s.id, '{}'::jsonb, 'delivered', 1, s.created_at,
                   s.created_at
            FROM dunning_steps s WHERE s.deadline IS NOT NULL""")
        conn.execute("""
            INSERT INTO invoice_fees (id, invoice_id, kind, amount_cents, basis, period_start, period_end,
                                      dunning_level, charged_at)
            SELECT 'fee_' || substr(md5('f' || f.i || '-' || f.dunning_level || f.kind), 1, 24),
                   'inv_' || substr(md5('i' || f.i), 1, 24), f.kind, f.amount_cents, f.basis, f.period_start,
                   f.period_end, f.dunning_level, (f.charged_on + time '06:00') AT TIME ZONE 'UTC'
            FROM bench_fees f""")
        if lines:
            conn.execute("""
                INSERT INTO invoice_lines (invoice_id, position, order_line_reference, description, quantity,
                                           unit_price_cents, vat_rate_bp, total_cents)
                SELECT id, 0, 'SKU-' || order_reference, 'Article ' || order_reference, 1, total_cents, 2100,
                       total_cents
                FROM invoices""")
        conn.commit()
        conn.autocommit = True
        for table in ("invoices", "dunning_steps", "invoice_fees", "invoice_lines", "events", "outbox_messages",
                      "document_requests"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")
        snapshot = database_snapshot(conn, today)
    if snapshot["open"] != plan.invoices or snapshot["overdue_levels"] != {str(k): v for k, v in sorted(plan.levels_before().items())}:
        raise BenchError(f"the fill made {snapshot}, not what was planned ({plan.invoices} open, overdue levels "
                         f"{dict(plan.levels_before())})")
    return {**meter.as_dict(), "plan_and_copy_s": plan_s, "steps": n_steps, "fees": n_fees, "snapshot": snapshot}


def database_snapshot(conn, today: date) -> dict:
    """What the planted state looks like, to compare after steps are taken back."""
    levels = conn.execute("SELECT dunning_level, count(*) FROM invoices WHERE status = 'open' AND due_date <= %s "
                          "GROUP BY dunning_level ORDER BY 1", (today,)).fetchall()
    return {"open": conn.execute("SELECT count(*) FROM invoices WHERE status = 'open'").fetchone()[0],
            "overdue_levels": {str(level): n for level, n in levels},
            "owed_cents": int(conn.execute("SELECT sum(owed_cents) FROM invoices").fetchone()[0]),
            "steps": conn.execute("SELECT count(*) FROM dunning_steps").fetchone()[0],
            "fees": conn.execute("SELECT count(*) FROM invoice_fees").fetchone()[0],
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "outbox": conn.execute("SELECT count(*) FROM outbox_messages").fetchone()[0],
            "document_requests": conn.execute("SELECT count(*) FROM document_requests").fetchone()[0]}


def take_back(url: str, today: date, planted: dict) -> float:
    """Undo today's steps (levels, fees, owed, events, outbox, letter requests), so the next
    run finds the planted state. Seconds."""
    t0 = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        # The statistics are from before the run (one step today, says the planner): a temporary
        # table of today's steps with their fees, analysed, keeps the joins hashed.
        conn.execute("""
            CREATE TEMP TABLE bench_today ON COMMIT DROP AS
            SELECT s.invoice_id, s.level, COALESCE(sum(f.amount_cents), 0) AS fees
            FROM dunning_steps s LEFT JOIN invoice_fees f ON f.invoice_id = s.invoice_id AND f.dunning_level = s.level
            WHERE s.sent_on = %(today)s GROUP BY s.invoice_id, s.level""", {"today": today})
        conn.execute("ANALYZE bench_today")
        conn.execute("""UPDATE invoices i SET dunning_level = t.level - 1, owed_cents = i.owed_cents - t.fees
                        FROM bench_today t WHERE i.id = t.invoice_id""")
        conn.execute("""DELETE FROM invoice_fees f USING bench_today t
                        WHERE f.invoice_id = t.invoice_id AND f.dunning_level = t.level""")
        conn.execute("DELETE FROM dunning_steps WHERE sent_on = %s", (today,))
        conn.execute("TRUNCATE events, document_requests")
        conn.execute("DELETE FROM outbox_messages WHERE status = 'pending'")  # today's; the planted were delivered
        conn.commit()
        conn.autocommit = True
        for table in ("invoices", "dunning_steps", "invoice_fees"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")
        now = database_snapshot(conn, today)
    if now != planted:
        raise BenchError(f"taking today's steps back left {now}, not the planted {planted}")
    return time.perf_counter() - t0


# --- the children: one process per measurement, so that each has its own peak --------------

def child_baseline(url: str, today: date) -> dict:
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SELECT 1")
        rss_before = _rss_mb()
        with Meter(database_name(url)) as meter:
            rows = conn.execute(BASELINE_SQL, {"today": today}).fetchall()
        rss_after = _rss_mb()
        n = len(rows)
        del rows
    return {**meter.as_dict(), "rows": n, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
            "peak_rss_mb": _peak_mb(), "ru_maxrss_mb": _ru_maxrss_mb()}


def child_run(url: str, today: date, *, limit: int, profile_top: int) -> dict:
    from sqlalchemy import event, text
    from sqlalchemy.orm import configure_mappers

    from bnpl.app import build_services, load_models  # build_services wires the event subscribers
    from bnpl.config import Settings
    from bnpl.dunning import jobs, service

    instance = tempfile.mkdtemp(prefix="bench-dunning-instance-")
    services = build_services(Settings.from_env({"BNPL_DATABASE_URL": url, "BNPL_SECRET_KEY": "bench-dunning",
                                                 "BNPL_INSTANCE_PATH": instance, "BNPL_TIMEZONE": TIMEZONE}))
    load_models()
    configure_mappers()
    with services.engine.connect() as conn:  # the pool keeps this connection for the run
        conn.execute(text("SELECT 1"))
    statements: dict[str, list] = {}  # counted in the profiled run only, never in a timed one
    if profile_top:
        @event.listens_for(services.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(services.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            key = " ".join(statement.split())[:100]
            slot = statements.setdefault(key, [0, 0.0, 0])
            slot[0] += 1
            slot[1] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
            slot[2] += len(parameters) if executemany and isinstance(parameters, (list, tuple)) else 1

    # Each batch's time and RSS (a wrapper around the function run_dunning calls; it changes
    # nothing) and, for the profile, a stop after `limit` invoices examined.
    batches: list[list] = []
    run_batch = service.run_batch
    examined = [0]

    def observed(uow, **kwargs):
        t0 = time.perf_counter()
        batch = run_batch(uow, **kwargs)
        batches.append([time.perf_counter() - t0, batch.examined, sum(batch.taken.values()), _rss_mb()])
        examined[0] += batch.examined
        if limit and examined[0] >= limit and batch.last_id is not None:
            return service.Batch(None, batch.examined, batch.taken)
        return batch

    service.run_batch = observed
    profiler = None
    if profile_top:
        import cProfile
        profiler = cProfile.Profile()
    rss_before = _rss_mb()
    with Meter(database_name(url)) as meter:
        if profiler:
            profiler.enable()
        summary = jobs.run_dunning(services, as_of=today)
        if profiler:
            profiler.disable()
    rss_after = _rss_mb()
    services.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)
    times = [b[0] for b in batches if b[1]]  # the last, empty batch only finds that nothing is left
    out = {**meter.as_dict(), "summary": {"examined": summary.examined, "taken": dict(summary.taken),
                                          "warning": summary.warning, "refused": summary.refused},
           "batches": len(times), "batch_s": {"sum": sum(times), "first": times[0] if times else 0.0,
                                                "median": statistics.median(times) if times else 0.0,
                                                "max": max(times, default=0.0),
                                                "first_quarter_mean": _mean(times[:max(1, len(times) // 4)]),
                                                "last_quarter_mean": _mean(times[-max(1, len(times) // 4):])},
           "batch_log": batches, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
           "rss_max_between_batches_mb": max((b[3] for b in batches), default=rss_after),
           "peak_rss_mb": _peak_mb(), "ru_maxrss_mb": _ru_maxrss_mb()}
    if statements:
        out["sql_statements"] = sum(n for n, _, _ in statements.values())
        out["sql_rows_sent"] = sum(r for _, _, r in statements.values())
        out["sql_seconds"] = sum(t for _, t, _ in statements.values())
        out["sql_by_time"] = sorted(([k, n, t, r] for k, (n, t, r) in statements.items()), key=lambda x: -x[2])[:14]
    if profiler:
        import io
        import pstats
        for key in ("cumulative", "tottime"):
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(key).print_stats(profile_top)
            out[f"profile_{key}"] = buffer.getvalue()
        buffer = io.StringIO()  # the project's own functions only
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(r"/bnpl/", profile_top)
        out["profile_bnpl"] = buffer.getvalue().replace(str(ROOT) + "/", "")
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def run_child(mode: str, url: str, today: date, *, limit: int = 0, profile_top: int = 0) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--as-of", today.isoformat(),
            "--database-url", url]
    argv += ["--limit", str(limit)] if limit else []
    argv += ["--profile-top", str(profile_top)] if profile_top else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the {mode} child failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- checks ---------------------------------------------------------------------------------

def check_run(url: str, plan: Plan, result: dict, *, webhook: bool, planted: dict) -> dict:
    """The run did what was planted, and nothing twice; the database agrees. Returns its counts."""
    summary, today, policy = result["summary"], plan.today, _policy()
    if summary["refused"]:
        raise BenchError(f"the run was refused: {summary['refused']}")
    if summary["taken"] != plan.taken() or summary["examined"] != plan.examined:
        raise BenchError(f"run_dunning examined {summary['examined']} and took {summary['taken']}; planted "
                         f"{plan.examined} overdue and {plan.taken()} due: the benchmark's data or the run is wrong")
    with psycopg.connect(libpq_url(url)) as conn:
        one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
        by_level = dict(conn.execute("SELECT level, count(*) FROM dunning_steps WHERE sent_on = %s GROUP BY level",
                                     (today,)).fetchall())
        twice = one("SELECT count(*) FROM (SELECT invoice_id FROM dunning_steps WHERE sent_on = %s "
                    "GROUP BY invoice_id HAVING count(*) > 1) x", today)
        off_level = one("SELECT count(*) FROM dunning_steps s JOIN invoices i ON i.id = s.invoice_id "
                        "WHERE s.sent_on = %s AND i.dunning_level <> s.level", today)
        events = one("SELECT count(*) FROM events WHERE type = 'dunning.level_reached'")
        mails = dict(conn.execute("SELECT kind, count(*) FROM outbox_messages WHERE channel = 'email' "
                                  "AND status = 'pending' "
                                  "GROUP BY kind").fetchall())
        hooks = one("SELECT count(*) FROM outbox_messages WHERE channel = 'webhook'")
        letters = one("SELECT count(*) FROM document_requests WHERE subject_type = 'letter'")
        fees = dict(conn.execute("SELECT f.kind, count(*) FROM invoice_fees f JOIN dunning_steps s "
                                 "ON s.invoice_id = f.invoice_id AND s.level = f.dunning_level "
                                 "WHERE s.sent_on = %s GROUP BY f.kind", (today,)).fetchall())
        fees_cents = one("SELECT COALESCE(sum(f.amount_cents), 0) FROM invoice_fees f JOIN dunning_steps s "
                         "ON s.invoice_id = f.invoice_id AND s.level = f.dunning_level WHERE s.sent_on = %s", today)
        owed = int(one("SELECT sum(owed_cents) FROM invoices"))
        levels = dict(conn.execute("SELECT dunning_level, count(*) FROM invoices WHERE status = 'open' "
                                   "AND due_date <= %s GROUP BY dunning_level", (today,)).fetchall())
    costs_level = next(n for n in plan.due_counts if "collection_costs" in policy.level(n).charges)
    expected = {
        "steps_by_level": {n: c for n, c in plan.due_counts.items() if c},
        "invoices_with_two_steps_today": 0,
        "stepped_invoices_not_at_the_step_level": 0,
        "events": plan.due_total,
        "emails": {policy.level(n).template: c for n, c in plan.due_counts.items() if c},
        "webhooks": plan.due_total if webhook else 0,
        "letter_requests": sum(c for n, c in plan.due_counts.items() if policy.level(n).letter),
        "fees": {k: plan.due_counts[costs_level] for k in ("collection_costs", "interest")}
        if plan.due_counts[costs_level] else {},
        "owed_cents_added": fees_cents,
        "overdue_levels": dict(plan.levels_after()),
    }
    got = {"steps_by_level": by_level, "invoices_with_two_steps_today": twice,
           "stepped_invoices_not_at_the_step_level": off_level, "events": events, "emails": mails, "webhooks": hooks,
           "letter_requests": letters, "fees": fees, "owed_cents_added": owed - planted["owed_cents"],
           "overdue_levels": {k: v for k, v in levels.items() if v}}
    wrong = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    if wrong:
        raise BenchError("the run's rows are not what was planted (got, expected): "
                         + "; ".join(f"{k}: {g} vs {e}" for k, (g, e) in wrong.items()))
    return {**got, "fees_cents": fees_cents}


# --- the run ------------------------------------------------------------------------------

def _medians(runs: list[dict]) -> dict:
    keys = ("wall_s", "cpu_s", "pg_cpu_s", "other_cores", "peak_rss_mb", "rss_before_mb")
    return {f"median_{k}": statistics.median(r[k] for r in runs) for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="open invoices (default 1,000,000)")
    parser.add_argument("--due-share", type=float, default=0.05,
                        help="share of the invoices due for a level today (default 0.05)")
    parser.add_argument("--waiting-share", type=float, default=0.05,
                        help="share of the invoices overdue but not due for a level today (default 0.05)")
    parser.add_argument("--runs", type=int, default=1,
                        help="timed runs; between two, today's steps are taken back (default 1)")
    parser.add_argument("--refill", action="store_true",
                        help="between runs, empty and fill the database again instead of taking the steps back")
    parser.add_argument("--lines", action="store_true", help="give every invoice one line (the run reads none)")
    parser.add_argument("--webhook", action="store_true",
                        help="the merchant has a webhook endpoint for every event: a second outbox message per step")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, cProfile a run over the first N overdue invoices and print the top 15 "
                             "with the SQL statements by time")
    parser.add_argument("--database-url", default=os.environ.get("BNPL_BENCH_DUNNING_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run in seconds (CI): 20,000 invoices, 2 runs, no targets")
    parser.add_argument("--child", choices=("baseline", "run"), help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--profile-top", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        today = date.fromisoformat(args.as_of)
        out = (child_baseline(args.database_url, today) if args.child == "baseline" else
               child_run(args.database_url, today, limit=args.limit, profile_top=args.profile_top))
        print(json.dumps(out, default=str))
        return 0
    if args.quick:
        args.invoices, args.runs = 20_000, 2
    try:
        refuse_protected(args.database_url)
        return _run(args, args.database_url)
    except BenchError as exc:
        say(f"error: {exc}")
        return 1


def _today() -> date:
    from bnpl.clock import local_date
    return local_date(datetime.now(timezone.utc), TIMEZONE)


def _run(args, url: str) -> int:
    from bnpl.invoices.models import rf_reference as real_rf_reference

    for i in (1, 99_999, 123_456, 1_000_000):
        if rf_reference(invoice_number(i)) != real_rf_reference(invoice_number(i)):
            raise BenchError("the benchmark's RF reference differs from bnpl's")
    today = _today()
    say(f"{args.invoices:,} open invoices, {args.due_share:.0%} due for a level today, {args.waiting_share:.0%} "
        f"overdue and waiting; database {database_name(url)}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}; today {today:%a %Y-%m-%d} ({TIMEZONE})")
    plan = make_plan(today, args.invoices, args.due_share, args.waiting_share)
    policy = _policy()
    say("due today: " + ", ".join(f"{c:,} {policy.level(n).name}" for n, c in plan.due_counts.items())
        + f" ({plan.due_total:,}); waiting, examined but not stepped: "
        + ", ".join(f"{c:,} at level {lvl}" for lvl, c in plan.waiting_counts.items())
        + f" ({sum(plan.waiting_counts.values()):,}); not yet due: {plan.future:,}")
    for note in plan.notes:
        say(f"note: {note}")

    fills = []
    prepare_s = prepare_database(url)
    fills.append(fill(url, plan, lines=args.lines, webhook=args.webhook))
    planted = fills[0]["snapshot"]
    say(f"schema {prepare_s:.1f} s, fill {fills[0]['wall_s']:.1f} s (histories and COPY "
        f"{fills[0]['plan_and_copy_s']:.1f} s; {fills[0]['steps']:,} earlier steps, {fills[0]['fees']:,} fees; "
        f"client CPU {fills[0]['cpu_s']:.1f} s, PostgreSQL CPU {fills[0]['pg_cpu_s']:.1f} s)")

    baselines = [run_child("baseline", url, today) for _ in range(BASELINE_RUNS)]
    if any(b["rows"] != plan.examined for b in baselines):
        raise BenchError(f"the baseline query fetched {baselines[0]['rows']} rows, not the {plan.examined} overdue")
    base = _medians(baselines)
    say(f"baseline (SELECT the due set, {plan.examined:,} rows): median {base['median_wall_s']:.2f} s of "
        f"{BASELINE_RUNS} ({min(b['wall_s'] for b in baselines):.2f} to {max(b['wall_s'] for b in baselines):.2f}; CPU "
        f"{base['median_cpu_s']:.2f} s, PostgreSQL {base['median_pg_cpu_s']:.2f} s), peak RSS "
        f"{base['median_peak_rss_mb']:.0f} MB")

    runs, checks, resets = [], [], []
    for run in range(args.runs):
        if run:
            if args.refill:
                prepare_database(url)
                fills.append(fill(url, plan, lines=args.lines, webhook=args.webhook))
                say(f"refilled in {fills[-1]['wall_s']:.1f} s")
            else:
                resets.append(take_back(url, today, planted))
                say(f"today's steps taken back in {resets[-1]:.1f} s")
        result = run_child("run", url, today)
        checks.append(check_run(url, plan, result, webhook=args.webhook, planted=planted))
        runs.append(result)
        b = result["batch_s"]
        say(f"run {run + 1}: {result['wall_s']:.1f} s, {plan.due_total / result['wall_s']:.0f} steps/s, CPU "
            f"{result['cpu_s']:.1f} s + PostgreSQL {result['pg_cpu_s']:.1f} s, other load "
            f"{result['other_cores']:.2f} cores; {result['batches']} batches (first {b['first']:.2f} s, median "
            f"{b['median']:.2f}, max {b['max']:.2f}; first quarter {b['first_quarter_mean']:.2f}, last "
            f"{b['last_quarter_mean']:.2f}); RSS {result['rss_before_mb']:.0f} MB at the start, "
            f"{result['rss_after_mb']:.0f} at the end, peak {result['peak_rss_mb']:.0f}")
        if result["summary"]["warning"]:
            say(f"  warning from the run: {result['summary']['warning']}")
        if result["other_cores"] > 0.25:
            say(f"  WARNING: other load of {result['other_cores']:.2f} cores during the run: run again when "
                f"the machine is quiet")

    report = _report(args, plan, fills, baselines, runs, checks, resets)

    if args.profile:
        take_back(url, today, planted)
        profiled = run_child("run", url, today, limit=args.profile, profile_top=15)
        examined = profiled["summary"]["examined"]
        say(f"\ncProfile of run_dunning over the first {examined:,} overdue invoices "
            f"({sum(profiled['summary']['taken'].values()):,} steps, {profiled['batches']} batches; "
            f"{profiled['wall_s']:.1f} s under the profiler):")
        say(profiled["profile_cumulative"])
        say(profiled["profile_tottime"])
        say("bnpl's own functions:")
        say(profiled["profile_bnpl"])
        say(f"SQL: {profiled['sql_statements']:,} statements ({profiled['sql_statements'] / max(profiled['batches'], 1):.1f} "
            f"per batch), {profiled['sql_rows_sent']:,} parameter sets, {profiled['sql_seconds']:.1f} s waiting for "
            f"them (of {profiled['wall_s']:.1f} s); by time (seconds, statements, parameter sets):")
        for statement, count, seconds, rows in profiled["sql_by_time"]:
            say(f"  {seconds:6.2f} s {count:6d}x {rows:7d}  {statement}")
        report["profile"] = {k: profiled[k] for k in (
            "wall_s", "cpu_s", "pg_cpu_s", "summary", "batches", "batch_s", "profile_cumulative", "profile_tottime",
            "profile_bnpl", "sql_statements", "sql_rows_sent", "sql_seconds", "sql_by_time")}
        report["profile"]["limit"] = args.profile

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    say(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def _report(args, plan: Plan, fills, baselines, runs, checks, resets) -> dict:
    base, med = _medians(baselines), _medians(runs)
    wall, cpu, pg, peak = med["median_wall_s"], med["median_cpu_s"], med["median_pg_cpu_s"], med["median_peak_rss_mb"]
    steps = plan.due_total
    ratio = wall / base["median_wall_s"]
    say("")
    say(f"{'':40} {'wall s':>8} {'CPU s':>7} {'pg CPU s':>9} {'rows|steps/s':>13} {'peak RSS MB':>12}")
    rows = [(f"baseline: SELECT {plan.examined:,} due rows", base["median_wall_s"], base["median_cpu_s"],
             base["median_pg_cpu_s"], plan.examined / base["median_wall_s"], base["median_peak_rss_mb"]),
            (f"run_dunning: {steps:,} steps", wall, cpu, pg, steps / wall, peak)]
    for name, w, c, p, rate, mb in rows:
        say(f"{name:40} {w:8.2f} {c:7.2f} {p:9.2f} {rate:13.0f} {mb:12.0f}")
    say(f"(medians: baseline of {BASELINE_RUNS} runs, run_dunning of {len(runs)} ({min(r['wall_s'] for r in runs):.1f} "
        f"to {max(r['wall_s'] for r in runs):.1f} s); {args.invoices:,} open invoices, "
        f"{plan.examined:,} overdue examined, {plan.examined - steps:,} of them not stepped; fill "
        f"{statistics.median(f['wall_s'] for f in fills):.0f} s, not timed; other load during the runs "
        f"{med['median_other_cores']:.2f} cores)")
    c = checks[-1]
    say(f"checked: {plan.taken()} taken, {c['events']:,} events, {sum(c['emails'].values()):,} e-mails "
        f"{'+ %d webhooks ' % c['webhooks'] if c['webhooks'] else ''}in the outbox, {c['letter_requests']:,} letter "
        f"requests, {sum(c['fees'].values()):,} fees (EUR {c['fees_cents'] / 100:,.2f}); no invoice got two steps")
    checks_met = {f"run <= {TARGET_S:g} s": wall <= TARGET_S, f"peak < {TARGET_MB} MB": peak < TARGET_MB}
    say(f"ratio run/baseline {ratio:.1f}x; run {wall:.1f} s (target <= {TARGET_S:g} s), peak {peak:.0f} MB "
        f"(target < {TARGET_MB} MB)")
    say(targets_line(checks_met, args.quick))
    return {
        "config": {"invoices": args.invoices, "due_share": args.due_share, "waiting_share": args.waiting_share,
                   "runs": len(runs), "refill": args.refill, "lines": args.lines, "webhook": args.webhook,
                   "today": plan.today.isoformat(), "due": {str(k): v for k, v in plan.due_counts.items()},
                   "waiting": {str(k): v for k, v in plan.waiting_counts.items()}, "future": plan.future,
                   "examined": plan.examined, "notes": plan.notes, "cores": os.cpu_count(), "quick": args.quick},
        "fill": fills,
        "take_back_s": resets,
        "baseline": {"runs": baselines, **base, "rows_per_s": plan.examined / base["median_wall_s"]},
        "run": {"runs": runs, **med, "steps_per_s": steps / wall, "checks": checks},
        "ratio_run_baseline": ratio,
        "targets": checks_met,
    }


if __name__ == "__main__":
    raise SystemExit(main())
