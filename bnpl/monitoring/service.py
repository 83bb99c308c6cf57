"""What the scheduler did last, whether the service is ready, and the numbers /metrics shows."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select, text

from bnpl.db import alembic_config, upsert
from bnpl.documents import service as documents
from bnpl.monitoring.models import JobRun
from bnpl.notifications import service as notifications
from bnpl.payments import service as payments
from bnpl.uow import UnitOfWork

HEARTBEAT = "heartbeat"  # the scheduler job that only says the scheduler is alive
HEARTBEAT_EVERY_SECONDS = 15
# Several missed beats, not one slow one: a heartbeat waits for a free worker thread.
HEARTBEAT_MAX_AGE_SECONDS = 120


def record_run(uow: UnitOfWork, *, job: str, started_at: datetime, outcome, error: str | None = None) -> None:
    """Overwrite the job's last pass: one row per job, so two schedulers only race to write it."""
    values = {"job": job, "started_at": started_at, "finished_at": uow.now(), "failed": error is not None,
              "counts": counts_of(outcome), "error": error[:1000] if error else None}
    statement = upsert(uow.session, JobRun.__table__).values(**values)
    uow.session.execute(statement.on_conflict_do_update(
        index_elements=["job"], set_={k: v for k, v in values.items() if k != "job"}))


def counts_of(outcome, prefix: str = "") -> dict[str, int]:
    """The numbers in what a job returned ({"examined": 7, "taken": {"reminder": 2}} ->
    examined, taken_reminder); a message (a refusal, a warning) counts as 1."""
    if dataclasses.is_dataclass(outcome):
        outcome = {f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)}
    if not isinstance(outcome, dict):
        return {}
    counts = {}
    for key, value in outcome.items():
        name = f"{prefix}{key}".replace(" ", "_")
        if isinstance(value, dict):
            counts.update(counts_of(value, f"{name}_"))
        elif isinstance(value, int) and not isinstance(value, bool):
            counts[name] = value
        elif isinstance(value, str) and value:
            counts[name] = 1
    return counts


def job_runs(uow: UnitOfWork) -> list[JobRun]:
    return list(uow.session.scalars(select(JobRun).order_by(JobRun.job)))


def heartbeat_age(uow: UnitOfWork) -> float | None:
    """Seconds since the scheduler's last heartbeat (None: never beat)."""
    beat = uow.session.get(JobRun, HEARTBEAT)
    return None if beat is None else (uow.now() - beat.finished_at).total_seconds()


def readiness(uow: UnitOfWork) -> dict[str, str]:
    """Each check's verdict, "ok" or why not: the database, the schema, the scheduler."""
    try:
        uow.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - whatever the driver raises, the answer is the same
        return {"database": "unreachable", "migrations": "unknown", "scheduler": "unknown"}
    return {"database": "ok", "migrations": _migrations(uow), "scheduler": _scheduler(uow)}


def _migrations(uow: UnitOfWork) -> str:
    database = set(uow.session.scalars(text("SELECT version_num FROM alembic_version")))
    code = code_heads()
    if database == code:
        return "ok"
    return f"database at {', '.join(sorted(database)) or 'nothing'}, code at {', '.join(sorted(code))}: run `bnpl init-db`"


@lru_cache(maxsize=1)
def code_heads() -> set[str]:
    """The newest migration(s) this code ships, read once per process."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _scheduler(uow: UnitOfWork) -> str:
    age = heartbeat_age(uow)
    if age is None:
        return "no heartbeat yet: is `bnpl scheduler` running?"
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return f"no heartbeat for {age:.0f} s (at most {HEARTBEAT_MAX_AGE_SECONDS} s expected)"
    return "ok"


@dataclasses.dataclass(frozen=True)
class Backlog:
    """The state /metrics shows, read in one unit of work."""

    outbox: dict[tuple[str, str], int]
    render_queue: int
    jobs: list[JobRun]
    heartbeat_age: float | None
    statement_age: float | None


def backlog(uow: UnitOfWork) -> Backlog:
    newest = payments.newest_import_at(uow)
    return Backlog(outbox=notifications.outbox_backlog(uow), render_queue=documents.render_backlog(uow),
                   jobs=job_runs(uow), heartbeat_age=heartbeat_age(uow),
                   statement_age=None if newest is None else (uow.now() - newest).total_seconds())
