"""Who is asking: a merchant in test or live mode. Every merchant query is filtered by it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    merchant_id: str
    livemode: bool
