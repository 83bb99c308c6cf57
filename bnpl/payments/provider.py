"""Payment providers (iDEAL-style redirects) behind one small protocol: a real one talks to a
payment service provider, the local one simulates a bank on our own pages. Which one starts
new checkouts is configuration (``BNPL_PAYMENT_PROVIDER``, default ``local``).

A provider tells us the outcome with a signed callback to ``/payments/webhooks/<name>``;
nothing is booked unless its signature checks out."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping, Protocol

from bnpl.config import Settings
from bnpl.errors import Conflict, DomainError, NotFound
from bnpl.simulator import SIGNATURE_HEADER, SimulatorCallbacks

# What a callback may report; "paid" means the money was taken from the consumer.
PAID, FAILED, CANCELLED, EXPIRED = "paid", "failed", "cancelled", "expired"
OUTCOMES = (PAID, FAILED, CANCELLED, EXPIRED)


class BadCallback(DomainError):
    status, slug, title = 400, "bad-callback", "Unusable payment provider callback"


class BadSignature(BadCallback):
    slug, title = "bad-signature", "Callback signature does not match"


class LiveModeRefused(Conflict):
    slug, title = "provider-test-mode-only", "The payment provider takes no real money"


@dataclass(frozen=True)
class Callback:
    provider_reference: str
    status: str  # one of OUTCOMES


class PaymentProvider(Protocol):
    name: str
    serves_livemode: bool  # whether it moves real money (a simulator does not)

    def start(self, checkout) -> str:
        """Register the payment with the provider: sets ``checkout.provider_reference`` and
        returns the URL to send the consumer to (their bank's confirm page)."""

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Callback:
        """The outcome a callback reports; raises BadSignature when it was not signed by the
        provider (and BadCallback when it cannot be read)."""


class LocalProvider:
    """A bank simulated on our own pages (``/payments/local/<reference>``), for a first run,
    a demo and a shop's integration tests. It moves no money, so it refuses live mode."""

    name = "local"
    SIGNATURE_HEADER = SIGNATURE_HEADER
    serves_livemode = False

    def __init__(self, settings: Settings):
        self.base_url = settings.base_url
        self._callbacks = SimulatorCallbacks(settings.secret_key, "bnpl payments local provider callbacks", OUTCOMES)

    def start(self, checkout) -> str:
        if checkout.livemode:
            raise LiveModeRefused("The local payment provider only simulates a bank and takes no real money, so it "
                               "serves test mode only. Configure a real provider (BNPL_PAYMENT_PROVIDER) for live mode.")
        checkout.provider_reference = f"loc_{secrets.token_urlsafe(24)}"
        return f"{self.base_url}/payments/local/{checkout.provider_reference}"

    def signed_callback(self, provider_reference: str, status: str) -> tuple[dict[str, str], bytes]:
        """The callback the simulated bank sends after the consumer decided: headers and body."""
        return self._callbacks.signed(provider_reference, status)

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Callback:
        reference, status = self._callbacks.read(headers, body, bad_signature=BadSignature, bad_callback=BadCallback,
                                                 unchanged="nothing was booked")
        return Callback(provider_reference=reference, status=status)


PROVIDERS: dict[str, type] = {"local": LocalProvider}


def payment_provider(settings: Settings, name: str | None = None) -> PaymentProvider:
    """The provider of this name, or the configured one that starts new checkouts."""
    name = settings.payment_provider if name is None else name
    if name not in PROVIDERS:
        raise NotFound(f"No payment provider {name!r}.")
    return PROVIDERS[name](settings)
