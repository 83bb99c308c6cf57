"""/healthz (the process answers) and /readyz (it can do its work: database, schema, scheduler)."""
from __future__ import annotations

from bnpl.monitoring import service as monitoring
from bnpl.uow import unit_of_work


def _beat(services, clock, seconds_ago: int) -> None:
    clock.advance(seconds=-seconds_ago)
    with unit_of_work(services) as uow:
        monitoring.record_run(uow, job=monitoring.HEARTBEAT, started_at=uow.now(), outcome=None)
        uow.commit()
    clock.advance(seconds=seconds_ago)


def test_healthz_says_the_process_is_up_without_asking_the_database(app, services):
    services.engine.dispose()  # even a pool with nothing in it answers
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_readyz_is_ready_with_database_schema_and_a_recent_heartbeat(app, services, clock):
    _beat(services, clock, seconds_ago=10)

    r = app.test_client().get("/readyz")

    assert r.status_code == 200, r.json
    assert r.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "scheduler": "ok"}}


def test_readyz_fails_on_a_stale_heartbeat(app, services, clock):
    _beat(services, clock, seconds_ago=monitoring.HEARTBEAT_MAX_AGE_SECONDS + 1)

    r = app.test_client().get("/readyz")

    assert r.status_code == 503
    assert r.json["status"] == "not ready"
    assert r.json["checks"]["scheduler"].startswith("no heartbeat for ")


def test_readyz_fails_when_the_scheduler_never_ran(app):
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.json["checks"]["scheduler"] == "no heartbeat yet: is `bnpl scheduler` running?"


def test_readyz_fails_when_the_schema_is_behind_the_code(app, services, clock, monkeypatch):
    _beat(services, clock, seconds_ago=1)
    monkeypatch.setattr(monitoring, "code_heads", lambda: {"9999"})

    r = app.test_client().get("/readyz")

    assert r.status_code == 503
    assert r.json["checks"]["migrations"].startswith("database at ")
    assert "run `bnpl init-db`" in r.json["checks"]["migrations"]
