"""/metrics in the Prometheus text format, read back with prometheus_client's own parser."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bnpl.app import create_app
from bnpl.config import Settings
from bnpl.monitoring import service as monitoring
from bnpl.uow import unit_of_work
from tests.payments.flows import ship


def scrape(client, **kwargs) -> list:
    """Every sample /metrics shows, parsed as Prometheus parses it."""
    r = client.get("/metrics", **kwargs)
    assert r.status_code == 200, r.data
    assert r.content_type.startswith("text/plain")
    return [sample for family in text_string_to_metric_families(r.get_data(as_text=True))
            for sample in family.samples]


def samples(scraped: list, name: str, **labels) -> list:
    return [s for s in scraped if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def test_requests_are_counted_by_route_and_status_with_their_latency(app, api):
    api.post("/orders", json={})  # 422
    api.get("/orders/ord_missing")  # 404 on a known route

    scraped = scrape(app.test_client())

    assert samples(scraped, "bnpl_http_requests_total", route="/api/v1/orders", method="POST", status="422")[0].value == 1
    assert samples(scraped, "bnpl_http_requests_total", route="/api/v1/orders/<order_id>", status="404")[0].value == 1
    latency = samples(scraped, "bnpl_http_request_duration_seconds_count", route="/api/v1/orders", method="POST")
    assert latency[0].value == 1


def test_an_unknown_address_is_counted_under_one_label_not_its_own(app):
    app.test_client().get("/no/such/page/12345")
    scraped = scrape(app.test_client())
    assert samples(scraped, "bnpl_http_requests_total", route="(unmatched)", status="404")[0].value == 1
    assert not [s for s in scraped if "12345" in str(s.labels)]


def test_the_outbox_the_render_queue_and_the_jobs_are_read_from_the_database(app, api, services, clock):
    ship(api)  # an invoice mail waits in the e-mail lane, its PDF in the render queue
    with unit_of_work(services) as uow:
        monitoring.record_run(uow, job="dunning", started_at=uow.now(), outcome={"examined": 7, "taken": 2})
        monitoring.record_run(uow, job=monitoring.HEARTBEAT, started_at=uow.now(), outcome=None)
        uow.commit()
    clock.advance(seconds=30)

    scraped = scrape(app.test_client())

    assert samples(scraped, "bnpl_outbox_messages", lane="email", status="pending")[0].value == 1
    assert samples(scraped, "bnpl_outbox_messages", lane="webhook", status="dead")[0].value == 0
    assert samples(scraped, "bnpl_render_queue_documents")[0].value == 1
    assert samples(scraped, "bnpl_job_last_run_timestamp_seconds", job="dunning")[0].value == pytest.approx(
        (clock.now().timestamp() - 30))
    assert samples(scraped, "bnpl_job_last_run_count", job="dunning", count="taken")[0].value == 2
    assert samples(scraped, "bnpl_scheduler_heartbeat_age_seconds")[0].value == pytest.approx(30)
    assert samples(scraped, "bnpl_bank_statement_newest_age_seconds") == []  # none imported yet: no number


def test_without_a_token_only_loopback_may_read_the_metrics(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    # A proxy on this machine makes every visitor look local: a forwarded request is not.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics").status_code == 200


def test_with_a_token_anyone_holding_it_may_read_the_metrics(services):
    settings = Settings.from_env({"BNPL_DATABASE_URL": services.settings.database_url, "BNPL_SECRET_KEY": "x",
                                  "BNPL_METRICS_TOKEN": "s3cret-scrape"})
    services.settings = settings
    client = create_app(services=services).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}

    refused = client.get("/metrics", environ_base=remote)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 401
    scrape(client, environ_base=remote, headers={"Authorization": "Bearer s3cret-scrape"})


def test_the_request_counts_still_answer_when_the_database_does_not(app, monkeypatch):
    def unreachable(uow):
        raise OSError("connection refused")

    monkeypatch.setattr(monitoring, "backlog", unreachable)

    scraped = scrape(app.test_client())

    assert samples(scraped, "bnpl_database_readable")[0].value == 0
    assert samples(scraped, "bnpl_outbox_messages") == []
