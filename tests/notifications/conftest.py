"""Fixtures for the notification tests."""
from __future__ import annotations

# --- SMTP ---
# A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, can refuse a
# recipient for good (550) and can be stopped and started again to play an outage.
# Loopback, so the mailer may talk to it without STARTTLS.
import dataclasses
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _SmtpHandler:
    def __init__(self):
        self.received: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: dict[str, str] = {}
        self.data_seen: list[bytes] = []  # every DATA, also those answered with a failure
        self.data_replies: list[str] = []  # replies to use, in turn, instead of accepting

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return self.refused[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen.append(envelope.content)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    """What a test sees: ``messages`` (parsed, accepted ones), ``envelopes``, ``refuse(address)``,
    ``handler.data_replies`` (fail the next DATA), ``stop()``/``start()`` (same port)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.handler = _SmtpHandler()
        self.host = host
        self.port = _free_port(host)
        self.url = f"smtp://{host}:{self.port}"
        self._controller = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.handler.refused[address.lower()] = reply

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.handler.received]

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return list(self.handler.envelopes)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_services(services, smtp_server):
    """The same database and clock as ``services``, with BNPL_SMTP_URL at the test server:
    pass it to deliver_outbox to send over real SMTP."""
    return dataclasses.replace(services, settings=dataclasses.replace(services.settings, smtp_url=smtp_server.url))

# --- end SMTP ---


# --- HTTP receiver ---
# A real webhook receiver on 127.0.0.1 (a free port), in a thread: it records every request
# as (headers, body) and answers with a status and after a delay that a test can change.
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import pytest  # noqa: E402


class Receiver:
    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 200
        self.delay = 0.0  # seconds before answering
        self.location: str | None = None  # sent with a 3xx
        self.trickle: tuple[int, float] | None = None  # answer 200 with a body of n bytes, one per interval
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status, delay, location = receiver.status, receiver.delay, receiver.location
                    trickle = receiver.trickle
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", str(trickle[0] if trickle else 2))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(b"ok")
                    for _ in range(trickle[0] if trickle else 0):
                        self.wfile.flush()
                        time.sleep(trickle[1])
                        self.wfile.write(b".")
                except OSError:  # the sender gave up (timeout) or was killed
                    pass

            def log_message(self, *args):
                pass

        return Handler

    @property
    def bodies(self) -> list[dict]:
        with self._lock:
            return [json.loads(body) for _, body in self.requests]

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                return True
            time.sleep(0.01)
        return False


@pytest.fixture
def receiver():
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    thread.join(5)

# --- end HTTP receiver ---
