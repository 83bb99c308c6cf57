"""Webhooks go only where they were checked to go: the host is normalised (case, IDNA,
trailing and full-width dots), resolved once, refused when any answer is not a public
unicast address, and the connection is made to that very address, with the name kept for
the Host header and for TLS (SNI and the certificate check). A resolver that answers
differently the second time (DNS rebinding) gains nothing."""
import dataclasses
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bnpl.notifications import webhooks
from tests.conftest import ApiClient, make_merchant

ENDPOINTS = "/webhook-endpoints"
PUBLIC = "93.184.215.14"  # a public unicast address; nothing in these tests answers there


class FakeDns:
    """Answers chosen names from a script (one answer per lookup, the last one repeated; an
    answer is an address or a list of them);
    every other name goes to the real resolver. Counts the lookups of each name."""

    def __init__(self, real, answers: dict[str, list[str]]):
        self.real, self.answers, self.asked = real, answers, {}

    def __call__(self, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.asked[name] = self.asked.get(name, 0) + 1
        script = self.answers[name]
        answer = script[min(self.asked[name], len(script)) - 1]
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))
                for address in ([answer] if isinstance(answer, str) else answer)]


@pytest.fixture
def dns(monkeypatch):
    def answering(answers):
        fake = FakeDns(socket.getaddrinfo, answers)
        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return fake
    return answering


@pytest.fixture
def live_api(app, services) -> ApiClient:
    _, key = make_merchant(services, "Kaashandel Gouda", livemode=True)
    return ApiClient(app.test_client(), key)


@pytest.fixture
def strict_api(app, services) -> ApiClient:
    """Test mode on an installation that does not allow loopback (the default)."""
    services.settings = dataclasses.replace(services.settings, webhooks_allow_loopback=False)
    _, key = make_merchant(services, "Fietsenwinkel")
    return ApiClient(app.test_client(), key)


# --- registration -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://LOCALHOST./hooks",            # upper case, trailing dot
    "https://localhost../hooks",
    "https://127\u30020\u30020\u30021/hooks",  # full-width ideographic dots
    "https://127\uff0e0\uff0e0\uff0e1/hooks",  # full-width full stops
    "https://224.0.0.1/hooks",             # multicast
    "https://0.0.0.0/hooks",               # unspecified
    "https://100.64.0.1/hooks",            # shared address space (carrier NAT)
    "https://240.0.0.1/hooks",             # reserved
    "https://[ff02::1]/hooks",             # IPv6 multicast
    "https://[fe80::1]/hooks",             # IPv6 link-local
    "https://[::ffff:10.0.0.1]/hooks",     # private, written as IPv6
    "https://Metadata.Google.Internal./computeMetadata/v1/",
])
def test_registration_refuses_internal_hosts_however_they_are_written(live_api, strict_api, url):
    for api in (live_api, strict_api):
        r = api.post(ENDPOINTS, json={"url": url})
        assert r.status_code == 422, (url, r.json)
        assert list(r.json["errors"]) == ["url"]


def test_registration_refuses_multicast_even_where_loopback_is_allowed(api):
    r = api.post(ENDPOINTS, json={"url": "http://224.0.0.1/hooks"})
    assert r.status_code == 422, r.json


def test_registration_refuses_a_name_that_resolves_inside(live_api, dns):
    dns({"hooks.kaashandel.example": ["10.0.0.7"]})
    r = live_api.post(ENDPOINTS, json={"url": "https://hooks.kaashandel.example/in"})
    assert r.status_code == 422, r.json
    assert "private" in r.json["errors"]["url"][0]


def test_registration_accepts_a_name_that_resolves_to_a_public_address(live_api, dns):
    dns({"hooks.kaashandel.example": [PUBLIC]})
    r = live_api.post(ENDPOINTS, json={"url": "https://hooks.kaashandel.example/in"})
    assert r.status_code == 201, r.json


# --- sending: resolve once, connect there ------------------------------------------------------

