#!/usr/bin/env python
"""API flow benchmark: "create an order with 3 lines, ship it" over HTTP against
`bnpl serve` on PostgreSQL, next to the same rows written with plain psycopg SQL.

    python bench/api_flow.py [--flows N] [--runs R] [--concurrency C] [--workers W]
                             [--threads T] [--database-url URL] [--check] [--quick]

What it does (see bench/README.md):

1. Empties the bench database (DROP SCHEMA public CASCADE), runs `bnpl init-db`, creates a
   test-mode merchant with `bnpl merchants create NAME --email ADDRESS --test --json` for an API key.
2. Starts `bnpl serve` on a free loopback port and waits for /healthz.
3. Per run: N HTTP flows (POST /api/v1/orders with 3 lines, then
   POST /api/v1/orders/{id}/shipments with {}; both with an Idempotency-Key) from C client
   threads on keep-alive connections; then N baseline flows that write the same rows with
   plain psycopg 3 SQL on one connection, one transaction per request like the app.
4. Prints flows/s of both, the ratio HTTP/baseline and p50/p99 latency of POST /orders,
   per run and as the median of the runs, then stops the server (also on error or Ctrl-C).
5. Checks that the baseline writes as many rows per table as the app (a new row the app
   writes per flow, missing from the baseline, would flatter the ratio): a difference is an
   error, so a baseline that falls behind the schema fails loudly (also in --quick, which CI runs).

This is a standalone script, not a test. It never touches a database other than the one
named by --database-url (default: the `bench` database on 127.0.0.1:5432), and refuses the
`test` and `postgres` databases because it wipes the schema of the one it uses.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg.types.json import Jsonb

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
TARGET_RATIO = 0.35
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}
BUSINESS_TZ = ZoneInfo("Europe/Amsterdam")  # bnpl's default BNPL_TIMEZONE

# The three lines of every order (tests/factories.py three_lines()): total 5399 cents.
LINES = [
    {"reference": "SKU-1", "description": "Article SKU-1", "quantity": 1, "unit_price": 1999, "vat_rate": 21},
    {"reference": "SKU-2", "description": "Article SKU-2", "quantity": 2, "unit_price": 450, "vat_rate": 9},
    {"reference": "SKU-3", "description": "Article SKU-3", "quantity": 1, "unit_price": 2500, "vat_rate": 21},
]
ADDRESS = {"street": "Oudegracht", "house_number": "12a", "postal_code": "3511 AB",
           "city": "Utrecht", "country": "NL"}


def order_body(reference: str, email: str) -> dict:
    """A realistic create-order request (like tests/factories.py order(three_lines())), each
    from another person at another address: the same address on every order would be a
    velocity signal that sends them to a bank verification."""
    tag, _, number = reference.rpartition("-")
    address = {**ADDRESS, "house_number": str(int(number) + 1),
               "postal_code": f"{1000 + zlib.crc32(tag.encode()) % 8999} AB"}
    return {
        "merchant_reference": reference,
        "currency": "EUR",
        "consumer": {"email": email, "name": "Sanne de Vries", "type": "person"},
        "billing_address": address,
        "lines": [dict(line) for line in LINES],
    }


# --- output ---------------------------------------------------------------------------------

def say(message: str = "") -> None:
    print(message, flush=True)


class BenchError(RuntimeError):
    """Something went wrong that makes the figures meaningless: stop loudly."""


# --- machine CPU accounting (Linux /proc), to show who was busy ----------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot (zeros where there is no /proc)."""
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts) - idle, sum(parts)


def _process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def _postgres_pids(dbname: str) -> list[int]:
    """PostgreSQL's own processes plus the backends connected to `dbname` (not those of
    other databases, where someone else may be running a test suite)."""
    pids = []
    for entry in (os.listdir("/proc") if os.path.isdir("/proc") else []):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                words = f.read().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        hosts = [i for i, w in enumerate(words) if w.endswith(")") and "(" in w or w == "[local]"]
        if hosts and hosts[0] >= 2 and words[hosts[0] - 1] != dbname:
            continue  # a backend of another database
        pids.append(int(entry))
    return pids


