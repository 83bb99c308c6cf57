"""Scheduled work of the disputes feature: thin, batched, idempotent."""
from bnpl.disputes import service
from bnpl.uow import unit_of_work


def check_dispute_deadlines(services) -> int:
    """Cases whose awaited party let the deadline pass go to a mediator (or, when small and
    the webshop was silent, are decided for the consumer). Batch by batch, each committed."""
    handled = 0
    while True:
        with unit_of_work(services) as uow:
            batch = len(service.check_deadlines(uow, limit=200))
        handled += batch
        if batch < 200:
            return handled
