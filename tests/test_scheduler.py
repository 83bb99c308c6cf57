"""The one scheduler (bnpl/scheduler.py, `bnpl scheduler`): which passes it runs when, that
it really runs them, and that web processes never start it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bnpl.monitoring import service as monitoring
from bnpl.scheduler import Job, _logged, build_scheduler
from bnpl.uow import unit_of_work
from tests.payments.flows import ship

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_it_runs_dunning_daily_the_outbox_every_few_seconds_deadlines_hourly_and_the_statement_inbox(services):
    jobs = {job.id: job for job in build_scheduler(services).get_jobs()}

    assert set(jobs) == {"dunning", "mail", "webhooks", "documents", "deadlines", "due_notices", "statements",
                         "mailbox", "heartbeat", "retention"}
    assert jobs["heartbeat"].trigger.interval.total_seconds() == 15  # /readyz: alive within 2 minutes
    assert jobs["statements"].trigger.interval.total_seconds() == 180  # every few minutes
    assert jobs["mailbox"].trigger.interval.total_seconds() == 120  # consumers' e-mail replies (IMAP)
    for lane in ("mail", "webhooks"):  # separate passes: a slow endpoint never delays a mail pass
        assert isinstance(jobs[lane].trigger, IntervalTrigger)
        assert jobs[lane].trigger.interval.total_seconds() == 5
    assert jobs["documents"].trigger.interval.total_seconds() == 5  # mails with a PDF wait for it
    assert isinstance(jobs["deadlines"].trigger, CronTrigger)
    assert str(jobs["deadlines"].trigger.fields[6]) == "5"  # minute 5 of every hour
    assert (str(jobs["due_notices"].trigger.fields[5]), str(jobs["due_notices"].trigger.fields[6])) == ("9", "0")


def test_dunning_runs_at_seven_in_amsterdam_also_on_the_day_the_clocks_change(services):
    dunning = next(job for job in build_scheduler(services).get_jobs() if job.id == "dunning").trigger

    before_dst = dunning.get_next_fire_time(None, datetime(2026, 3, 28, 8, 0, tzinfo=AMSTERDAM))
    after_dst = dunning.get_next_fire_time(None, datetime(2026, 10, 25, 1, 0, tzinfo=AMSTERDAM))

    assert before_dst.isoformat() == "2026-03-29T07:00:00+02:00"  # summer time began that night
    assert after_dst.isoformat() == "2026-10-25T07:00:00+01:00"  # winter time began that night


def test_the_scheduler_process_delivers_what_is_waiting(api, services, settings):
    ship(api)  # the consumer's invoice e-mail waits in the outbox
    outbox = settings.instance_path / "outbox"
    env = {**os.environ, "BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test-secret",
           "BNPL_INSTANCE_PATH": str(settings.instance_path), "BNPL_OUTBOX_INTERVAL_SECONDS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "scheduler"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(outbox.glob("*.eml")):
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)  # what a supervisor sends: the pass running ends first
        try:
            output = process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = "did not stop within 60 s of SIGTERM:\n" + process.communicate()[0]

    assert len(list(outbox.glob("*.eml"))) == 1, output
    assert process.returncode == 0 and "scheduler stopped" in output, output
    assert "scheduler started with jobs: dunning, mail, webhooks, documents, deadlines, due_notices, statements" in output


def test_a_web_process_never_starts_a_scheduler(settings):
    code = ("from bnpl.app import create_app; from bnpl.config import Settings; import sys; "
            f"create_app(Settings.from_env({{'BNPL_DATABASE_URL': {settings.database_url!r}, "
            "'BNPL_SECRET_KEY': 'x'})); print(sorted(m for m in sys.modules if m.startswith('apscheduler')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_each_pass_is_recorded_with_its_counts_for_metrics(services):
    _logged(Job("dunning", lambda services: {"examined": 7, "taken": {"reminder": 2}}, None), services)()

    with unit_of_work(services) as uow:
        run = {r.job: r for r in monitoring.job_runs(uow)}["dunning"]
    assert (run.failed, run.counts) == (False, {"examined": 7, "taken_reminder": 2})


def test_a_failed_pass_is_recorded_as_failed_with_its_error(services):
    def broken(services):
        raise RuntimeError("bank folder unreadable")

    _logged(Job("statements", broken, None), services)()

    with unit_of_work(services) as uow:
        run = {r.job: r for r in monitoring.job_runs(uow)}["statements"]
    assert run.failed and "bank folder unreadable" in run.error


def test_once_runs_every_pass_that_is_due_and_exits(api, services, settings):
    ship(api)  # the invoice e-mail waits for its PDF, then for the mail pass
    env = {**os.environ, "BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test-secret",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}

    done = subprocess.run([sys.executable, "-m", "bnpl.cli", "scheduler", "--once"], env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert len(list((settings.instance_path / "outbox").glob("*.eml"))) == 1, done.stderr  # rendered, then sent
    with unit_of_work(services) as uow:
        ran = {run.job for run in monitoring.job_runs(uow)}
    assert {"documents", "mail", "webhooks", "deadlines", "statements", "retention", "heartbeat"} <= ran


def test_once_leaves_dunning_for_its_hour():
    from bnpl.scheduler import due_once

    assert "dunning" not in due_once(["dunning", "mail"], datetime(2026, 11, 23, 6, 59, tzinfo=AMSTERDAM))
    assert due_once(["dunning", "mail", "documents", "statements"], datetime(2026, 11, 23, 7, 0, tzinfo=AMSTERDAM)) == [
        "documents", "statements", "dunning", "mail"]  # bank statements before dunning, PDFs before mail
