"""BNPL_LOG_FORMAT=json (bnpl/logs.py): one JSON object a line, with the request's id, which the
client may send (X-Request-Id) and always gets back."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import httpx
import pytest

from bnpl import logs
from bnpl.config import Settings
from tests.test_supervisor import _free_port, _stop, _up, _wait_for


@pytest.fixture
def json_lines():
    """What the `bnpl` loggers write, formatted as BNPL_LOG_FORMAT=json formats it."""
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logger = logging.getLogger("bnpl")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.fixture
def logging_app(app):
    @app.get("/test-logs")
    def test_logs():
        logging.getLogger("bnpl.orders").info("order %s accepted", "ord_1")
        return "ok"
    return app


def test_the_setting_is_text_or_json():
    assert Settings.from_env({"BNPL_DATABASE_URL": "sqlite://", "BNPL_SECRET_KEY": "x"}).log_format == "text"
    assert Settings.from_env({"BNPL_DATABASE_URL": "sqlite://", "BNPL_SECRET_KEY": "x",
                              "BNPL_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(SystemExit):
        Settings.from_env({"BNPL_DATABASE_URL": "sqlite://", "BNPL_SECRET_KEY": "x", "BNPL_LOG_FORMAT": "xml"})


def test_a_line_logged_while_answering_carries_the_request_id_the_client_sent(logging_app, json_lines):
    r = logging_app.test_client().get("/test-logs", headers={"X-Request-Id": "shop-4711"})

    assert r.headers["X-Request-Id"] == "shop-4711"
    line = json_lines()[-1]
    assert line["message"] == "order ord_1 accepted"
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "bnpl.orders", "shop-4711")
    assert line["time"].endswith("Z")


def test_without_one_or_with_an_unsafe_one_the_request_gets_an_id_of_ours(logging_app, json_lines):
    client = logging_app.test_client()
    made = client.get("/test-logs").headers["X-Request-Id"]
    forged = client.get("/test-logs", headers={"X-Request-Id": 'x", "level": "ERROR'}).headers["X-Request-Id"]
    too_long = client.get("/test-logs", headers={"X-Request-Id": "a" * 65}).headers["X-Request-Id"]

    assert {len(made), len(forged), len(too_long)} == {32} and len({made, forged, too_long}) == 3
    assert [line["request_id"] for line in json_lines()] == [made, forged, too_long]


def test_outside_a_request_a_line_has_no_request_id(json_lines):
    logging.getLogger("bnpl.scheduler").info("job mail: 3 sent")
    assert "request_id" not in json_lines()[-1]


def test_an_exception_is_one_line_with_its_traceback(json_lines):
    try:
        raise ValueError("bad statement")
    except ValueError:
        logging.getLogger("bnpl.payments").exception("import failed")
    line = json_lines()[-1]
    assert "ValueError: bad statement" in line["exception"]


def test_bnpl_serve_writes_json_lines_with_the_request_id_in_the_access_log(tmp_path):
    port = _free_port()
    env = {**os.environ, "BNPL_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(tmp_path / "instance"), "BNPL_LOG_FORMAT": "json"}
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "serve", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), 60, "web service")
        httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "probe-1"})
    finally:
        output = _stop(process)

    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    access = [line for line in lines if line.get("request_id") == "probe-1"]
    assert access and access[0]["logger"] == "gunicorn.access" and access[0]["status"] == "200", output
