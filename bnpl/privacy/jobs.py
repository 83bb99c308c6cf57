"""The nightly retention pass (scheduled in bnpl/scheduler.py)."""
from __future__ import annotations

from bnpl.privacy import service
from bnpl.uow import unit_of_work


def apply_retention(services) -> dict[str, int]:
    with unit_of_work(services) as uow:
        return service.purge_expired(uow)
