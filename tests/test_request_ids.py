"""A request's id (X-Request-Id, bnpl/logs.py) is written on the events and outbox messages the
request caused, so a webshop's complaint about one call can be followed to what it set off."""
from __future__ import annotations

from sqlalchemy import select

from bnpl.events.models import Event
from bnpl.notifications.models import OutboxMessage
from tests import factories, identified


def test_the_events_and_messages_of_a_request_carry_its_id(api, services):
    created = api.post("/orders", json=factories.order(), headers={"X-Request-Id": "shop-order-77"})
    order = identified.through_api(api, created.json)
    api.post(f"/orders/{order['id']}/shipments", json={}, headers={"X-Request-Id": "shop-ship-78"})

    with services.sessionmaker() as session:
        events = {e.type: e.request_id for e in session.scalars(select(Event))}
        messages = {m.kind: m.request_id for m in session.scalars(select(OutboxMessage))}
    assert events["order.accepted"] == "shop-order-77"
    assert events["invoice.issued"] == "shop-ship-78"
    assert messages["invoice_issued"] == "shop-ship-78"


def test_work_outside_a_request_has_no_request_id(services, uow):
    from bnpl.events import service as events
    from bnpl.tenancy import Scope

    events.record(uow, scope=Scope("mer_1", False), type="order.cancelled", subject_id="ord_1", data={"id": "ord_1"})
    uow.session.flush()
    assert uow.session.scalars(select(Event.request_id)).all() == [None]
