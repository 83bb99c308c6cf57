"""Bank identification (iDIN-style) behind one small protocol: a real provider sends the
consumer to their bank, the local one simulates the bank on our own pages. Which one is
used is configuration (``BNPL_RISK_VERIFICATION_PROVIDER``, default ``local``).

The provider reports the outcome with a signed callback to ``/risk/webhooks/<name>``;
nothing is believed unless its signature checks out."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping, Protocol

from bnpl.config import Settings
from bnpl.errors import DomainError, NotFound
from bnpl.simulator import SIGNATURE_HEADER, SimulatorCallbacks

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
    SIGNATURE_HEADER = SIGNATURE_HEADER
    serves_livemode = False

    def __init__(self, settings: Settings):
        self.base_url = settings.base_url
        self._callbacks = SimulatorCallbacks(settings.secret_key, "bnpl risk local verification callbacks", OUTCOMES)

    def start(self, *, livemode: bool) -> tuple[str, str]:
        reference = f"idv_{secrets.token_urlsafe(24)}"
        return reference, f"{self.base_url}/risk/local/{reference}"

    def signed_callback(self, reference: str, status: str) -> tuple[dict[str, str], bytes]:
        """The callback the simulated bank sends once the consumer chose: headers and body."""
        return self._callbacks.signed(reference, status)

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Callback:
        return Callback(*self._callbacks.read(headers, body, bad_signature=BadSignature, bad_callback=BadCallback,
                                              unchanged="nothing was changed"))


PROVIDERS: dict[str, type] = {"local": LocalVerifier}


def provider(settings: Settings, name: str | None = None) -> VerificationProvider:
    """The provider of this name, or the configured one."""
    name = settings.risk.verification_provider if name is None else name
    if name not in PROVIDERS:
        raise NotFound(f"No verification provider {name!r}.")
    return PROVIDERS[name](settings)
