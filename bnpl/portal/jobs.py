"""The portal's timed work: forgetting sign-in tries that no limit looks at any more."""
from __future__ import annotations

from bnpl.portal import service
from bnpl.uow import unit_of_work


def forget_old_tries(services) -> int:
    with unit_of_work(services) as uow:
        return service.forget_old_tries(uow)
