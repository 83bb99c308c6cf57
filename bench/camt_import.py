#!/usr/bin/env python
"""CAMT.053 import benchmark: bnpl.payments.service.import_statement of one statement against
a database of open invoices on PostgreSQL, next to parsing the same file alone
(bnpl.payments.camt.parse) as the baseline.

    python bench/camt_import.py [--invoices N] [--entries N] [--runs R] [--budget SECONDS]
                                [--profile N] [--database-url URL] [--quick]

What it does:

1. Empties the bench database (DROP SCHEMA public CASCADE; it is created when missing),
   creates the schema with bnpl.db.upgrade, and fills it with plain SQL (COPY, then
   INSERT ... SELECT): one merchant, one consumer, N open invoices with one line each, numbers
   `2026-000001`... and their ISO 11649 RF references (bnpl.invoices.models.rf_reference).
   Not timed as part of the import; its duration is reported.
2. Writes one camt.053.001.02 file (the layout of tests/payments/camt_files.py): 90 % credits
   with the structured RF reference of a distinct open invoice, 5 % with the invoice number in
   the free text, 5 % that match nothing (payer name and amount of no invoice); every matched
   amount is the invoice's total, so the invoice closes.
3. Baseline: camt.parse of that file, 3 times, each in its own child process (median).
4. Probe: imports a small statement and rolls it back, to estimate the full import. When the
   estimate is above --budget, the timed import uses fewer entries (same database) and the
   full-size figures are extrapolated from it, clearly labelled as such.
5. Import: bnpl.payments.jobs.import_statement_file, what `bnpl payments import` runs (the
   whole file checked to be well-formed first, then read and booked 1,000 entries per
   transaction, the next part read while one is written), in a child process, --runs times,
   each on a freshly emptied and filled database.

Every child reports wall time, its CPU time, PostgreSQL's CPU time (this database's backends
and PostgreSQL's own processes), other load on the machine, and its own peak RSS (VmHWM;
getrusage's ru_maxrss is kept in the JSON, but a child inherits the parent's through
vfork + exec); the import child also its RSS after booking, and the
parse child the tracemalloc peak of one extra run (the Python heap only: lxml's tree is not
in it). The rolled-back runs count SQL statements; --profile adds a cProfile listing and the
statements by time. Prints a table and whether the targets are met (import <= 5x parse,
peak < 500 MB, MB = 10^6 bytes); writes bench/results/camt_import.json.

A standalone script, not a test. It never touches a database other than the one named by
--database-url (default: `bench_camt` on 127.0.0.1:5432) and refuses `test`, `mine`,
`postgres` (and the templates), because it wipes the schema of the one it uses.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "camt_import.json"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_camt"
PROTECTED_DATABASES = {"test", "mine", "postgres", "template0", "template1"}
TARGET_RATIO, TARGET_MB = 5.0, 500  # issue 16: import at most 5 times the parse, under 500 MB
PARSE_RUNS = 3
SHARE_RF, SHARE_NUMBER = 0.90, 0.05  # the rest matches nothing
SEED = 20261123

MERCHANT_ID, CONSUMER_ID = "mer_benchcamt0000000000000000", "con_benchcamt0000000000000000"
NAMES = ["Sanne de Vries", "Daan Jansen", "Emma Bakker", "Lucas Visser", "Julia Smit", "Sem Meijer",
         "Tess de Boer", "Noah Mulder", "Zoë de Groot", "Levi Bos", "Mila Vos", "Finn Peters",
         "Sara Hendriks", "Milan van Leeuwen", "Eva Dekker", "Bram Brouwer", "Lotte de Wit",
         "Jesse Dijkstra", "Fleur Smits", "Thijs de Graaf", "Anna van der Meer", "Ruben Kok",
         "Nina Jacobs", "Stijn de Haan", "Isa Vermeulen", "Jens van den Berg", "Roos van Dijk",
         "Teun Schouten", "Lieke van Beek", "Gijs Willems"]
STRANGERS = ["Stichting Onbekend", "P. Pietersen", "Holding Zuidas", "W. Klaassen", "Café Het Hoekje"]
UNMATCHED_TEXTS = ["Bestelling {n}", "Gift", "Terugbetaling lening", "Huur {n}", "Zie factuur"]


# --- the data: numbers, references, totals, all a function of the invoice's sequence ---------

def invoice_number(i: int) -> str:
    """`2026-000001`...`2026-999999`, then `2027-000000`...: always the importer's \\d{4}-\\d{6}."""
    return f"{2026 + i // 1_000_000}-{i % 1_000_000:06d}"


