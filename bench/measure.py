"""What the benchmarks of this folder share: wall and CPU seconds of a phase (this process,
the PostgreSQL processes of one database, the rest of the machine) and a process's memory,
from Linux /proc; the database URL's parts; how a bench reports and fails. Imported by the
scripts here (their own folder is on the path when they run, children included)."""
from __future__ import annotations

import os
import resource
import time

import psycopg

_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """Busy CPU seconds of all cores since boot (0 where there is no /proc)."""
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(parts) - parts[3] - (parts[4] if len(parts) > 4 else 0)) / _TICKS


def process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError):
        return 0.0


def postgres_pids(dbname: str) -> list[int]:
    """PostgreSQL's own processes and the backends of `dbname` (not other databases')."""
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
            continue
        pids.append(int(entry))
    return pids


class Meter:
    """Wall and CPU seconds of a phase: this process, PostgreSQL (dbname), the rest."""

    def __init__(self, dbname: str | None = None):
        self.dbname = dbname

    def __enter__(self):
        self.pg0 = {pid: process_cpu(pid) for pid in postgres_pids(self.dbname)} if self.dbname else {}
        self.machine0, self.cpu0, self.t0 = machine_busy(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        pids = postgres_pids(self.dbname) if self.dbname else []
        self.pg = sum(max(0.0, process_cpu(pid) - self.pg0.get(pid, 0.0)) for pid in pids)
        self.other = max(0.0, machine_busy() - self.machine0 - self.cpu - self.pg)
        return False

    def as_dict(self) -> dict:
        return {"wall_s": self.wall, "cpu_s": self.cpu, "pg_cpu_s": self.pg, "other_cpu_s": self.other,
                "other_cores": self.other / self.wall if self.wall else 0.0}


def status_mb(field: str) -> float:
    """A /proc/self/status memory figure (kB) in MB (10^6 bytes)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def rss_mb() -> float:
    return status_mb("VmRSS")


def peak_mb() -> float:
    """This process's own peak RSS (VmHWM). getrusage's ru_maxrss is no good in a child:
    subprocess starts it with vfork + exec, and Linux carries the parent's peak over the exec."""
    return status_mb("VmHWM")


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def say(message: str = "") -> None:
    print(message, flush=True)


def targets_line(checks: dict[str, bool], quick: bool) -> str:
    """The verdict line; a quick run (CI's smoke run, far too small to mean anything) has none."""
    if quick:
        return "targets: not checked in a quick run (" + ", ".join(checks) + ")"
    return "targets: " + ", ".join(f"{check} {'ok' if met else 'MISSED'}" for check, met in checks.items())


class BenchError(RuntimeError):
    """Something went wrong that makes the figures meaningless: stop loudly."""


def libpq_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def database_name(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(libpq_url(url))
    return info.get("dbname") or info.get("user") or ""


def prepare_database(url: str, protected: set[str]) -> float:
    """Create the bench's database if missing, empty its public schema, run the migrations;
    never one of `protected` (it is wiped). Seconds."""
    from bnpl.db import upgrade

    t0 = time.perf_counter()
    name = database_name(url)
    if name in protected:
        raise BenchError(f"refusing to wipe the {name!r} database; use a dedicated one")
    try:
        with psycopg.connect(libpq_url(url), autocommit=True):
            pass
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise BenchError(f"cannot connect to {name}: {exc}") from None
        admin = psycopg.conninfo.make_conninfo(libpq_url(url), dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        say(f"created database {name}")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    upgrade(url)
    return time.perf_counter() - t0
