"""consumers.identify: an address gets one record, and exactly one caller is told it created
it, also when two transactions create it at the same moment."""
from __future__ import annotations

import threading

import pytest

from bnpl.consumers import service as consumers
from bnpl.uow import unit_of_work


def test_an_address_is_created_once_and_found_afterwards(services):
    with unit_of_work(services) as uow:
        first = consumers.identify(uow, livemode=False, email="Sanne@Example.nl")
        again = consumers.identify(uow, livemode=False, email="sanne@example.nl ")
    with unit_of_work(services) as uow:
        later = consumers.identify(uow, livemode=False, email="sanne@example.nl")
        other_mode = consumers.identify(uow, livemode=True, email="sanne@example.nl")
    assert first[1] is True and again == later == (first[0], False)
    assert other_mode[1] is True and other_mode[0] != first[0]


@pytest.mark.postgres
def test_created_by_a_transaction_that_commits_while_ours_waits(services):
    """Ours waits on the unique index for the other's commit; the row committed after our
    statement began is then found by a statement of its own."""
    created, waiting, found, errors = threading.Event(), threading.Event(), {}, []

    def first():
        try:
            with unit_of_work(services) as uow:
                found["first"] = consumers.identify(uow, livemode=False, email="race@example.nl")
                created.set()
                waiting.wait(5)
                threading.Event().wait(0.3)  # the other one is blocked on the index by now
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            created.set()

    def second():
        try:
            created.wait(5)
            with unit_of_work(services) as uow:
                waiting.set()
                found["second"] = consumers.identify(uow, livemode=False, email="race@example.nl")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert found["first"][1] is True and found["second"] == (found["first"][0], False)