class Listener:
    """A plain TCP listener on 127.0.0.1 that counts who connects (and hangs up)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    found = Listener()
    yield found
    found.close()


def send(url, *, livemode=True, allow_loopback=False, timeout=1.0):
    return webhooks.post(url, b"{}", secret="whsec_x", timestamp=0, timeout=timeout, livemode=livemode,
                         allow_loopback=allow_loopback)


def test_a_rebinding_resolver_cannot_turn_the_send_towards_this_machine(dns, listener):
    fake = dns({"rebind.example": [PUBLIC, "127.0.0.1"]})
    sent = send(f"https://rebind.example:{listener.port}/hooks")
    assert listener.connections == 0
    assert not sent.ok
    assert fake.asked == {"rebind.example": 1}  # looked up once, and connected to that answer


def test_a_name_that_now_resolves_inside_is_refused_at_send_time(dns, listener):
    dns({"rebind.example": ["127.0.0.1"]})
    sent = send(f"https://rebind.example:{listener.port}/hooks")
    assert listener.connections == 0
    assert sent == webhooks.Sent(False, "the host resolves to a private address")


def test_one_private_answer_among_public_ones_is_refused(monkeypatch, listener):
    def two_answers(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0)) for a in (PUBLIC, "127.0.0.1")]
    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    assert send(f"https://mixed.example:{listener.port}/hooks").detail == "the host resolves to a private address"
    assert listener.connections == 0


# --- the pinned connection keeps the name for Host and TLS ------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for shop.example (openssl, as on every machine we run on)."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-subj", "/CN=shop.example", "-addext", "subjectAltName=DNS:shop.example"],
                   check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


class TlsReceiver:
    """An HTTPS receiver on 127.0.0.1 that records the SNI name and the Host header."""

    def __init__(self, cert, key):
        self.server_names, self.hosts = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.hosts.append(self.headers["Host"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_receiver(certificate, monkeypatch):
    cert, key = certificate
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(webhooks, "_tls", lambda: trusting)
    receiver = TlsReceiver(cert, key)
    yield receiver
    receiver.close()


def test_the_pinned_connection_sends_the_name_as_host_and_sni_and_checks_the_certificate(dns, tls_receiver):
    fake = dns({"shop.example": ["127.0.0.1"]})  # loopback: allowed here, test mode with consent
    sent = send(f"https://SHOP.example.:{tls_receiver.port}/hooks", livemode=False, allow_loopback=True)
    assert sent == webhooks.Sent(True, "HTTP 204"), sent
    assert tls_receiver.server_names == ["shop.example"]
    assert tls_receiver.hosts == [f"shop.example:{tls_receiver.port}"]
    assert fake.asked == {"shop.example": 1}


def test_a_certificate_for_another_name_is_still_refused(dns, tls_receiver):
    dns({"other.example": ["127.0.0.1"]})
    sent = send(f"https://other.example:{tls_receiver.port}/hooks", livemode=False, allow_loopback=True)
    assert not sent.ok and "CERTIFICATE_VERIFY_FAILED" in sent.detail


def test_a_resolver_that_hangs_does_not_hold_the_registration(live_api, monkeypatch):
    import time

    real = socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "slow.kaashandel.example":
            time.sleep(20)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    r = live_api.post(ENDPOINTS, json={"url": "https://slow.kaashandel.example/in"})
    assert time.monotonic() - started < webhooks.REGISTRATION_LOOKUP_SECONDS + 1
    assert r.status_code == 201, r.json  # not known yet: every send looks it up and checks again


def test_when_the_first_checked_address_does_not_answer_the_next_one_is_tried(dns, receiver):
    port = receiver.server.server_address[1]
    fake = dns({"hooks.shop.example": [["127.0.0.2", "127.0.0.1"]]})  # the receiver listens on 127.0.0.1 only
    sent = send(f"http://hooks.shop.example:{port}/hooks", livemode=False, allow_loopback=True)
    assert sent == webhooks.Sent(True, "HTTP 200"), sent
    assert receiver.count() == 1 and fake.asked == {"hooks.shop.example": 1}