def invoice_total(i: int) -> int:
    """Cents, 9.95 to 499.94 EUR; the same formula as the SQL of the fill."""
    return 995 + (i * 7919) % 49000


TOTAL_SQL = "995 + (s.i::bigint * 7919) %% 49000"


def billed_name(i: int) -> str:
    return NAMES[i % len(NAMES)]


import measure
from measure import (BenchError, Meter, database_name, libpq_url, peak_mb as _peak_mb, rss_mb as _rss_mb,
                     ru_maxrss_mb as _ru_maxrss_mb, say, targets_line)


# --- database preparation -------------------------------------------------------------------

def prepare_database(url: str) -> float:
    return measure.prepare_database(url, PROTECTED_DATABASES)


def fill(url: str, invoices: int) -> dict:
    """One merchant, one consumer, `invoices` open invoices with one line each. Seconds."""
    from bnpl.invoices.models import rf_reference

    seller = {"name": "Bench Webshop", "legal_name": "Bench Webshop B.V.",
              "address": {"street": "Oudegracht", "house_number": "12a", "postal_code": "3511 AB",
                          "city": "Utrecht", "country": "NL"},
              "vat_number": "NL123456789B01", "coc_number": "12345678"}
    address = {"street": "Voorstraat", "house_number": "8", "postal_code": "3512 AK", "city": "Utrecht",
               "country": "NL"}
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
        conn.execute("CREATE TEMP TABLE bench_seq (i integer, number text, reference text) ON COMMIT DROP")
        t_refs = time.perf_counter()
        with conn.cursor().copy("COPY bench_seq (i, number, reference) FROM STDIN") as copy:
            chunk = []
            for i in range(1, invoices + 1):
                number = invoice_number(i)
                chunk.append(f"{i}\t{number}\t{rf_reference(number)}\n")
                if len(chunk) == 20_000:
                    copy.write("".join(chunk))
                    chunk = []
            copy.write("".join(chunk))
        refs_s = time.perf_counter() - t_refs
        # Random-looking ids like bnpl.db.new_id (24 characters after the prefix).
        conn.execute(f"""
            INSERT INTO invoices (id, number, payment_reference, merchant_id, livemode, order_id, shipment_id,
                                  consumer_id, status, currency, total_cents, owed_cents, billed_to, seller,
                                  order_reference, term_days, issued_at, due_date, created_at, paused_since)
            SELECT 'inv_' || substr(md5('i' || s.i), 1, 24), s.number, s.reference, %(merchant)s, true,
                   'ord_' || substr(md5('o' || s.i), 1, 24), 'shp_' || substr(md5('s' || s.i), 1, 24),
                   %(consumer)s, 'open', 'EUR', {TOTAL_SQL}, {TOTAL_SQL},
                   jsonb_build_object('name', (%(names)s::text[])[1 + s.i %% %(n_names)s],
                                      'email', 'shopper@example.nl', 'type', 'person', 'company_name', null,
                                      'vat_number', null, 'language', 'nl', 'address', %(address)s::jsonb),
                   %(seller)s::jsonb, 'WEB-' || s.i, 14,
                   now() - make_interval(days => 16 + s.i %% 45), current_date - 2 + s.i %% 45,
                   now() - make_interval(days => 16 + s.i %% 45), null
            FROM bench_seq s""", {"merchant": MERCHANT_ID, "consumer": CONSUMER_ID, "names": NAMES,
                                  "n_names": len(NAMES), "address": json.dumps(address),
                                  "seller": json.dumps(seller)})
        conn.execute("""
            INSERT INTO invoice_lines (invoice_id, position, order_line_reference, description, quantity,
                                       unit_price_cents, vat_rate_bp, total_cents)
            SELECT id, 0, 'SKU-' || order_reference, 'Article ' || order_reference, 1, total_cents, 2100,
                   total_cents
            FROM invoices""")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE invoices")
        conn.execute("VACUUM ANALYZE invoice_lines")
        count = conn.execute("SELECT count(*) FROM invoices WHERE status = 'open'").fetchone()[0]
    if count != invoices:
        raise BenchError(f"the fill made {count} open invoices, not {invoices}")
    return {**meter.as_dict(), "rf_and_copy_s": refs_s}


