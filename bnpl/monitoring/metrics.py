"""/metrics: requests counted in this process, and the service's state read at scrape time."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from bnpl.monitoring import service
from bnpl.uow import unit_of_work

log = logging.getLogger("bnpl.metrics")

UNMATCHED = "(unmatched)"  # every address no route knows: one label, not one per guess


class RequestMetrics:
    """Requests by route (the rule, not the address: ids would make a series each) and status."""

    def __init__(self, registry: CollectorRegistry):
        self.requests = Counter("bnpl_http_requests", "HTTP requests answered", ["route", "method", "status"],
                                registry=registry)
        self.latency = Histogram("bnpl_http_request_duration_seconds", "Time to answer a request",
                                 ["route", "method"], registry=registry)

    def install(self, app: Flask) -> None:
        app.before_request(_start_timer)
        app.after_request(self._observe)

    def _observe(self, response):
        route = request.url_rule.rule if request.url_rule else UNMATCHED
        self.requests.labels(route, request.method, str(response.status_code)).inc()
        if "bnpl_started" in g:
            self.latency.labels(route, request.method).observe(time.perf_counter() - g.bnpl_started)
        return response


def _start_timer():
    g.bnpl_started = time.perf_counter()


class StateCollector:
    """Gauges read from the database at each scrape, so every process shows the same numbers."""

    def __init__(self, services):
        self.services = services  # a callable: the app's services (tests swap them)

    def collect(self):
        try:
            with unit_of_work(self.services()) as uow:
                state = service.backlog(uow)
        except Exception:  # noqa: BLE001 - the request counts are still worth a scrape
            log.exception("metrics: the database could not be read")
            yield GaugeMetricFamily("bnpl_database_readable", "1 when the state below could be read", value=0)
            return
        yield GaugeMetricFamily("bnpl_database_readable", "1 when the state below could be read", value=1)
        yield from _outbox(state)
        yield GaugeMetricFamily("bnpl_render_queue_documents", "Documents waiting to be rendered",
                                value=state.render_queue)
        yield from _jobs(state)
        yield from _ages(state)


def _outbox(state):
    family = GaugeMetricFamily("bnpl_outbox_messages", "Outbox messages pending or dead, per lane",
                               labels=["lane", "status"])
    for (lane, status), count in sorted(state.outbox.items()):
        family.add_metric([lane, status], count)
    yield family


def _jobs(state):
    last = GaugeMetricFamily("bnpl_job_last_run_timestamp_seconds", "When each scheduler job last finished",
                             labels=["job"])
    failed = GaugeMetricFamily("bnpl_job_last_run_failed", "1 when the job's last pass failed", labels=["job"])
    counts = GaugeMetricFamily("bnpl_job_last_run_count", "What the job's last pass did", labels=["job", "count"])
    for run in state.jobs:
        last.add_metric([run.job], run.finished_at.timestamp())
        failed.add_metric([run.job], int(run.failed))
        for name, value in sorted(run.counts.items()):
            counts.add_metric([run.job, name], value)
    yield from (last, failed, counts)


def _ages(state):
    for name, help_text, age in [
        ("bnpl_scheduler_heartbeat_age_seconds", "Seconds since the scheduler's last heartbeat", state.heartbeat_age),
        ("bnpl_bank_statement_newest_age_seconds", "Seconds since the newest bank statement was imported",
         state.statement_age),
    ]:
        family = GaugeMetricFamily(name, help_text)
        if age is not None:  # never: no sample, rather than a made-up number
            family.add_metric([], age)
        yield family


def all_workers() -> CollectorRegistry | None:
    """Under `bnpl serve` (PROMETHEUS_MULTIPROC_DIR set): the counts of every worker."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