class CpuMeter:
    """CPU used during a phase, in seconds: the whole machine, the bnpl server's processes,
    PostgreSQL (for this database), this client, and the rest (other load on the machine)."""

    def __init__(self, server_pid: int | None, dbname: str):
        self.server_pid, self.dbname = server_pid, dbname

    def _server_pids(self) -> list[int]:
        return [] if self.server_pid is None else [self.server_pid, *_children(self.server_pid)]

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.machine0 = _machine_ticks()
        self.server0 = {pid: _process_cpu_seconds(pid) for pid in self._server_pids()}
        self.pg0 = {pid: _process_cpu_seconds(pid) for pid in _postgres_pids(self.dbname)}
        self.client0 = time.process_time()
        return self

    def __exit__(self, *exc):
        self.client = time.process_time() - self.client0
        self.wall = time.perf_counter() - self.t0
        self.server = sum(_process_cpu_seconds(pid) - self.server0.get(pid, 0.0) for pid in self._server_pids())
        self.postgres = sum(_process_cpu_seconds(pid) - self.pg0.get(pid, 0.0) for pid in _postgres_pids(self.dbname))
        busy1, total1 = _machine_ticks()
        busy0, total0 = self.machine0
        cores = os.cpu_count() or 1
        self.machine = (busy1 - busy0) / _TICKS
        self.machine_pct = 100.0 * (busy1 - busy0) / max(total1 - total0, 1)
        self.other = max(0.0, self.machine - self.server - self.postgres - self.client)
        self.cores = cores
        return False


# --- database preparation -------------------------------------------------------------------