# --- the statement -------------------------------------------------------------------------

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
OWN_IBAN, OWN_BIC = "NL91ABNA0417164300", "ABNANL2A"

ENTRY = """\
      <Ntry>
        <NtryRef>{entry_ref8}</NtryRef>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt>
          <Dt>{day}</Dt>
        </BookgDt>
        <ValDt>
          <Dt>{day}</Dt>
        </ValDt>
        <AcctSvcrRef>{entry_ref}</AcctSvcrRef>
        <BkTxCd>
          <Domn>
            <Cd>PMNT</Cd>
            <Fmly>
              <Cd>RCDT</Cd>
              <SubFmlyCd>ESCT</SubFmlyCd>
            </Fmly>
          </Domn>
          <Prtry>
            <Cd>N541</Cd>
            <Issr>ABNAMRO</Issr>
          </Prtry>
        </BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <AcctSvcrRef>{tx_ref}</AcctSvcrRef>
              <EndToEndId>{end_to_end}</EndToEndId>
            </Refs>
            <AmtDtls>
              <InstdAmt>
                <Amt Ccy="EUR">{amount}</Amt>
              </InstdAmt>
              <TxAmt>
                <Amt Ccy="EUR">{amount}</Amt>
              </TxAmt>
            </AmtDtls>
            <RltdPties>
              <Dbtr>
                <Nm>{name}</Nm>
              </Dbtr>
              <DbtrAcct>
                <Id>
                  <IBAN>{iban}</IBAN>
                </Id>
              </DbtrAcct>
            </RltdPties>
            <RltdAgts>
              <DbtrAgt>
                <FinInstnId>
                  <BIC>{bic}</BIC>
                </FinInstnId>
              </DbtrAgt>
            </RltdAgts>
            <RmtInf>
{remittance}
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
"""
STRUCTURED = """\
              <Strd>
                <CdtrRefInf>
                  <Tp>
                    <CdOrPrtry>
                      <Cd>SCOR</Cd>
                    </CdOrPrtry>
                    <Issr>ISO</Issr>
                  </Tp>
                  <Ref>{reference}</Ref>
                </CdtrRefInf>
              </Strd>"""
UNSTRUCTURED = "              <Ustrd>{text}</Ustrd>"


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _payer_accounts() -> list[tuple[str, str]]:
    from schwifty import IBAN

    banks = [("INGB", "INGBNL2A"), ("RABO", "RABONL2U"), ("ABNA", "ABNANL2A"), ("SNSB", "SNSBNL2A")]
    return [(IBAN.generate("NL", bank_code=code, account_code=f"{1_234_567 + k:010d}").compact, bic)
            for k, (code, bic) in enumerate(banks * 4)]


