"""Bank identification (iDIN-style) behind one small protocol: a real provider sends the
consumer to their bank, the local one simulates the bank on our own pages. Which one is
used is configuration (``BNPL_RISK_VERIFICATION_PROVIDER``, default ``local``).

The provider reports the outcome with a signed callback to ``/risk/webhooks/<name>``;
nothing is believed unless its signature checks out."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Mapping, Protocol

from bnpl.config import Settings
from bnpl.errors import DomainError, NotFound

CONFIRMED, FAILED = "confirmed", "failed"
OUTCOMES = (CONFIRMED, FAILED)


class BadCallback(DomainError):
    status, slug, title = 400, "bad-callback", "Unusable verification provider callback"


class BadSignature(BadCallback):
    slug, title = "bad-signature", "Callback signature does not match"


@dataclass(frozen=True)
class Callback:
    reference: str
    status: str  # one of OUTCOMES


class VerificationProvider(Protocol):
    name: str
    serves_livemode: bool  # whether it identifies real people (a simulator does not)

    def start(self, *, livemode: bool) -> tuple[str, str]:
        """Register an identification; returns (reference, the URL to send the consumer to)."""

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Callback:
        """The outcome a callback reports; BadSignature when the provider did not sign it."""


class LocalVerifier:
    """A bank simulated on our own pages (``/risk/local/<reference>``): one form confirms,
    one fails. It identifies nobody, so it serves test mode only."""

    name = "local"
    SIGNATURE_HEADER = "Bnpl-Local-Signature"
    serves_livemode = False

    def __init__(self, settings: Settings):
        self.base_url = settings.base_url
        self._key = hmac.new(settings.secret_key.encode(), b"bnpl risk local verification callbacks",
                             hashlib.sha256).digest()

    def start(self, *, livemode: bool) -> tuple[str, str]:
        reference = f"idv_{secrets.token_urlsafe(24)}"
        return reference, f"{self.base_url}/risk/local/{reference}"

    def signed_callback(self, reference: str, status: str) -> tuple[dict[str, str], bytes]:
        """The callback the simulated bank sends once the consumer chose: headers and body."""
        body = json.dumps({"reference": reference, "status": status}, separators=(",", ":")).encode()
        return {"Content-Type": "application/json", self.SIGNATURE_HEADER: f"v1={self._sign(body)}"}, body

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Callback:
        sent = {k.lower(): v for k, v in headers.items()}.get(self.SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(sent.strip().removeprefix("v1=").encode(), self._sign(body).encode()):
            raise BadSignature(f"The {self.SIGNATURE_HEADER} header does not match the body; nothing was changed.")
        try:
            data = json.loads(body)
            reference, status = data["reference"], data["status"]
        except (ValueError, TypeError, KeyError):
            raise BadCallback("The callback body is not {\"reference\": …, \"status\": …}.") from None
        if not isinstance(reference, str) or status not in OUTCOMES:
            raise BadCallback(f"A callback names a reference and a status ({', '.join(OUTCOMES)}).")
        return Callback(reference, status)

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()


PROVIDERS: dict[str, type] = {"local": LocalVerifier}


def provider(settings: Settings, name: str | None = None) -> VerificationProvider:
    """The provider of this name, or the configured one."""
    name = settings.risk.verification_provider if name is None else name
    if name not in PROVIDERS:
        raise NotFound(f"No verification provider {name!r}.")
    return PROVIDERS[name](settings)
