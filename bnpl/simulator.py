"""The signed callback of a local simulator (the payment provider's bank page, the bank
identification): one JSON body {"reference", "status"} and an HMAC header, so a simulated
callback travels the same checked path a real provider's would."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from werkzeug.exceptions import Forbidden

SIGNATURE_HEADER = "Bnpl-Local-Signature"


class SimulatorCallbacks:
    """Signs and reads one simulator's callbacks. Its key is derived from the secret key and
    the simulator's purpose: a leaked callback key reveals nothing else."""

    def __init__(self, secret_key: str, purpose: str, outcomes: Sequence[str]):
        self._key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
        self.outcomes = tuple(outcomes)

    def signed(self, reference: str, status: str) -> tuple[dict[str, str], bytes]:
        body = json.dumps({"reference": reference, "status": status}, separators=(",", ":")).encode()
        return {"Content-Type": "application/json", SIGNATURE_HEADER: f"v1={self._sign(body)}"}, body

    def read(self, headers: Mapping[str, str], body: bytes, *, bad_signature, bad_callback,
             unchanged: str) -> tuple[str, str]:
        """(reference, status) of a callback whose signature matches; otherwise the given
        errors, saying what was left as it was (`unchanged`)."""
        sent = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(sent.strip().removeprefix("v1=").encode(), self._sign(body).encode()):
            raise bad_signature(f"The {SIGNATURE_HEADER} header does not match the body; {unchanged}.")
        try:
            data = json.loads(body)
            reference, status = data["reference"], data["status"]
        except (ValueError, TypeError, KeyError):
            raise bad_callback("The callback body is not {\"reference\": …, \"status\": …}.") from None
        if not isinstance(reference, str) or status not in self.outcomes:
            raise bad_callback(f"A callback names a reference and a status ({', '.join(self.outcomes)}).")
        return reference, status

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()


def refuse_cross_site(request, *, base_url: str) -> None:
    """A simulator's page changes things by a plain form POST: refuse one that a browser sent
    from another site's page (Sec-Fetch-Site, else Origin; a page with no referrer sends the
    Origin "null"). Programs that send neither (tests, curl) are no cross-site forgery."""
    fetched_from = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    own = {request.host_url.rstrip("/"), _origin(base_url)}
    if (fetched_from is not None and fetched_from not in ("same-origin", "none")) or (
            origin is not None and origin.rstrip("/") not in own):
        raise Forbidden("This form only takes what its own page sends.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