def build_statement(*, invoices: int, entries: int, seed: int, tag: str,
                    exclude: set[int] = frozenset()) -> tuple[bytes, dict]:
    """A camt.053.001.02 statement of `entries` credits, and the counts import_statement must give.
    Matched entries name distinct invoices, none of `exclude` (those paid by an earlier import)."""
    from bnpl.invoices.models import rf_reference

    n_rf, n_number = round(entries * SHARE_RF), round(entries * SHARE_NUMBER)
    n_unmatched = entries - n_rf - n_number
    candidates = [i for i in range(1, invoices + 1) if i not in exclude] if exclude else range(1, invoices + 1)
    if n_rf + n_number > len(candidates):
        raise BenchError(f"{n_rf + n_number} matched entries need as many open invoices ({len(candidates)})")
    rng = random.Random(seed)
    picks = rng.sample(candidates, n_rf + n_number)
    kinds = ["rf"] * n_rf + ["number"] * n_number + ["none"] * n_unmatched
    rng.shuffle(kinds)
    accounts = _payer_accounts()
    day = date.today().isoformat()
    compact_day = day.replace("-", "")
    parts, total, pick = [], 0, iter(picks)
    for seq, kind in enumerate(kinds, start=1):
        iban, bic = accounts[rng.randrange(len(accounts))]
        if kind == "none":
            cents = invoice_total(rng.randrange(1, invoices + 1)) + rng.choice((-1, 1)) * rng.randrange(1, 50)
            name = rng.choice(STRANGERS)
            remittance = UNSTRUCTURED.format(text=rng.choice(UNMATCHED_TEXTS).format(n=rng.randrange(10_000, 99_999)))
        else:
            i = next(pick)
            cents, name, number = invoice_total(i), billed_name(i), invoice_number(i)
            if kind == "rf":
                remittance = STRUCTURED.format(reference=rf_reference(number))
            else:
                remittance = UNSTRUCTURED.format(text=f"Betaling factuur {number} {name}")
        total += cents
        entry_ref, tx_ref = f"{tag}{compact_day}{seq * 2:09d}", f"{tag}{compact_day}{seq * 2 + 1:09d}"
        parts.append(ENTRY.format(entry_ref8=entry_ref[-8:], entry_ref=entry_ref, tx_ref=tx_ref, amount=_amount(cents),
                                  day=day, end_to_end=f"E2E-{tag}-{seq:07d}", name=name, iban=iban, bic=bic,
                                  remittance=remittance))
    opening = 125_000_00
    head = f"""<?xml version='1.0' encoding='UTF-8'?>
<Document xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>CAMT053-{compact_day}-{tag}</MsgId>
      <CreDtTm>{day}T06:15:00+01:00</CreDtTm>
      <MsgPgntn>
        <PgNb>1</PgNb>
        <LastPgInd>true</LastPgInd>
      </MsgPgntn>
    </GrpHdr>
    <Stmt>
      <Id>{compact_day}-{tag}</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>{day}T06:15:00+01:00</CreDtTm>
      <FrToDt>
        <FrDtTm>{day}T00:00:00+01:00</FrDtTm>
        <ToDtTm>{day}T23:59:59+01:00</ToDtTm>
      </FrToDt>
      <Acct>
        <Id>
          <IBAN>{OWN_IBAN}</IBAN>
        </Id>
        <Ccy>EUR</Ccy>
        <Ownr>
          <Nm>BNPL Betaaldiensten B.V.</Nm>
        </Ownr>
        <Svcr>
          <FinInstnId>
            <BIC>{OWN_BIC}</BIC>
          </FinInstnId>
        </Svcr>
      </Acct>
{_balance("OPBD", opening, day)}
{_balance("CLBD", opening + total, day)}
      <TxsSummry>
        <TtlNtries>
          <NbOfNtries>{entries}</NbOfNtries>
        </TtlNtries>
      </TxsSummry>
"""
    tail = "    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n"
    data = (head + "".join(parts) + tail).encode()
    return data, {"booked": n_rf + n_number, "unmatched": n_unmatched, "rf": n_rf, "number": n_number,
                  "invoices": set(picks)}


def _balance(code: str, cents: int, day: str) -> str:
    return f"""      <Bal>
        <Tp>
          <CdOrPrtry>
            <Cd>{code}</Cd>
          </CdOrPrtry>
        </Tp>
        <Amt Ccy="EUR">{_amount(cents)}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt>
          <Dt>{day}</Dt>
        </Dt>
      </Bal>"""


# --- the children: one process per measurement, so that each has its own peak --------------

class _RollBack(Exception):
    pass


