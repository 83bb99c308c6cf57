"""`bnpl run` (bnpl/supervisor.py): web and scheduler under one process, as `make run` starts
them. Started for real: a subprocess, a real SMTP server, the merchant API over HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bnpl.db import upgrade
from bnpl.supervisor import Child, Supervisor
from tests import factories
from tests.notifications.conftest import SmtpServer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(tmp_path, smtp):
    database_url = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    upgrade(database_url)
    return {**os.environ, "BNPL_DATABASE_URL": database_url, "BNPL_SECRET_KEY": "test-secret",
            "BNPL_INSTANCE_PATH": str(tmp_path / "instance"), "BNPL_SMTP_URL": smtp.url,
            "BNPL_TEST_MODE_MAIL": "send", "BNPL_OUTBOX_INTERVAL_SECONDS": "1", "BNPL_WEB_WORKERS": "1"}


def _bnpl(env, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "bnpl.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s")


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return "did not stop within 60 s of SIGTERM:\n" + process.communicate()[0]


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def test_bnpl_run_serves_the_api_and_mails_the_invoice_with_its_pdf_then_stops_on_sigterm(env, smtp):
    key = json.loads(_bnpl(env, "merchants", "create", "Fietsenwinkel", "--email", "shop@example.com", "--test", "--json"))["api_key"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "run", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _up(f"{base}/healthz"), 60, "web service")
        api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        order = api.post("/orders", json=factories.order()).json()
        assert order["status"] == "accepted", order
        assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201
        mail = _wait_for(lambda: smtp.messages, 60, "invoice mail")[0]
        _wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, 30, "readiness (scheduler heartbeat)")
    finally:
        output = _stop(process)

    assert process.returncode == 0, output
    assert [p.get_content_type() for p in mail.iter_attachments()][0] == "application/pdf", output
    pids = [int(pid) for pid in re.findall(r"started (?:web|scheduler) \(pid (\d+)\)", output)]
    assert len(pids) == 2, output
    assert not any(_alive(pid) for pid in pids), output
    assert "web stopped" in output and "scheduler stopped" in output, output


def test_a_crashed_child_is_restarted_and_logged(caplog):
    supervisor = Supervisor([Child("flaky", [sys.executable, "-c", "raise SystemExit(3)"])],
                            restart_delay=0.01)
    supervisor.start()
    try:
        _wait_for(lambda: supervisor.restarts["flaky"] >= 2, 10, "restart")
    finally:
        supervisor.stop()

    assert "flaky exited with code 3; restarting" in caplog.text


def test_stopping_ends_every_child(tmp_path):
    supervisor = Supervisor([Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])])
    supervisor.start()
    pid = supervisor.processes["sleeper"].pid
    supervisor.stop()

    assert not _alive(pid)


def test_ctrl_c_stops_the_supervisor_and_its_children(tmp_path):
    """SIGINT (Ctrl-C) stops the supervisor as SIGTERM does: each child is ended with SIGTERM,
    gunicorn's graceful stop (its SIGINT would be the quick one)."""
    code = ("import logging, sys; from bnpl.supervisor import Child, Supervisor; "
            "logging.basicConfig(level=logging.INFO); "
            "Supervisor([Child('sleeper', [sys.executable, '-c', 'import time; time.sleep(60)'])]).run_until_signalled()")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid = int(_wait_for(lambda: re.search(r"started sleeper \(pid (\d+)\)", process.stdout.readline() or ""),
                        30, "child")[1])
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]

    assert process.returncode == 0 and "sleeper stopped (exit code -15)" in output, output
    assert not _alive(pid)
