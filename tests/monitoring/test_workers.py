"""/metrics under `bnpl serve` with several gunicorn workers: any worker answers the scrape,
and each answer counts the requests of all of them (prometheus_client's multiprocess mode)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bnpl.db import upgrade
from tests.test_supervisor import _free_port, _stop, _up, _wait_for


def _healthz_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "bnpl_http_requests_total" and s.labels["route"] == "/healthz")


def test_every_scrape_counts_the_requests_of_every_worker(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    upgrade(database_url := f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env = {**os.environ, "BNPL_DATABASE_URL": database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _up(f"{base}/healthz"), 60, "web service")
        before = _healthz_count(base)
        with ThreadPoolExecutor(8) as pool:  # side by side: both workers take some
            list(pool.map(lambda _: httpx.get(f"{base}/healthz", timeout=10), range(40)))
        counts = {_healthz_count(base) for _ in range(6)}
    finally:
        output = _stop(process)

    assert counts == {before + 40}, output