def child(mode: str, path: str, url: str, *, rollback: bool, traced: bool, profile_top: int) -> dict:
    data = Path(path).read_bytes()
    if mode == "parse":
        from bnpl.payments import camt

        rss_before = _rss_mb()
        if traced:
            import tracemalloc
            tracemalloc.start()
        with Meter() as meter:
            statements = camt.parse(data)
        out = {**meter.as_dict(), "transactions": sum(len(s.transactions) for s in statements)}
        if traced:
            out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        return {**out, "rss_before_mb": rss_before, "peak_rss_mb": _peak_mb(), "ru_maxrss_mb": _ru_maxrss_mb()}

    from sqlalchemy import text
    from sqlalchemy.orm import configure_mappers

    from bnpl.app import build_services, load_models
    from bnpl.config import Settings
    from bnpl.payments.jobs import import_statement_file
    from bnpl.payments.service import import_statement
    from bnpl.uow import unit_of_work

    instance = tempfile.mkdtemp(prefix="bench-camt-instance-")
    services = build_services(Settings.from_env({"BNPL_DATABASE_URL": url, "BNPL_SECRET_KEY": "bench-camt",
                                                 "BNPL_INSTANCE_PATH": instance}))
    load_models()
    configure_mappers()
    with services.engine.connect() as conn:  # the pool keeps this connection for the import
        conn.execute(text("SELECT 1"))
    statements: dict[str, list] = {}  # counted only in rolled-back runs (probe, profile), never in a timed one
    if rollback:
        from sqlalchemy import event

        @event.listens_for(services.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(services.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            key = " ".join(statement.split())[:90]
            slot = statements.setdefault(key, [0, 0.0])
            slot[0] += 1
            slot[1] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
    profiler = None
    if profile_top:
        import cProfile
        profiler = cProfile.Profile()
    rss_before = _rss_mb()
    counts: dict = {}
    rss_booked = 0.0
    with Meter(database_name(url)) as meter:
        if rollback:  # the probe and the profile: one transaction, rolled back
            try:
                with unit_of_work(services) as uow:
                    if profiler:
                        profiler.enable()
                    summary = import_statement(uow, data=data)
                    if profiler:
                        profiler.disable()
                    counts = dict(summary.counts)
                    rss_booked = _rss_mb()
                    raise _RollBack
            except _RollBack:
                pass
        else:  # what `bnpl payments import` runs: read the whole file, book 1,000 per transaction
            summary = import_statement_file(services, data)
            counts = dict(summary.counts)
            rss_booked = _rss_mb()
    services.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)
    out = {**meter.as_dict(), "counts": counts, "rolled_back": rollback, "rss_before_mb": rss_before,
           "rss_booked_mb": rss_booked, "peak_rss_mb": _peak_mb(),
           "ru_maxrss_mb": _ru_maxrss_mb()}
    if statements:
        out["sql_statements"] = sum(n for n, _ in statements.values())
        out["sql_seconds"] = sum(t for _, t in statements.values())
        out["sql_by_time"] = sorted(([k, n, t] for k, (n, t) in statements.items()), key=lambda r: -r[2])[:12]
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


def run_child(mode: str, path: Path, url: str, *, rollback: bool = False, traced: bool = False,
              profile_top: int = 0) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--file", str(path),
            "--database-url", url]
    argv += ["--rollback"] * rollback + ["--tracemalloc"] * traced
    argv += ["--profile-top", str(profile_top)] if profile_top else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the {mode} child failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the run ------------------------------------------------------------------------------

def check_counts(result: dict, expected: dict, what: str) -> None:
    counts = result["counts"]
    got = {"booked": counts.get("booked", 0), "unmatched": counts.get("unmatched", 0)}
    others = {k: v for k, v in counts.items() if k not in got and v}
    if got != {"booked": expected["booked"], "unmatched": expected["unmatched"]} or others:
        raise BenchError(f"{what}: import_statement gave {counts}, expected {expected['booked']} booked and "
                         f"{expected['unmatched']} unmatched: the benchmark's data is wrong")


def parse_baseline(path: Path, url: str, entries: int) -> dict:
    runs = [run_child("parse", path, url) for _ in range(PARSE_RUNS)]
    if any(r["transactions"] != entries for r in runs):
        raise BenchError(f"camt.parse read {runs[0]['transactions']} transactions, not {entries}")
    traced = run_child("parse", path, url, traced=True)
    return {"runs": runs, **_medians(runs), "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
            "entries_per_s": entries / statistics.median(r["wall_s"] for r in runs)}


def _medians(runs: list[dict]) -> dict:
    keys = ("wall_s", "cpu_s", "pg_cpu_s", "other_cores", "peak_rss_mb", "rss_before_mb")
    return {f"median_{k}": statistics.median(r[k] for r in runs) for k in keys}