def libpq_url(url: str) -> str:
    """The SQLAlchemy URL without its driver, for psycopg.connect()."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def database_name(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(libpq_url(url))
    return info.get("dbname") or info.get("user") or ""


def prepare_database(url: str, env: dict, bnpl: str) -> None:
    """Create the database if needed, empty it, and create the schema with `bnpl init-db`."""
    name = database_name(url)
    if name in PROTECTED_DATABASES:
        raise BenchError(f"refusing to wipe the {name!r} database; use a dedicated one, e.g. .../bench")
    conninfo = psycopg.conninfo.conninfo_to_dict(libpq_url(url))
    admin = psycopg.conninfo.make_conninfo(**{**conninfo, "dbname": "postgres"})
    try:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            pass
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise BenchError(f"cannot connect to {name}: {exc}") from None
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        say(f"created database {name}")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    run_cli([bnpl, "init-db"], env)


def run_cli(argv: list[str], env: dict) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def create_merchant(env: dict, bnpl: str) -> dict:
    out = run_cli([bnpl, "merchants", "create", "Bench Webshop", "--email", "bench@webshop.example",
                   "--test", "--json"], env)
    return json.loads(out.strip().splitlines()[-1])


# --- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`bnpl serve` as a child process in its own session, so that Ctrl-C reaches only us
    and we stop it in order (SIGTERM to the gunicorn master, SIGKILL to its group if stuck)."""

    def __init__(self, bnpl: str, env: dict, workers: int, threads: int, log_path: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.argv = [bnpl, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--workers", str(workers), "--threads", str(threads)]
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(f"bnpl serve exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(self.base_url + "/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise BenchError(f"bnpl serve did not answer /healthz within {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the session we created for it
                proc.wait()
        self._log.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(text[-lines:])


# --- the HTTP flows -------------------------------------------------------------------------

@dataclass
class Outcome:
    flows: int
    seconds: float
    order_latencies: list[float] = field(default_factory=list)  # seconds, POST /orders only
    cpu: CpuMeter | None = None

    @property
    def flows_per_s(self) -> float:
        return self.flows / self.seconds


def _check(response: httpx.Response, what: str) -> dict:
    if response.status_code != 201:
        raise BenchError(f"{what}: expected 201, got {response.status_code}: {response.text[:2000]}")
    return response.json()


def http_flows(base_url: str, api_key: str, *, flows: int, concurrency: int, tag: str,
               server_pid: int | None = None, dbname: str = "") -> Outcome:
    """N create-and-ship flows from `concurrency` threads, each with its own keep-alive client."""
    counter = itertools.count()
    latencies: list[float] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    ready = threading.Barrier(concurrency + 1)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}

    def worker() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        try:
            with httpx.Client(base_url=base_url + "/api/v1", headers=headers, timeout=60.0,
                              limits=limits) as client:
                ready.wait()
                while not stop.is_set():
                    i = next(counter)
                    if i >= flows:
                        return
                    body = json.dumps(order_body(f"{tag}-{i:06d}", f"shopper.{tag}.{i}@example.nl"))
                    t0 = time.perf_counter()
                    response = client.post("/orders", content=body,
                                           headers={"Idempotency-Key": f"{tag}-order-{i}"})
                    latencies.append(time.perf_counter() - t0)
                    order = _check(response, f"POST /orders ({tag}-{i})")
                    if order.get("status") != "accepted":
                        raise BenchError(f"order {tag}-{i} was not accepted: {order.get('decision')}")
                    response = client.post(f"/orders/{order['id']}/shipments", content=b"{}",
                                           headers={"Idempotency-Key": f"{tag}-ship-{i}"})
                    shipment = _check(response, f"POST /orders/{order['id']}/shipments")
                    if not shipment.get("invoice", {}).get("number"):
                        raise BenchError(f"shipment of {order['id']} came without an invoice")
        except threading.BrokenBarrierError:
            pass  # another thread failed before the start
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            stop.set()
            ready.abort()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        with CpuMeter(server_pid, dbname) as cpu:
            try:
                ready.wait()
            except threading.BrokenBarrierError:
                pass
            t0 = time.perf_counter()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - t0
    except BaseException:  # Ctrl-C: let the client threads stop too
        stop.set()
        raise
    if failures:
        raise failures[0]
    return Outcome(flows=flows, seconds=seconds, order_latencies=latencies, cpu=cpu)


# --- the baseline: the same rows with plain psycopg SQL -------------------------------------

def new_id(prefix: str) -> str:
    """Same shape as bnpl.db.new_id: prefix + 24 base32 characters."""
    return f"{prefix}_{base64.b32encode(secrets.token_bytes(15)).decode().lower()}"


def rf_reference(number: str) -> str:
    """ISO 11649 creditor reference, as bnpl.invoices.models.rf_reference computes it."""
    body = "".join(ch for ch in number.upper() if ch.isalnum())
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def fingerprint(method: str, path: str, body: dict) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(f"{method} {path}\n".encode() + raw).hexdigest()


def vat_breakdown(lines: list[dict]) -> list[dict]:
    """Per rate, highest first: vat = gross × rate / (100 + rate), rounded half up."""
    gross: dict[int, int] = {}
    for line in lines:
        gross[line["vat_rate"]] = gross.get(line["vat_rate"], 0) + line["unit_price"] * line["quantity"]
    out = []
    for rate, amount in sorted(gross.items(), reverse=True):
        vat = (amount * rate * 2 + (100 + rate)) // (2 * (100 + rate))
        out.append({"rate": rate, "net": amount - vat, "vat": vat, "gross": amount})
    return out


SQL_INSERT_IDEMPOTENCY = """
INSERT INTO idempotency_keys (merchant_id, livemode, key, fingerprint, status_code, content_type, body, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""
SQL_INSERT_CONSUMER = """
INSERT INTO consumers (id, livemode, email, created_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (livemode, email) DO NOTHING RETURNING id"""
SQL_SELECT_CONSUMER = "SELECT id FROM consumers WHERE livemode = %s AND email = %s"
SQL_INSERT_ORDER = """
INSERT INTO orders (id, merchant_id, livemode, merchant_reference, consumer_id, status, currency,
                    total_cents, consumer, billing_address, shipping_address, decision, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s)"""
SQL_INSERT_ORDER_LINES = """
INSERT INTO order_lines (order_id, position, reference, description, quantity, unit_price_cents,
                         vat_rate_bp, total_cents, shipped_quantity, cancelled_quantity, returned_quantity)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0), (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0),
       (%s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0)"""
SQL_INSERT_EVENT = """
INSERT INTO events (merchant_id, livemode, type, subject_id, created_at, data) VALUES (%s, %s, %s, %s, %s, %s)"""
SQL_INSERT_EVENT_RETURNING = SQL_INSERT_EVENT + " RETURNING seq"
SQL_INSERT_RENDER_REQUEST = """
INSERT INTO document_requests (id, subject_type, subject_id, requested_at) VALUES (%s, 'invoice', %s, %s)"""
SQL_INSERT_MAIL = """
INSERT INTO outbox_messages (id, channel, kind, merchant_id, livemode, recipient, language, order_id, invoice_id,
                             subject_id, event_id, payload, status, attempts, next_attempt_at, created_at)
VALUES (%s, 'email', 'invoice_issued', %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s)"""
SQL_INSERT_PERSON = """
INSERT INTO risk_persons (livemode, created_at, limit_cents, limit_status, paid_on_time, paid_late, handovers, frauds)
VALUES (%s, %s, %s, 'growing', 0, 0, 0, 0) RETURNING id"""
SQL_INSERT_LINK = """
INSERT INTO risk_links (livemode, kind, value, person_id, strength, created_at) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING"""
SQL_INSERT_SIGHTING = """
INSERT INTO risk_sightings (livemode, kind, value, consumer_id, merchant_id, decision_id, seen_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)"""
SQL_INSERT_DECISION = """
INSERT INTO risk_decisions (id, livemode, merchant_id, order_id, consumer_id, person_id, outcome, reasons, inputs,
                            policy, policy_version, currency, amount_cents, created_at)
VALUES (%s, %s, %s, %s, %s, %s, 'accepted', %s, %s, %s, %s, 'EUR', %s, %s)"""
SQL_LOCK_ORDER = """
SELECT status, consumer_id, currency, consumer, billing_address, merchant_reference FROM orders
WHERE id = %s AND merchant_id = %s AND livemode = %s FOR UPDATE"""
SQL_SELECT_LINES = """
SELECT id, reference, description, quantity, unit_price_cents, vat_rate_bp, shipped_quantity, cancelled_quantity
FROM order_lines WHERE order_id = %s ORDER BY position"""
SQL_UPDATE_LINE = "UPDATE order_lines SET shipped_quantity = %s WHERE id = %s"
SQL_UPDATE_ORDER = "UPDATE orders SET status = %s WHERE id = %s"
SQL_INSERT_SHIPMENT = """
INSERT INTO shipments (id, order_id, merchant_id, livemode, shipped_at, delivered_at, carrier, tracking_code,
                       invoice_id, created_at)
VALUES (%s, %s, %s, %s, %s, NULL, NULL, NULL, %s, %s)"""
SQL_INSERT_SHIPMENT_LINES = """
INSERT INTO shipment_lines (shipment_id, order_line_id, quantity) VALUES (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)"""
SQL_NEXT_NUMBER = "UPDATE number_series SET last_value = last_value + 1 WHERE name = %s RETURNING last_value"
SQL_INSERT_INVOICE = """
INSERT INTO invoices (id, number, payment_reference, merchant_id, livemode, order_id, shipment_id, consumer_id,
                      status, currency, total_cents, owed_cents, billed_to, seller, order_reference, term_days,
                      issued_at, due_date, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""
SQL_INSERT_INVOICE_LINES = """
INSERT INTO invoice_lines (invoice_id, position, order_line_reference, description, quantity, unit_price_cents,
                           vat_rate_bp, total_cents)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s, %s)"""


class Baseline:
    """One psycopg connection; one transaction per request, writing what the app writes."""

    def __init__(self, url: str, merchant_id: str):
        self.conn = psycopg.connect(libpq_url(url), autocommit=False)
        self.dbname = database_name(url)
        self.merchant_id = merchant_id
        self.livemode = False
        row = self.conn.execute("SELECT invoice_term_days, transit_days, name, legal_name, address, vat_number, "
                                "coc_number FROM merchants WHERE id = %s", (merchant_id,)).fetchone()
        self.term_days, self.transit_days, name, legal_name, address, vat_number, coc_number = row
        # What the app records about the seller on every invoice (Merchant.seller_identity).
        self.seller = {"name": name, "legal_name": legal_name or name, "address": address,
                       "vat_number": vat_number, "coc_number": coc_number}
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def learn_decisions(self) -> None:
        """The app's risk decision as it stores it (inputs, policy, reasons) and shows it on the
        order, taken from one the app made: the baseline writes JSON of the same shape and size."""
        row = self.conn.execute(
            "SELECT d.reasons, d.inputs, d.policy, d.policy_version, p.limit_cents, o.decision FROM risk_decisions d "
            "JOIN risk_persons p ON p.id = d.person_id JOIN orders o ON o.id = d.order_id "
            "WHERE d.outcome = 'accepted' LIMIT 1").fetchone()
        if row is None:
            raise BenchError("baseline: the app made no accepted risk decision to learn from")
        self.reasons, self.inputs, self.policy, self.policy_version, self.limit_cents, self.order_decision = row
        self.conn.commit()

    def _series(self, year: int) -> str:
        name = f"invoice:{'live' if self.livemode else 'test'}:{year}"
        # The app upserts the series row in every ship; it exists after the first, so the
        # baseline creates it once (outside the timing) and only increments it per flow.
        self.conn.execute("INSERT INTO number_series (name, last_value) VALUES (%s, 0) "
                          "ON CONFLICT (name) DO NOTHING", (name,))
        self.conn.commit()
        return name

    def run(self, *, flows: int, tag: str) -> Outcome:
        series = self._series(datetime.now(BUSINESS_TZ).year)
        with CpuMeter(None, self.dbname) as cpu:
            t0 = time.perf_counter()
            for i in range(flows):
                order_id = self.create_order(f"{tag}-{i:06d}", f"shopper.{tag}.{i}@example.nl", f"{tag}-order-{i}")
                self.ship_order(order_id, f"{tag}-ship-{i}", series)
            seconds = time.perf_counter() - t0
        return Outcome(flows=flows, seconds=seconds, cpu=cpu)

    def create_order(self, reference: str, email: str, idem_key: str) -> str:
        conn, mid, live = self.conn, self.merchant_id, self.livemode
        request = order_body(reference, email)
        now = datetime.now(timezone.utc)
        order_id = new_id("ord")
        lines = request["lines"]
        total = sum(line["unit_price"] * line["quantity"] for line in lines)
        decision_id = new_id("rsk")
        decision = {**self.order_decision, "id": decision_id}
        response = {  # what POST /orders answers (and stores for idempotent replays)
            "id": order_id, "object": "order", "livemode": live, "merchant_reference": reference,
            "status": "accepted", "currency": "EUR", "total": total, "vat_breakdown": vat_breakdown(lines),
            "consumer": request["consumer"], "billing_address": request["billing_address"],
            "shipping_address": None,
            "lines": [{**line, "total": line["unit_price"] * line["quantity"], "shipped_quantity": 0,
                       "cancelled_quantity": 0, "returned_quantity": 0, "open_quantity": line["quantity"]}
                      for line in lines],
            "shipments": [], "decision": decision, "created_at": now.isoformat(), "cancelled_at": None,
        }
        conn.execute(SQL_INSERT_IDEMPOTENCY, (mid, live, idem_key, fingerprint("POST", "/api/v1/orders", request),
                                              201, "application/json", json.dumps(response, separators=(",", ":")), now))
        row = conn.execute(SQL_INSERT_CONSUMER, (new_id("con"), live, email.lower(), now)).fetchone()
        consumer_id = row[0] if row else conn.execute(SQL_SELECT_CONSUMER, (live, email.lower())).fetchone()[0]
        self.decide(order_id, consumer_id, request, total, decision_id, now)
        conn.execute(SQL_INSERT_ORDER, (order_id, mid, live, reference, consumer_id, "accepted", "EUR", total,
                                        Jsonb(request["consumer"]), Jsonb(request["billing_address"]),
                                        Jsonb(decision), now))
        params = []
        for position, line in enumerate(lines):
            params += [order_id, position, line["reference"], line["description"], line["quantity"],
                       line["unit_price"], line["vat_rate"] * 100, line["unit_price"] * line["quantity"]]
        conn.execute(SQL_INSERT_ORDER_LINES, params)
        conn.execute(SQL_INSERT_EVENT, (mid, live, "order.accepted", order_id, now, Jsonb(response)))
        conn.commit()
        return order_id

    def decide(self, order_id: str, consumer_id: str, request: dict, total: int, decision_id: str, now) -> None:
        """What the risk feature writes for a new person: the person, a link per identifier,
        a sighting per identifier but the consumer record, and the decision."""
        from bnpl.risk import identifiers

        conn, live = self.conn, self.livemode
        found = identifiers.of_order(consumer_id=consumer_id, consumer=request["consumer"],
                                     billing_address=request["billing_address"], shipping_address=None, context={})
        person_id = conn.execute(SQL_INSERT_PERSON, (live, now, self.limit_cents)).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(SQL_INSERT_LINK, [(live, i.kind, i.value, person_id, i.strength, now) for i in found])
            cur.executemany(SQL_INSERT_SIGHTING, [(live, i.kind, i.value, consumer_id, self.merchant_id, decision_id, now)
                                                  for i in found if i.kind != identifiers.CONSUMER])
        conn.execute(SQL_INSERT_DECISION, (decision_id, live, self.merchant_id, order_id, consumer_id, person_id,
                                           Jsonb(self.reasons), Jsonb(self.inputs), Jsonb(self.policy),
                                           self.policy_version, total, now))

    def ship_order(self, order_id: str, idem_key: str, series: str) -> None:
        conn, mid, live = self.conn, self.merchant_id, self.livemode
        now = datetime.now(timezone.utc)
        shipment_id, invoice_id = new_id("shp"), new_id("inv")
        order = conn.execute(SQL_LOCK_ORDER, (order_id, mid, live)).fetchone()
        if order is None or order[0] != "accepted":
            raise BenchError(f"baseline: order {order_id} is not there to ship ({order})")
        _status, consumer_id, currency, consumer, billing_address, merchant_reference = order
        lines = conn.execute(SQL_SELECT_LINES, (order_id,)).fetchall()
        picked = [(line, line[3] - line[6] - line[7]) for line in lines]  # open quantities
        with conn.cursor() as cur:
            cur.executemany(SQL_UPDATE_LINE, [(line[6] + qty, line[0]) for line, qty in picked])
        conn.execute(SQL_UPDATE_ORDER, ("shipped", order_id))
        conn.execute(SQL_INSERT_SHIPMENT, (shipment_id, order_id, mid, live, now, invoice_id, now))
        conn.execute(SQL_INSERT_SHIPMENT_LINES, [v for line, qty in picked for v in (shipment_id, line[0], qty)])
        shipped_on = now.astimezone(BUSINESS_TZ).date()
        due = shipped_on + timedelta(days=self.transit_days + self.term_days)
        value = conn.execute(SQL_NEXT_NUMBER, (series,)).fetchone()[0]
        number = f"{'' if live else 'TEST-'}{shipped_on.year}-{value:06d}"
        billed_to = {"name": consumer["name"], "email": consumer["email"], "type": consumer["type"],
                     "company_name": None, "vat_number": None, "language": None, "address": billing_address}
        invoice_lines = [{"reference": line[1], "description": line[2], "quantity": qty, "unit_price": line[4],
                          "vat_rate": line[5] // 100, "total": line[4] * qty} for line, qty in picked]
        total = sum(line["total"] for line in invoice_lines)
        conn.execute(SQL_INSERT_INVOICE, (invoice_id, number, rf_reference(number), mid, live, order_id, shipment_id,
                                          consumer_id, currency, total, total, Jsonb(billed_to), Jsonb(self.seller),
                                          merchant_reference, self.term_days, now, due, now))
        params = []
        for position, (line, qty) in enumerate(picked):
            params += [invoice_id, position, line[1], line[2], qty, line[4], line[5], line[4] * qty]
        conn.execute(SQL_INSERT_INVOICE_LINES, params)
        shipment = {"id": shipment_id, "object": "shipment", "order_id": order_id, "shipped_at": now.isoformat(),
                    "delivered_at": None, "carrier": None, "tracking_code": None, "invoice_id": invoice_id,
                    "lines": [{"reference": line[1], "quantity": qty} for line, qty in picked]}
        invoice = {"id": invoice_id, "object": "invoice", "livemode": live, "number": number, "status": "open",
                   "order_id": order_id, "shipment_id": shipment_id, "currency": currency,
                   "issued_at": now.isoformat(), "due_date": due.isoformat(), "paused": False,
                   "pause_reason": None, "billed_to": billed_to, "lines": invoice_lines,
                   "vat_breakdown": vat_breakdown(invoice_lines), "total": total, "credited": 0, "paid": 0,
                   "fees": 0, "interest": 0, "balance": total, "dunning_level": 0,
                   "payment_reference": rf_reference(number), "pauses": [], "charges": [], "payments": [],
                   "credit_notes": [], "extensions": [], "refund_owed": 0}
        conn.execute(SQL_INSERT_EVENT, (mid, live, "shipment.created", shipment_id, now, Jsonb(shipment)))
        event_seq = conn.execute(SQL_INSERT_EVENT_RETURNING,
                                 (mid, live, "invoice.issued", invoice_id, now, Jsonb(invoice))).fetchone()[0]
        # The PDF is rendered later by a worker; the consumer's e-mail waits in the outbox.
        conn.execute(SQL_INSERT_RENDER_REQUEST, (new_id("dreq"), invoice_id, now))
        conn.execute(SQL_INSERT_MAIL, (new_id("msg"), mid, live, consumer["email"], "nl", order_id, invoice_id,
                                       invoice_id, f"evt_{event_seq}",
                                       Jsonb({"data": invoice, "name": consumer["name"]}), now, now))
        response = {**shipment, "invoice": invoice}
        conn.execute(SQL_INSERT_IDEMPOTENCY, (mid, live, idem_key,
                                              fingerprint("POST", f"/api/v1/orders/{order_id}/shipments", {}),
                                              201, "application/json", json.dumps(response, separators=(",", ":")), now))
        conn.commit()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of the public schema (exact counts; the bench database is small)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def check_same_rows(before: dict, between: dict, after: dict) -> None:
    """The baseline must write what the app writes, table by table, or its ratio means nothing."""
    differ = {table: (between[table] - before.get(table, 0), after[table] - between[table])
              for table in after if between[table] - before.get(table, 0) != after[table] - between[table]}
    if differ:
        raise BenchError("the baseline no longer writes what the app writes (rows per table, app vs baseline): "
                         + ", ".join(f"{table} {app} vs {base}" for table, (app, base) in sorted(differ.items()))
                         + "; update Baseline in bench/api_flow.py")


# --- reporting ------------------------------------------------------------------------------

def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class RunResult:
    http: Outcome
    base: Outcome

    @property
    def ratio(self) -> float:
        return self.http.flows_per_s / self.base.flows_per_s

    @property
    def p50_ms(self) -> float:
        return percentile(self.http.order_latencies, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.http.order_latencies, 99) * 1000

    def cpu_ms(self, side: str, part: str) -> float:
        """CPU milliseconds per flow used by `part` (server, postgres, client) on one side."""
        outcome = self.http if side == "http" else self.base
        return getattr(outcome.cpu, part) / outcome.flows * 1000

    @property
    def other_cores(self) -> float:
        """Cores used by other processes on the machine (the busier of the two phases)."""
        return max(o.cpu.other / o.cpu.wall for o in (self.http, self.base))


TABLE_HEAD = (
    "        |       flows/s            | POST /orders      | CPU ms per flow             | other\n"
    "    run |   HTTP  baseline   ratio |  p50 ms   p99 ms  | HTTP: server  pg  client    | load\n"
    "        |                          |                   | base: pg  client            | cores\n"
    "--------+--------------------------+-------------------+-----------------------------+------")


def table_row(label: str, http: float, base: float, ratio: float, p50: float, p99: float,
              server: float, pg: float, client: float, base_pg: float, base_client: float, other: float) -> str:
    return (f"{label:>7} | {http:>6.1f}  {base:>8.1f}  {ratio:>6.2f} | {p50:>7.1f}  {p99:>7.1f}  | "
            f"{server:>5.1f} {pg:>4.1f} {client:>4.1f} / {base_pg:>4.1f} {base_client:>4.1f}    | {other:>4.2f}")


def result_row(label: str, r: RunResult) -> str:
    return table_row(label, r.http.flows_per_s, r.base.flows_per_s, r.ratio, r.p50_ms, r.p99_ms,
                     r.cpu_ms("http", "server"), r.cpu_ms("http", "postgres"), r.cpu_ms("http", "client"),
                     r.cpu_ms("base", "postgres"), r.cpu_ms("base", "client"), r.other_cores)


def median_row(results: list[RunResult]) -> tuple[str, dict]:
    med = statistics.median
    figures = {
        "http": med(r.http.flows_per_s for r in results),
        "base": med(r.base.flows_per_s for r in results),
        "ratio": med(r.ratio for r in results),
        "p50": med(r.p50_ms for r in results),
        "p99": med(r.p99_ms for r in results),
    }
    line = table_row("median", figures["http"], figures["base"], figures["ratio"], figures["p50"], figures["p99"],
                     med(r.cpu_ms("http", "server") for r in results),
                     med(r.cpu_ms("http", "postgres") for r in results),
                     med(r.cpu_ms("http", "client") for r in results),
                     med(r.cpu_ms("base", "postgres") for r in results),
                     med(r.cpu_ms("base", "client") for r in results),
                     med(r.other_cores for r in results))
    return line, figures


# --- main -----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", "-n", type=int, default=500, help="flows per run and side (default 500)")
    parser.add_argument("--runs", "-r", type=int, default=3, help="runs; the median is reported (default 3)")
    parser.add_argument("--concurrency", "-c", type=int, default=8,
                        help="client threads, each with one keep-alive connection (default 8)")
    parser.add_argument("--workers", "-w", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", "-t", type=int, default=2,
                        help="threads per worker; >1 uses gunicorn's gthread worker, which keeps connections "
                             "alive (sync workers close each one) (default 2)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed flows per side before the first run (default max(50, 4 x concurrency))")
    parser.add_argument("--database-url", default=os.environ.get("BNPL_BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"SQLAlchemy URL of a database the benchmark may wipe (default {DEFAULT_URL}; "
                             "or BNPL_BENCH_DATABASE_URL)")
    parser.add_argument("--check", action="store_true",
                        help=f"exit with status 1 when the median ratio is below {TARGET_RATIO}")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead of the HTTP runs: N flows in this process through Flask's test client, "
                             "timed (CPU ms per flow, SQL statements per request) and then under cProfile (top 30)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run in seconds (CI): 20 flows x 3 runs, 2 connections, 1 worker, no target")
    args = parser.parse_args(argv)
    if args.quick:
        args.flows, args.runs, args.concurrency, args.workers, args.warmup = 20, 3, 2, 1, 10
        args.check = False
    for name in ("flows", "runs", "concurrency", "workers", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup is None:
        args.warmup = max(50, 4 * args.concurrency)
    return args


def bnpl_executable() -> str:
    here = Path(sys.executable).parent / "bnpl"
    if here.exists():
        return str(here)
    raise BenchError(f"no bnpl command next to {sys.executable}; run with the project's "
                     ".venv/bin/python (after `pip install -e '.[bench]'`)")


def profile_in_process(url: str, env: dict, flows: int, bnpl: str) -> None:
    """The server's side of a flow without gunicorn, HTTP parsing or other processes: CPU ms
    per flow of this process (the Flask app and SQLAlchemy, not PostgreSQL), statements per
    request, then where the time goes."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from bnpl.app import create_app
    from bnpl.config import Settings

    prepare_database(url, env, bnpl)
    merchant = create_merchant(env, bnpl)
    app = create_app(Settings.from_env(env))
    statements = itertools.count()
    event.listen(app.extensions["bnpl"].engine, "before_cursor_execute", lambda *a: next(statements))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {merchant['api_key']}"}

    def flow(tag: str, i: int) -> None:
        body = order_body(f"{tag}-{i:06d}", f"shopper.{tag}.{i}@example.nl")
        order = client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": f"{tag}-o-{i}"})
        if order.status_code != 201:
            raise BenchError(f"POST /orders: {order.status_code} {order.get_data(as_text=True)[:1000]}")
        shipped = client.post(f"/api/v1/orders/{order.json['id']}/shipments", json={},
                              headers={**headers, "Idempotency-Key": f"{tag}-s-{i}"})
        if shipped.status_code != 201:
            raise BenchError(f"POST shipments: {shipped.status_code} {shipped.get_data(as_text=True)[:1000]}")

    for i in range(50):
        flow("warm", i)
    cpu_ms = []
    for run in range(3):
        first, t0 = next(statements), time.process_time()
        for i in range(flows):
            flow(f"t{run}", i)
        cpu_ms.append((time.process_time() - t0) * 1000 / flows)
        per_request = (next(statements) - first - 1) / flows / 2
    say(f"in process: CPU ms per flow {statistics.median(cpu_ms):.1f} (median of {', '.join(f'{c:.1f}' for c in cpu_ms)}; "
        f"{flows} flows each), {per_request:.1f} SQL statements per request")
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
    profiler.enable()
    for i in range(flows):
        flow("prof", i)
    profiler.disable()
    if os.environ.get("BNPL_BENCH_PROFILE_OUT"):  # for pstats / snakeviz
        profiler.dump_stats(os.environ["BNPL_BENCH_PROFILE_OUT"])
    stats = pstats.Stats(profiler).strip_dirs()
    # Python calls per flow: the same for the same code however busy the machine is.
    say(f"under cProfile: {stats.total_calls / flows:,.0f} Python function calls per flow")
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bnpl-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BNPL_")}
    env.update(BNPL_DATABASE_URL=args.database_url, BNPL_SECRET_KEY="bench-" + secrets.token_hex(8),
               BNPL_INSTANCE_PATH=str(workdir / "instance"))
    dbname = database_name(args.database_url)

    say(f"bnpl API flow benchmark: {args.flows} flows x {args.runs} runs, {os.cpu_count()} cores")
    say(f"server: bnpl serve, {args.workers} worker(s) x {args.threads} thread(s); "
        f"client: {args.concurrency} keep-alive connections; baseline: psycopg, 1 connection")
    say(f"database: {dbname} (schema dropped and recreated)")
    server: Server | None = None
    baseline: Baseline | None = None
    results: list[RunResult] = []
    keep_log = False
    if args.profile:
        profile_in_process(args.database_url, env, args.profile, bnpl_executable())
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    try:
        bnpl = bnpl_executable()
        prepare_database(args.database_url, env, bnpl)
        merchant = create_merchant(env, bnpl)
        server = Server(bnpl, env, args.workers, args.threads, workdir / "server.log")
        server.start()
        baseline = Baseline(args.database_url, merchant["id"])
        # Warm up both sides: every worker imports, connects and fills its caches; psycopg
        # prepares statements after 5 executions.
        http_flows(server.base_url, merchant["api_key"], flows=args.warmup, concurrency=args.concurrency,
                   tag="warm-h")
        baseline.learn_decisions()
        baseline.run(flows=args.warmup, tag="warm-b")
        say()
        say(TABLE_HEAD)
        for run in range(1, args.runs + 1):
            before = row_counts(args.database_url)
            http = http_flows(server.base_url, merchant["api_key"], flows=args.flows,
                              concurrency=args.concurrency, tag=f"h{run}", server_pid=server.pid, dbname=dbname)
            between = row_counts(args.database_url)
            base = baseline.run(flows=args.flows, tag=f"b{run}")
            check_same_rows(before, between, row_counts(args.database_url))
            results.append(RunResult(http, base))
            say(result_row(str(run), results[-1]))
    except KeyboardInterrupt:
        say("\ninterrupted; stopping the server")
        return 130
    except (BenchError, psycopg.Error, httpx.HTTPError) as exc:
        say(f"\nFAILED: {type(exc).__name__}: {exc}")
        tail = server.log_tail(15) if server else ""
        if tail:
            keep_log = True
            say(f"--- last lines of {server.log_path} (kept) ---\n{tail}")
        return 1
    finally:
        if baseline is not None:
            baseline.close()
        if server is not None:
            server.stop()
        if not keep_log:
            shutil.rmtree(workdir, ignore_errors=True)

    line, med = median_row(results)
    say("--------+--------------------------+-------------------+-----------------------------+------")
    say(line)
    say()
    say("CPU ms per flow: HTTP side = gunicorn workers, PostgreSQL (this database), this client;")
    say("base side = PostgreSQL and this client. 'other load' = cores used by everything else.")
    worst_other = max(r.other_cores for r in results)
    if worst_other > 0.25:
        say(f"warning: other processes used up to {worst_other:.2f} cores during the runs; flows/s are "
            "low and noisy, the CPU ms per flow less so. Run again on a quiet machine.")
    say(f"median: HTTP {med['http']:.1f} flows/s, baseline {med['base']:.1f} flows/s, "
        f"POST /orders p50 {med['p50']:.1f} ms, p99 {med['p99']:.1f} ms")
    if args.quick:
        say(f"ratio {med['ratio']:.2f} (quick run: no target)")
        return 0
    verdict = "ok" if med["ratio"] >= TARGET_RATIO else "BELOW TARGET"
    say(f"ratio {med['ratio']:.2f} (target >= {TARGET_RATIO}) {verdict}")
    return 1 if args.check and med["ratio"] < TARGET_RATIO else 0


def _sigterm(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _sigterm)
    sys.exit(main())
