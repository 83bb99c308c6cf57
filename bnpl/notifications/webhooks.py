"""Signed webhooks: where they may go, how they are signed, how one is sent.

Signature (as Stripe does it): ``Bnpl-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the endpoint's secret>``. A receiver recomputes it and also rejects old
timestamps, so a captured request cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import threading
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import httpx

SIGNATURE_HEADER = "Bnpl-Signature"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does; our tests use it, and merchants can copy it."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, timestamp, body).split("v1=")[1]
    given = parts.get("v1", "").encode("utf-8", "replace")  # bytes: any header text compares safely
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected.encode(), given)


def url_problem(url: str, *, livemode: bool) -> str | None:
    """Why a webhook URL is refused, or None. https only; plain http only to this machine in
    test mode (for a receiver on a developer's laptop). Live endpoints may not point into
    private networks: the provider's servers must not be a way in."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "Not a valid URL."
    if parts.username or parts.password:
        return "Put no credentials in the URL; verify our signature instead."
    if not host:
        return "The URL needs a host."
    if parts.scheme == "http":
        if livemode or host not in LOOPBACK_NAMES:
            return "Use https; plain http is accepted only for a loopback address in test mode."
        return None
    if parts.scheme != "https":
        return "Use an https:// URL."
    if livemode and _is_internal(host):
        return "Live webhooks cannot go to a loopback or private address."
    return None


def _is_internal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:  # the forms inet_aton still accepts: 127.1, 2130706433, 0x7f000001
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return host == "localhost" or host.endswith(".localhost") or host.endswith(".internal")
    return not address.is_global


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str  # the status line, or what went wrong


def post(url: str, body: bytes, *, secret: str, timestamp: int, timeout: float, livemode: bool) -> Sent:
    """POST a signed body once. Only a 2xx answer counts; redirects are not followed."""
    if livemode and _resolves_internal(url):
        return Sent(False, "the host resolves to a private address")
    headers = {"Content-Type": "application/json", "User-Agent": "bnpl-webhooks/1",
               SIGNATURE_HEADER: signature(secret, timestamp, body)}
    outcome: list[Sent] = []

    def send() -> None:
        try:
            response = _client().post(url, content=body, headers=headers, timeout=timeout)
            outcome.append(Sent(200 <= response.status_code < 300, f"HTTP {response.status_code}"))
        except httpx.HTTPError as exc:
            outcome.append(Sent(False, f"{type(exc).__name__}: {exc}"[:300]))

    # httpx's timeout is per read; a receiver trickling one byte at a time would hold the
    # worker past its lease. The whole exchange gets `timeout` seconds, then we move on.
    request = threading.Thread(target=send, daemon=True)
    request.start()
    request.join(timeout)
    return outcome[0] if outcome else Sent(False, f"Timeout: no complete answer within {timeout} s")


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    """One client per process: its connection pool and TLS context are built once, not per
    delivery (loading the CA bundle alone costs more than most deliveries)."""
    return httpx.Client(follow_redirects=False)


def _resolves_internal(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False  # the POST will fail and be retried
    return any(not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses)