def _nice_floor(n: float) -> int:
    """Round down to 1, 2 or 5 times a power of ten (at least 100)."""
    if n < 100:
        return 100
    power = 10 ** (len(str(int(n))) - 1)
    return max(step * power for step in (1, 2, 5) if step * power <= n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="open invoices (default 1,000,000)")
    parser.add_argument("--entries", type=int, default=100_000, help="statement entries (default 100,000)")
    parser.add_argument("--runs", type=int, default=1,
                        help="timed imports, each on a freshly filled database (default 1)")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds one import may take; above the probe's estimate the timed import uses "
                             "fewer entries and the full size is extrapolated (default 600; 0: no limit)")
    parser.add_argument("--probe", type=int, default=1000, help="entries of the rolled-back probe (default 1000)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, cProfile a rolled-back import of N entries and print the top 15")
    parser.add_argument("--database-url", default=os.environ.get("BNPL_BENCH_CAMT_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run in seconds (CI): 10,000 invoices, 1,000 entries, 2 imports, no targets")
    parser.add_argument("--child", choices=("parse", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--rollback", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-top", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.file, args.database_url, rollback=args.rollback,
                               traced=args.tracemalloc, profile_top=args.profile_top)))
        return 0
    if args.quick:
        args.invoices, args.entries, args.probe, args.runs = 10_000, 1_000, 100, 2
    url = args.database_url
    if database_name(url) in PROTECTED_DATABASES:
        raise BenchError(f"refusing to wipe the {database_name(url)!r} database; use a dedicated one")
    try:
        return _run(args, url)
    except BenchError as exc:
        say(f"error: {exc}")
        return 1


