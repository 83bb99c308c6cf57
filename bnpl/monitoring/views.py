"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus."""
from __future__ import annotations

import hmac
import ipaddress
import re
import uuid

from flask import Blueprint, Flask, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from bnpl import errors, logs
from bnpl.monitoring import metrics, service
from bnpl.uow import unit_of_work

bp = Blueprint("monitoring", __name__)


def configure(app: Flask) -> None:
    """Count this app's requests and read the service's state at each scrape."""
    counted = CollectorRegistry()
    metrics.RequestMetrics(counted).install(app)
    exposed = metrics.all_workers() or counted
    exposed.register(metrics.StateCollector(lambda: app.extensions["bnpl"]))
    app.extensions["bnpl_metrics"] = exposed
    app.register_blueprint(bp)
    app.before_request(_take_request_id)
    app.after_request(_return_request_id)
    app.teardown_request(_forget_request_id)


# What a client's own id may look like: anything else (quotes, line breaks) could forge log lines.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _take_request_id():
    sent = request.headers.get("X-Request-Id", "")
    logs.request_id.set(sent if CLIENT_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex)


def _forget_request_id(_exc=None):
    """A thread answers many requests: the next one's lines must not carry this id."""
    logs.request_id.set(None)


def _return_request_id(response):
    response.headers["X-Request-Id"] = logs.request_id.get() or ""
    return response


@bp.get("/healthz")
def healthz():
    """The process answers; nothing else is asked (a database outage must not restart it)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    with unit_of_work(current_app.extensions["bnpl"]) as uow:
        checks = service.readiness(uow)
    ready = all(verdict == "ok" for verdict in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_page():
    refusal = _refusal(current_app.extensions["bnpl"].settings.metrics_token)
    if refusal:
        return refusal
    body = metrics.exposition(current_app.extensions["bnpl_metrics"])
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST}


def _refusal(token: str | None):
    """With BNPL_METRICS_TOKEN: its bearer only. Without: this machine only, and not through
    a proxy (which would make every visitor look local)."""
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return None
        refused = errors.problem(401, "Unauthorized", "Send the metrics token as Authorization: Bearer …")
        refused.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if not forwarded and ipaddress.ip_address(request.remote_addr or "0.0.0.0").is_loopback:
        return None
    return errors.problem(403, "Forbidden", "Metrics answer this machine only, unless BNPL_METRICS_TOKEN is set.")
