"""The one scheduler process (`bnpl scheduler`): every timed job of every feature.

Web processes never start it. Each job is a pass that claims its own work (FOR UPDATE SKIP
LOCKED, leases, unique rows), so a second scheduler started by mistake does nothing twice;
it only makes the passes race for the same work.
"""
from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("bnpl.scheduler")

DUNNING_AT = (7, 0)  # local time: reminders arrive in the morning, after the night's bank statement
# The renderer's pass: a mail whose PDF is not stored yet waits for it (notifications.PDF_WAIT).
RENDER_EVERY_SECONDS = 5
# Bank statements dropped in BNPL_STATEMENT_INBOX: read well before the morning's dunning run.
STATEMENT_INBOX_EVERY_SECONDS = 180
# Consumers' e-mail replies in BNPL_SUPPORT_IMAP_URL: a question's clock runs from their arrival.
MAILBOX_EVERY_SECONDS = 120


@dataclass(frozen=True)
class Job:
    id: str
    run: object  # services -> anything worth logging
    trigger: object


DUE_NOTICES_AT = (9, 0)


def jobs(settings) -> list[Job]:
    from bnpl.disputes.jobs import check_dispute_deadlines
    from bnpl.dunning.jobs import check_payment_plans, run_dunning, send_due_notices
    from bnpl.documents.jobs import render_documents
    from bnpl.monitoring.service import HEARTBEAT, HEARTBEAT_EVERY_SECONDS
    from bnpl.notifications.jobs import deliver_mail, deliver_webhooks
    from bnpl.payments.jobs import import_inbox
    from bnpl.privacy.jobs import apply_retention
    from bnpl.portal.jobs import forget_old_tries
    from bnpl.returns.jobs import flag_overdue_returns
    from bnpl.support.jobs import read_mailbox

    tz = ZoneInfo(settings.timezone)

    def deadlines(services):
        return {"overdue returns": flag_overdue_returns(services), "payment plans": check_payment_plans(services),
                "dispute deadlines": check_dispute_deadlines(services),
                "sign-in tries forgotten": forget_old_tries(services)}

    return [
        Job("dunning", run_dunning, CronTrigger(hour=DUNNING_AT[0], minute=DUNNING_AT[1], timezone=tz)),
        # The outbox's two lanes are passes of their own: a webhook pass that waits on a slow
        # endpoint never delays the next mail pass (and each sends side by side within).
        Job("mail", deliver_mail, IntervalTrigger(seconds=settings.outbox_interval_seconds, timezone=tz)),
        Job("webhooks", deliver_webhooks, IntervalTrigger(seconds=settings.outbox_interval_seconds, timezone=tz)),
        Job("documents", render_documents, IntervalTrigger(seconds=RENDER_EVERY_SECONDS, timezone=tz)),
        Job("deadlines", deadlines, CronTrigger(minute=5, timezone=tz)),
        # In the morning, when a notice is read: before due dates, and before collections.
        Job("due_notices", send_due_notices, CronTrigger(hour=DUE_NOTICES_AT[0], minute=DUE_NOTICES_AT[1], timezone=tz)),
        Job("statements", import_inbox, IntervalTrigger(seconds=STATEMENT_INBOX_EVERY_SECONDS, timezone=tz)),
        Job("mailbox", read_mailbox, IntervalTrigger(seconds=MAILBOX_EVERY_SECONDS, timezone=tz)),
        Job("retention", apply_retention, CronTrigger(hour=3, minute=30, timezone=tz)),  # docs/privacy.md
        # Does nothing but get recorded (_logged): /readyz and /metrics see the scheduler alive.
        Job(HEARTBEAT, lambda services: None, IntervalTrigger(seconds=HEARTBEAT_EVERY_SECONDS, timezone=tz)),
    ]


def build_scheduler(services) -> BlockingScheduler:
    """A blocking scheduler with every job. A pass never runs twice at once (max_instances),
    and passes missed while busy or down are run once, not once per miss (coalesce)."""
    tz = ZoneInfo(services.settings.timezone)
    scheduler = BlockingScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                             "misfire_grace_time": None})
    for job in jobs(services.settings):
        scheduler.add_job(_logged(job, services), job.trigger, id=job.id, name=job.id,
                          **_catch_up(job, tz))
    return scheduler


def _catch_up(job: Job, tz: ZoneInfo) -> dict:
    """Started after today's dunning time (a restart, a deploy): run today's pass now rather
    than tomorrow. A second pass on one day finds nothing new, so this is always safe. What
    was asked to be rendered while the scheduler was down is rendered at once: mails wait for it."""
    now = datetime.now(tz)
    if job.id == "dunning" and (now.hour, now.minute) >= DUNNING_AT:
        return {"next_run_time": now}
    if job.id in ("documents", "statements", "heartbeat"):  # statements: before a dunning pass caught up later
        return {"next_run_time": now}
    return {}


def _logged(job: Job, services):
    def run():
        started_at, outcome, error = services.clock.now(), None, None
        try:
            outcome = job.run(services)
        except Exception as exc:  # noqa: BLE001 - logged; the next pass tries again
            log.exception("job %s failed", job.id)
            error = f"{type(exc).__name__}: {exc}"
        else:
            if outcome:
                log.info("job %s: %s", job.id, outcome)
        _record(services, job, started_at, outcome, error)
    return run


def _record(services, job: Job, started_at, outcome, error: str | None) -> None:
    """The pass's outcome for /metrics and /readyz; failing to write it must not stop the pass."""
    from bnpl.monitoring import service as monitoring
    from bnpl.uow import unit_of_work

    try:
        with unit_of_work(services) as uow:
            monitoring.record_run(uow, job=job.id, started_at=started_at, outcome=outcome, error=error)
    except Exception:  # noqa: BLE001 - the database is down: the next pass records again
        log.exception("could not record the pass of job %s", job.id)


RUN_FIRST = ("statements", "documents")


def due_once(job_ids: list[str], now: datetime) -> list[str]:
    """What `bnpl scheduler --once` runs: every pass, dunning only from its hour on (a second
    pass on one day finds nothing new, so a cron line every few minutes is safe)."""
    due = [job_id for job_id in job_ids if job_id != "dunning" or (now.hour, now.minute) >= DUNNING_AT]
    # Statements before dunning (a reminder must not cross a payment), PDFs before the mails that carry them.
    return sorted(due, key=lambda job_id: job_id not in RUN_FIRST)


def run_once(services) -> None:
    """Each pass that is due now, one after the other, then return."""
    from bnpl import logs

    logs.configure(services.settings.log_format)
    every = {job.id: job for job in jobs(services.settings)}
    for job_id in due_once(list(every), datetime.now(ZoneInfo(services.settings.timezone))):
        _logged(every[job_id], services)()


def run_scheduler(services) -> None:
    """Run until SIGINT or SIGTERM; a pass running then is finished first (it is one short
    transaction at a time), so stopping loses nothing."""
    from bnpl import logs

    logs.configure(services.settings.log_format)
    signal.signal(signal.SIGTERM, _stop)
    scheduler = build_scheduler(services)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopping: waiting for the passes running now")
        scheduler.shutdown(wait=True)
        log.info("scheduler stopped")


def _stop(signum, frame):
    raise SystemExit(0)
