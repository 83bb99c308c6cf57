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
import ssl
import threading
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import httpx

SIGNATURE_HEADER = "Bnpl-Signature"


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


def url_problem(url: str, *, livemode: bool, allow_loopback: bool = False) -> str | None:
    """Why a webhook URL is refused, or None. https only, and never into the provider's own
    machine or private networks: the provider's servers must not be a way in. A developer
    who runs bnpl beside their shop can allow loopback for test mode
    (BNPL_WEBHOOKS_ALLOW_LOOPBACK=1); then plain http to loopback is accepted too."""
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
    if parts.scheme not in ("http", "https"):
        return "Use an https:// URL."
    loopback_ok = allow_loopback and not livemode and _is_loopback(host)
    if parts.scheme == "http" and not loopback_ok:
        return "Use https; plain http is accepted only for loopback in test mode when the operator allows it."
    if _is_internal(host) and not loopback_ok:
        return "Webhooks cannot go to a loopback or private address."
    return None


def _address(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:  # the forms inet_aton still accepts: 127.1, 2130706433, 0x7f000001
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None


def _is_loopback(host: str) -> bool:
    address = _address(host)
    return host == "localhost" if address is None else address.is_loopback


def _is_internal(host: str) -> bool:
    address = _address(host)
    if address is None:
        return host == "localhost" or host.endswith((".localhost", ".internal"))
    return not address.is_global


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str  # the status line, or what went wrong


def post(url: str, body: bytes, *, secret: str, timestamp: int, timeout: float, livemode: bool,
         allow_loopback: bool = False) -> Sent:
    """POST a signed body once. Only a 2xx answer counts; redirects are not followed; the
    answer's body is never read; the whole exchange, name lookup included, gets `timeout`."""
    headers = {"Content-Type": "application/json", "User-Agent": "bnpl-webhooks/1",
               SIGNATURE_HEADER: signature(secret, timestamp, body)}
    client = httpx.Client(verify=_tls(), follow_redirects=False, timeout=timeout)
    outcome: list[Sent] = []

    def send() -> None:
        try:
            refusal = _refuse_internal(url, livemode=livemode, allow_loopback=allow_loopback)
            if refusal:
                outcome.append(Sent(False, refusal))
                return
            with client.stream("POST", url, content=body, headers=headers) as response:
                outcome.append(Sent(200 <= response.status_code < 300, f"HTTP {response.status_code}"))
        except (httpx.HTTPError, RuntimeError) as exc:  # RuntimeError: we closed the client
            outcome.append(Sent(False, f"{type(exc).__name__}: {exc}"[:300]))

    # httpx's timeout is per read: a receiver trickling one byte at a time would hold the
    # worker past its lease. Past the deadline the client is closed, which ends the request.
    request = threading.Thread(target=send, daemon=True)
    request.start()
    request.join(timeout)
    client.close()
    return outcome[0] if outcome else Sent(False, f"Timeout: no complete answer within {timeout} s")


@lru_cache(maxsize=1)
def _tls():
    """One TLS context per process: loading the CA bundle costs more than most deliveries."""
    return ssl.create_default_context()


def _refuse_internal(url: str, *, livemode: bool, allow_loopback: bool) -> str | None:
    """Checked again at send time, on what the name resolves to now (it may have changed)."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return None  # the POST will fail and be retried
    if allow_loopback and not livemode and all(a.is_loopback for a in addresses):
        return None
    if any(not a.is_global for a in addresses):
        return "the host resolves to a private address"
    return None
