"""`bnpl serve` (gunicorn) as a client meets it: the server's own refusals (a bad request
line, a too long address, too large headers) arrive as problem+json like the app's, and the
access log never shows a key sent as the HTTP Basic user."""
import base64
import json
import os
import socket
import subprocess
import sys
import time

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    port = _free_port()
    log = open(folder / "server.log", "w+")
    env = {**os.environ, "BNPL_DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(folder / "instance")}
    subprocess.run([sys.executable, "-m", "bnpl.cli", "init-db"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "serve", "--port", str(port), "--workers", "1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            time.sleep(0.2)
    yield port, folder / "server.log"
    process.terminate()
    process.wait(30)
    log.close()


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def parsed(answer: bytes) -> tuple[int, dict, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n", 431),
    (b"NOT A REQUEST LINE\r\n\r\n", 400),
])
def test_the_servers_own_refusals_are_problem_json(server, request_bytes, status):
    port, _ = server
    got, headers, body = parsed(raw(port, request_bytes))
    assert got == status
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert "<" not in body["detail"]


def test_a_key_sent_as_the_basic_user_is_not_written_to_the_access_log(server):
    port, log = server
    key = "bnpl_test_NotForTheLog4d5e6f"
    basic = base64.b64encode(f"{key}:".encode()).decode()
    answer = raw(port, f"GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\n"
                       f"Connection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 401")
    time.sleep(0.5)  # the access log line is written after the answer
    text = log.read_text()
    assert "GET /api/v1/orders" in text
    assert key not in text and basic not in text


@pytest.mark.parametrize("path", ["/portal/sign-in/Zm9vYmFyYmF6cXV4LXNpZ24taW4tdG9rZW4tZm9yLWxvZw",
                                  "/payments/local/loc_c2VjcmV0LXBheW1lbnQtcmVmZXJlbmNl",
                                  "/risk/local/idv_c2VjcmV0LWlkZW50aXR5LXJlZmVyZW5jZQ"])
def test_secrets_that_travel_in_an_address_are_cut_from_the_access_log(server, path):
    port, log = server
    secret = path.rsplit("/", 1)[1]
    raw(port, f"GET {path}?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://x{path}\r\nConnection: close\r\n\r\n".encode())
    time.sleep(0.5)
    text = log.read_text()
    assert path.rsplit("/", 1)[0] + "/" in text  # the request is logged …
    assert secret not in text and secret[4:20] not in text  # … without what it carries


@pytest.mark.parametrize("path, extra", [
    ("/api/v1/orders?limit=5", {"HTTP_AUTHORIZATION": "Basic YnBubF90ZXN0X3g6"}),
    ("/portal/sign-in/Zm9vYmFyYmF6cXV4LXNpZ24taW4tdG9rZW4", {"HTTP_REFERER": "http://x/portal/sign-in/Zm9vYmFyYmF6cXV4LXNp"}),
])
def test_the_access_line_is_gunicorns_line_with_the_user_and_secrets_cut(monkeypatch, path, extra):
    """AccessLogger builds only the atoms its lines use; the lines, text and JSON, are those of
    gunicorn's full set of atoms with the same cuts."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn import glogging
    from gunicorn.config import Config

    from bnpl import logs
    from bnpl.server import ACCESS_LOG_FORMAT, SECRET_IN_ADDRESS, AccessLogger

    monkeypatch.setattr(glogging.Logger, "now", lambda self: "[07/Dec/2026:21:30:00 +0000]")
    logger = AccessLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
               "PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2],
               "HTTP_USER_AGENT": 'shop "client" 1.0', "HTTP_HOST": "api.example", **extra}
    request = SimpleNamespace(headers=[("HOST", "api.example"), ("USER-AGENT", 'shop "client" 1.0')])
    response = SimpleNamespace(status="200 OK", sent=321, headers=[("Content-Type", "application/json"),
                                                                   ("X-Request-Id", "shop-4711")])
    took = timedelta(microseconds=2345)
    full = glogging.Logger.atoms(logger, response, request, environ, took)
    full["u"] = "-"
    for name in ("r", "U", "f"):
        full[name] = SECRET_IN_ADDRESS.sub(r"\1…", full[name])
    ours = logger.atoms(response, request, environ, took)
    assert ACCESS_LOG_FORMAT % glogging.SafeAtoms(ours) == ACCESS_LOG_FORMAT % glogging.SafeAtoms(full)
    assert logs._access(glogging.SafeAtoms(ours)) == logs._access(glogging.SafeAtoms(full))
    assert logs._access(glogging.SafeAtoms(ours))["request_id"] == "shop-4711"
    assert "YnBubF90ZXN0X3g6" not in str(ours) and "Zm9vYmFyYmF6cXV4" not in str(ours)
