"""Scheduled work of the returns feature: thin, batched, idempotent."""
from bnpl.returns import service
from bnpl.uow import unit_of_work


def flag_overdue_returns(services) -> int:
    """One pass: announced returns past their deadline resume their invoices."""
    with unit_of_work(services) as uow:
        return len(service.flag_overdue_returns(uow))
