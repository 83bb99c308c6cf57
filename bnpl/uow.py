"""The unit of work every service receives: one session, the clock and the settings.

Services never commit; whoever opened the unit of work (a request, a CLI command, a job)
commits once at the end, so a failure halfway changes nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from sqlalchemy.orm import Session

from bnpl.clock import Clock, local_date
from bnpl.config import Settings


@dataclass
class UnitOfWork:
    session: Session
    clock: Clock
    settings: Settings
    # Set by a service whose write must stay even if what follows fails (an API key's last
    # use); whoever opened the unit of work commits it before going on.
    commit_early: bool = False

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return local_date(self.clock.now(), self.settings.timezone)

    def local_date(self, instant: datetime) -> date:
        return local_date(instant, self.settings.timezone)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


@contextmanager
def unit_of_work(services) -> Iterator[UnitOfWork]:
    """Open a unit of work outside a request (CLI, jobs): commit on success, else roll back."""
    session = services.sessionmaker()
    uow = UnitOfWork(session=session, clock=services.clock, settings=services.settings)
    try:
        yield uow
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