def _run(args, url: str) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-camt-"))
    say(f"{args.invoices:,} open invoices, statement of {args.entries:,} entries, database {database_name(url)}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    try:
        fills = []
        prepare_s = prepare_database(url)
        fills.append(fill(url, args.invoices))
        say(f"schema {prepare_s:.1f} s, fill {fills[0]['wall_s']:.1f} s (RF references and COPY "
            f"{fills[0]['rf_and_copy_s']:.1f} s; client CPU {fills[0]['cpu_s']:.1f} s, PostgreSQL CPU "
            f"{fills[0]['pg_cpu_s']:.1f} s)")

        full_path = workdir / "statement.xml"
        t0 = time.perf_counter()
        data, expected = build_statement(invoices=args.invoices, entries=args.entries, seed=SEED, tag="B")
        full_path.write_bytes(data)
        say(f"statement: {len(data) / 1e6:.1f} MB, {expected['rf']:,} RF, {expected['number']:,} number in text, "
            f"{expected['unmatched']:,} unmatched (built in {time.perf_counter() - t0:.1f} s)")
        del data

        parse_full = parse_baseline(full_path, url, args.entries)
        say(f"parse alone: median {parse_full['median_wall_s']:.2f} s of {PARSE_RUNS} (CPU "
            f"{parse_full['median_cpu_s']:.2f} s), peak RSS {parse_full['median_peak_rss_mb']:.0f} MB")

        probe = None
        run_entries = args.entries
        if args.budget and args.probe and args.entries > args.probe:
            probe_path = workdir / "probe.xml"
            probe_data, probe_expected = build_statement(invoices=args.invoices, entries=args.probe,
                                                         seed=SEED + 1, tag="P")
            probe_path.write_bytes(probe_data)
            probe = run_child("import", probe_path, url, rollback=True)
            check_counts(probe, probe_expected, "probe")
            probe["entries"] = args.probe
            probe["estimate_full_s"] = probe["wall_s"] * args.entries / args.probe
            say(f"probe: {args.probe:,} entries in {probe['wall_s']:.1f} s (rolled back, "
                f"{probe['sql_statements']} SQL statements, {probe['sql_statements'] * 1000 / args.probe:.0f} per 1,000 entries): "
                f"{args.probe / probe['wall_s']:.0f} entries/s, so about {probe['estimate_full_s']:.0f} s "
                f"for {args.entries:,}")
            if probe["estimate_full_s"] > args.budget:
                run_entries = min(args.entries, _nice_floor(args.budget / probe["wall_s"] * args.probe * 0.8))
                say(f"that is over the budget of {args.budget:.0f} s: the timed import uses {run_entries:,} entries "
                    f"against the same {args.invoices:,} invoices; full-size figures are EXTRAPOLATED")

        run_path, run_expected, parse_run = full_path, expected, parse_full
        if run_entries != args.entries:
            run_path = workdir / "statement_small.xml"
            small, run_expected = build_statement(invoices=args.invoices, entries=run_entries, seed=SEED, tag="B")
            run_path.write_bytes(small)
            del small
            parse_run = parse_baseline(run_path, url, run_entries)
            say(f"parse alone ({run_entries:,} entries): median {parse_run['median_wall_s']:.3f} s "
                f"(CPU {parse_run['median_cpu_s']:.3f} s), peak RSS {parse_run['median_peak_rss_mb']:.0f} MB")

        imports = []
        for run in range(args.runs):
            if run:
                prepare_database(url)
                fills.append(fill(url, args.invoices))
                say(f"refilled in {fills[-1]['wall_s']:.1f} s")
            result = run_child("import", run_path, url)
            check_counts(result, run_expected, "import")
            with psycopg.connect(libpq_url(url)) as conn:
                paid = conn.execute("SELECT count(*) FROM invoices WHERE status = 'paid'").fetchone()[0]
            if paid != run_expected["booked"]:
                raise BenchError(f"{paid} invoices are paid after the import, expected {run_expected['booked']}")
            imports.append(result)
            say(f"import run {run + 1}: {result['wall_s']:.1f} s, {run_entries / result['wall_s']:.0f} entries/s, "
                f"CPU {result['cpu_s']:.1f} s + PostgreSQL {result['pg_cpu_s']:.1f} s, other load "
                f"{result['other_cores']:.2f} cores, RSS {result['rss_before_mb']:.0f} MB at the start, "
                f"{result['rss_booked_mb']:.0f} after booking, "
                f"peak {result['peak_rss_mb']:.0f}")

        report = _report(args, run_entries, fills, parse_full, parse_run, imports, probe, expected)

        if args.profile:
            profile_path = workdir / "profile.xml"
            profile_data, _ = build_statement(invoices=args.invoices, entries=args.profile, seed=SEED + 2,
                                              tag="Q", exclude=run_expected["invoices"])
            profile_path.write_bytes(profile_data)
            profiled = run_child("import", profile_path, url, rollback=True, profile_top=15)
            say(f"\ncProfile of a rolled-back import of {args.profile:,} entries ({profiled['wall_s']:.1f} s "
                f"under the profiler), against the database as the import left it:")
            say(profiled["profile_cumulative"])
            say("bnpl's own functions:")
            say(profiled["profile_bnpl"])
            say(f"SQL: {profiled['sql_statements']} statements, {profiled['sql_statements'] * 1000 / args.profile:.0f} per 1,000 entries, "
                f"{profiled['sql_seconds']:.1f} s waiting for them; by time:")
            for statement, count, seconds in profiled["sql_by_time"]:
                say(f"  {seconds:6.2f} s {count:6d}x  {statement}")
            report["profile"] = {"entries": args.profile, "wall_s": profiled["wall_s"],
                                 "cumulative": profiled["profile_cumulative"], "tottime": profiled["profile_tottime"],
                                 "bnpl": profiled["profile_bnpl"], "sql_statements": profiled["sql_statements"],
                                 "sql_seconds": profiled["sql_seconds"], "sql_by_time": profiled["sql_by_time"]}

        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        say(f"wrote {RESULTS.relative_to(ROOT)}")
        return 0
    finally:
        for path in workdir.glob("*"):
            path.unlink()
        workdir.rmdir()


def _report(args, run_entries, fills, parse_full, parse_run, imports, probe, expected) -> dict:
    imp = _medians(imports)
    wall, cpu, pg = imp["median_wall_s"], imp["median_cpu_s"], imp["median_pg_cpu_s"]
    peak, before = imp["median_peak_rss_mb"], imp["median_rss_before_mb"]
    scale = args.entries / run_entries
    extrapolated = scale != 1
    full_wall = wall * scale
    booked = statistics.median(r["rss_booked_mb"] for r in imports)
    # At full size the import's peak is taken as the larger of: the parse child's peak plus
    # what the import child holds besides (SQLAlchemy, bnpl, the connection), as if the whole
    # file were read before booking, and the end of booking, where everything above the start
    # is taken as growing in proportion to the entries. Both overstate it: the import reads
    # the file a part at a time while booking.
    parse_phase_full = parse_full["median_peak_rss_mb"] + before - parse_run["median_rss_before_mb"]
    booking_full = before + (booked - before) * scale
    full_peak = max(parse_phase_full, booking_full) if extrapolated else peak
    ratio_full = full_wall / parse_full["median_wall_s"]
    ratio_run = wall / parse_run["median_wall_s"]
    label = " (EXTRAPOLATED)" if extrapolated else ""

    say("")
    say(f"{'':34} {'wall s':>9} {'CPU s':>8} {'pg CPU s':>9} {'entries/s':>10} {'peak RSS MB':>12}")
    rows = [(f"parse, {args.entries:,} entries", parse_full["median_wall_s"], parse_full["median_cpu_s"], 0.0,
             parse_full["entries_per_s"], parse_full["median_peak_rss_mb"])]
    if extrapolated:
        rows.append((f"parse, {run_entries:,} entries", parse_run["median_wall_s"], parse_run["median_cpu_s"], 0.0,
                     parse_run["entries_per_s"], parse_run["median_peak_rss_mb"]))
    rows.append((f"import, {run_entries:,} entries", wall, cpu, pg, run_entries / wall, peak))
    if extrapolated:
        rows.append((f"import, {args.entries:,} (extrapolated)", full_wall, cpu * scale, pg * scale,
                     args.entries / full_wall, full_peak))
    for name, w, c, p, rate, mb in rows:
        say(f"{name:34} {w:9.2f} {c:8.2f} {p:9.2f} {rate:10.0f} {mb:12.0f}")
    say(f"(medians: parse of {PARSE_RUNS} runs, import of {len(imports)}; against {args.invoices:,} open invoices; "
        f"fill {statistics.median(f['wall_s'] for f in fills):.0f} s, not timed; other load during the import "
        f"{imp['median_other_cores']:.2f} cores; tracemalloc peak of parse {parse_full['tracemalloc_peak_mb']:.0f} MB)")
    say(f"import memory (MB): {before:.0f} at the start (the file's bytes read), {booked:.0f} after booking, "
        f"peak {peak:.0f}")
    if extrapolated:
        say(f"  at {args.entries:,} (EXTRAPOLATED): parse phase {parse_phase_full:.0f}, end of booking "
            f"{booking_full:.0f}")
        say(f"ratio import/parse measured at {run_entries:,} entries: {ratio_run:.1f}x")
    checks = {f"import <= {TARGET_RATIO:g}x parse{label}": ratio_full <= TARGET_RATIO,
              f"peak < {TARGET_MB} MB{label}": full_peak < TARGET_MB}
    say(f"ratio import/parse {ratio_full:.1f}x{label} (target <= {TARGET_RATIO:g}x), peak {full_peak:.0f} MB{label} "
        f"(target < {TARGET_MB} MB)")
    say(targets_line(checks, args.quick))
    return {
        "config": {"invoices": args.invoices, "entries": args.entries, "timed_entries": run_entries,
                   "runs": len(imports), "statement": {k: expected[k] for k in ("rf", "number", "unmatched")},
                   "cores": os.cpu_count(), "quick": args.quick},
        "fill": fills,
        "parse": parse_full,
        "parse_timed_size": parse_run if extrapolated else None,
        "probe": probe,
        "import": {"runs": imports, **imp, "entries_per_s": run_entries / wall},
        "full_size": {"extrapolated": extrapolated, "import_wall_s": full_wall, "import_cpu_s": cpu * scale,
                      "pg_cpu_s": pg * scale, "entries_per_s": args.entries / full_wall, "peak_rss_mb": full_peak,
                      "peak_parse_phase_mb": parse_phase_full if extrapolated else None,
                      "rss_end_of_booking_mb": booking_full if extrapolated else booked,
                      "ratio_import_parse": ratio_full},
        "ratio_import_parse_timed_size": ratio_run,
        "targets": checks,
    }


if __name__ == "__main__":
    raise SystemExit(main())
