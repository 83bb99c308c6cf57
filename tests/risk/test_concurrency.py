"""Two orders of one person at the same moment at two webshops cannot both use the same room:
the person's row is locked inside the order's transaction (SELECT … FOR UPDATE), so the
second decision waits for the first to commit and sees its order. PostgreSQL only: SQLite
runs one writer at a time anyway."""
from __future__ import annotations

import threading
import time

import pytest

from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema
from bnpl.risk.models import Person
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import make_merchant
from tests.risk.support import person

pytestmark = pytest.mark.postgres


def _body(fields: dict, amount: int) -> dict:
    return OrderCreateSchema().load(factories.order(lines=[factories.line(unit_price=amount)], **fields))


def _race(services, first: tuple[str, dict], second: tuple[str, dict], amount: int) -> list[str]:
    """The first order's transaction stays open a moment after deciding; the second starts
    meanwhile. Their statuses, in order."""
    decided, statuses, errors = threading.Event(), {}, []

    def place(key, merchant_id, fields, hold):
        try:
            with unit_of_work(services) as uow:
                if not hold:
                    decided.wait(5)
                statuses[key] = orders.create_order(uow, scope=Scope(merchant_id, False),
                                                    data=_body(fields, amount)).status
                if hold:
                    decided.set()
                    time.sleep(0.5)  # still uncommitted while the other one decides
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            decided.set()

    threads = [threading.Thread(target=place, args=(0, *first, True)),
               threading.Thread(target=place, args=(1, *second, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return [statuses[0], statuses[1]]


@pytest.mark.parametrize("known_before", [True, False])
def test_two_webshops_at_once_cannot_both_use_the_room(services, known_before):
    shop_a, _ = make_merchant(services, "Shop A")
    shop_b, _ = make_merchant(services, "Shop B")
    if known_before:  # the person exists already (a small earlier order)
        with unit_of_work(services) as uow:
            orders.create_order(uow, scope=Scope(shop_a, False), data=_body(person(1), 100))
    # EUR 200 each, at two shops, under two e-mail addresses with one phone: EUR 300 of room.
    statuses = _race(services, (shop_a, person(1)), (shop_b, person(2, phone="0600000001")), 20_000)
    assert statuses == ["accepted", "verification_required"]
    with services.sessionmaker() as session:
        assert session.query(Person).filter(Person.merged_into.is_(None)).count() == 1
