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
import idna

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
    (BNPL_WEBHOOKS_ALLOW_LOOPBACK=1); then plain http to loopback is accepted too.
    A name is looked up now as well; one that does not resolve yet is accepted (every send
    looks it up again and connects only to an address that passed)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "Not a valid URL."
    if parts.username or parts.password:
        return "Put no credentials in the URL; verify our signature instead."
    if not parts.hostname:
        return "The URL needs a host."
    if parts.scheme not in ("http", "https"):
        return "Use an https:// URL."
    host = normal_host(parts.hostname)
    if host is None:
        return "Not a valid host name."
    loopback_ok = allow_loopback and not livemode and _is_loopback(host)
    if parts.scheme == "http" and not loopback_ok:
        return "Use https; plain http is accepted only for loopback in test mode when the operator allows it."
    if _is_internal(host) and not loopback_ok:
        return "Webhooks cannot go to a loopback or private address."
    try:
        _pick(_resolve_within(host, parts.port or 443, REGISTRATION_LOOKUP_SECONDS), livemode=livemode,
              allow_loopback=allow_loopback)
    except Refused as refusal:
        return f"The host {refusal}."
    except OSError:
        pass
    return None


# --- where a host may be, and which address we connect to ----------------------------------

FULL_WIDTH_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def normal_host(host: str) -> str | None:
    """The host as a resolver reads it: full-width dots as dots, no trailing dot, lower case,
    a name in its IDNA (ASCII) form, an address in its canonical form; None if it is neither."""
    host = host.strip("[]").translate(FULL_WIDTH_DOTS).rstrip(".").lower()
    address = _address(host)
    if address is not None:
        return str(address)
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


class Refused(Exception):
    """The host is, or resolves to, an address webhooks may not go to."""


def is_public(address) -> bool:
    """A public unicast address. ``is_global`` alone lets multicast (224.0.0.1) through, and
    an IPv4 address written as IPv6 is judged as the IPv4 address it is."""
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_loopback
                                      or address.is_link_local or address.is_private or address.is_unspecified
                                      or getattr(address, "is_site_local", False))


def resolve(host: str, port: int) -> list:
    """Every address the name has now (an address literal is its own answer)."""
    address = _address(host)
    if address is not None:
        return [address]
    return [ipaddress.ip_address(info[4][0].split("%")[0])
            for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


# A registration is a web request: a resolver that does not answer must not hold the worker.
REGISTRATION_LOOKUP_SECONDS = 3


def _resolve_within(host: str, port: int, seconds: float) -> list:
    """resolve(), given up (OSError) after ``seconds``; the lookup itself ends on its own."""
    answer: list = []

    def look_up() -> None:
        try:
            answer.append(resolve(host, port))
        except OSError as exc:
            answer.append(exc)

    lookup = threading.Thread(target=look_up, daemon=True)
    lookup.start()
    lookup.join(seconds)
    if not answer or isinstance(answer[0], OSError):
        raise answer[0] if answer else OSError(f"no answer for {host} within {seconds} s")
    return answer[0]


def _pick(addresses: list, *, livemode: bool, allow_loopback: bool) -> list:
    """The addresses to connect to, in the resolver's order, if every answer may be used: all
    public, or (test mode with the operator's consent) all loopback. One bad answer refuses
    them all: a resolver that mixes a public and a private answer decides nothing for us."""
    loopback_ok = allow_loopback and not livemode and all(a.is_loopback for a in addresses)
    if not addresses or not (loopback_ok or all(is_public(a) for a in addresses)):
        raise Refused("resolves to a private address")
    return list(dict.fromkeys(addresses))


def _address(host: str):
    try:
        return ipaddress.ip_address(host)
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
    return not is_public(address)


@dataclass(frozen=True)
class Pinned:
    """Where to connect (the checked addresses, in turn) and the name to speak to there."""

    urls: tuple[str, ...]  # the URL with an address in place of the name, one per address
    host_header: str
    server_name: str | None  # for TLS: SNI and the certificate check; None for an address


def pin(url: str, *, livemode: bool, allow_loopback: bool) -> Pinned:
    """Resolve the URL's host once and check every answer; raises Refused, or OSError when
    the name does not resolve."""
    parts = urlsplit(url)
    host = normal_host(parts.hostname or "")
    if host is None:
        raise Refused("is not a valid host name")
    default_port = 443 if parts.scheme == "https" else 80
    addresses = _pick(resolve(host, parts.port or default_port), livemode=livemode, allow_loopback=allow_loopback)
    named = f"[{host}]" if ":" in host else host
    return Pinned(urls=tuple(parts._replace(netloc=f"{_shown(a)}:{parts.port or default_port}").geturl()
                             for a in addresses),
                  host_header=named if parts.port in (None, default_port) else f"{named}:{parts.port}",
                  server_name=None if _address(host) else host)


def _shown(address) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str  # the status line, or what went wrong


def post(url: str, body: bytes, *, secret: str, timestamp: int, timeout: float, livemode: bool,
         allow_loopback: bool = False) -> Sent:
    """POST a signed body once, to the address checked for this send (see pin). Only a 2xx
    answer counts; redirects are not followed; proxies from the environment are not used
    (they would resolve the name again); the answer's body is never read; the whole
    exchange, name lookup included, gets `timeout`."""
    headers = {"Content-Type": "application/json", "User-Agent": "bnpl-webhooks/1",
               SIGNATURE_HEADER: signature(secret, timestamp, body)}
    client = httpx.Client(verify=_tls(), follow_redirects=False, timeout=timeout, trust_env=False)
    outcome: list[Sent] = []

    def send() -> None:
        try:
            outcome.append(_post_pinned(client, pin(url, livemode=livemode, allow_loopback=allow_loopback),
                                        body, headers))
        except Refused as refusal:
            outcome.append(Sent(False, f"the host {refusal}"))
        except (httpx.HTTPError, OSError, RuntimeError) as exc:  # RuntimeError: we closed the client
            outcome.append(Sent(False, f"{type(exc).__name__}: {exc}"[:300]))

    # httpx's timeout is per read: a receiver trickling one byte at a time would hold the
    # worker past its lease. Past the deadline the client is closed, which ends the request.
    request = threading.Thread(target=send, daemon=True)
    request.start()
    request.join(timeout)
    client.close()
    return outcome[0] if outcome else Sent(False, f"Timeout: no complete answer within {timeout} s")


def _post_pinned(client: httpx.Client, target: Pinned, body: bytes, headers: dict) -> Sent:
    """POST to the first checked address that takes the connection (an IPv6 address this
    machine cannot reach, say, is followed by the next)."""
    extensions = {"sni_hostname": target.server_name} if target.server_name else {}
    for position, address_url in enumerate(target.urls, start=1):
        try:
            with client.stream("POST", address_url, content=body, headers={**headers, "Host": target.host_header},
                               extensions=extensions) as response:
                return Sent(200 <= response.status_code < 300, f"HTTP {response.status_code}")
        except httpx.ConnectError:
            if position == len(target.urls):
                raise


@lru_cache(maxsize=1)
def _tls():
    """One TLS context per process: loading the CA bundle costs more than most deliveries."""
    return ssl.create_default_context()
