"""Events publish, features subscribe: every batch of recorded events reaches the subscribers
that bnpl.app.wire registered, in their order, inside the transaction of the change."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bnpl.app import wire
from bnpl.events import service as events
from bnpl.events.models import Event
from bnpl.notifications import service as notifications
from bnpl.notifications.models import OutboxMessage
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.conftest import make_merchant


@pytest.fixture
def scope(services):
    merchant_id, _ = make_merchant(services, "Fietsenwinkel Utrecht")
    return Scope(merchant_id, False)


@pytest.fixture
def heard(monkeypatch):
    """Two subscribers of our own in place of the wired ones; what each heard, in order."""
    calls: list[tuple[str, list[str], bool]] = []

    def listener(name):
        def hear(uow, recorded):
            calls.append((name, [event.type for _, event in recorded], uow.session.in_transaction()))
        return hear

    monkeypatch.setattr(events, "_subscribers", [])
    events.subscribe(listener("first"))
    events.subscribe(listener("second"))
    return calls


def test_subscribers_hear_each_batch_in_the_order_they_subscribed(services, scope, heard):
    with unit_of_work(services) as uow:
        events.record_many(uow, [events.NewEvent(scope, "merchant.updated", "a", {}),
                                 events.NewEvent(scope, "order.accepted", "b", {})])
    assert heard == [("first", ["merchant.updated", "order.accepted"], True),
                     ("second", ["merchant.updated", "order.accepted"], True)]


def test_a_subscriber_gets_the_ids_the_log_gave_the_events(services, scope, monkeypatch):
    ids = []
    monkeypatch.setattr(events, "_subscribers", [])
    events.subscribe(lambda uow, recorded: ids.extend(event_id for event_id, _ in recorded))
    with unit_of_work(services) as uow:
        events.record(uow, scope=scope, type="merchant.updated", subject_id="a", data={})
        stored = uow.session.scalars(select(Event)).all()
    assert ids == [event.id for event in stored] and ids[0].startswith("evt_")


@pytest.mark.parametrize("count", [3, 20, 250])
def test_a_batch_gets_the_ids_of_its_events_in_the_order_given(services, scope, monkeypatch, count):
    """A request's few events go in one prepared INSERT, a bank statement's thousand payments
    by COPY on PostgreSQL, the ones between through SQLAlchemy: each id still names its own
    event, and the log reads them in the order recorded."""
    heard = []
    monkeypatch.setattr(events, "_subscribers", [])
    events.subscribe(lambda uow, recorded: heard.extend(recorded))
    many = [events.NewEvent(scope, "merchant.updated", f"sub_{n}", {"n": n, "name": "Zoë"}) for n in range(count)]
    with unit_of_work(services) as uow:
        events.record_many(uow, many)
    with unit_of_work(services) as uow:
        stored = {event.id: event for event in uow.session.scalars(select(Event))}
        replayed, _ = events.list_events(uow, scope=scope, after=None, limit=1000)
    assert [event for _, event in heard] == many
    assert [(stored[event_id].subject_id, stored[event_id].data) for event_id, _ in heard] == \
        [(event.subject_id, event.data) for event in many]
    assert [event.subject_id for event in replayed] == [event.subject_id for event in many]
    assert all(event.created_at.tzinfo is not None and event.txid is not None for event in stored.values())


def test_what_a_subscriber_writes_rolls_back_with_the_change(services, scope):
    endpoint_url = "https://shop.example/hooks"
    with unit_of_work(services) as uow:
        notifications.create_endpoint(uow, scope=scope, url=endpoint_url, event_types=["*"])
    with pytest.raises(RuntimeError), unit_of_work(services) as uow:
        events.record(uow, scope=scope, type="merchant.updated", subject_id="a", data={})
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # the webhook, written
        raise RuntimeError("the change fails after its event")
    with unit_of_work(services) as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert uow.session.scalar(select(func.count()).select_from(Event)) == 0


def test_subscribing_twice_still_calls_once(services, scope, heard):
    first = events.subscribers()[0]
    events.subscribe(first)
    with unit_of_work(services) as uow:
        events.record(uow, scope=scope, type="merchant.updated", subject_id="a", data={})
    assert [name for name, _, _ in heard] == ["first", "second"]


def test_wiring_subscribes_notifications_and_risk_once(monkeypatch):
    from bnpl.risk import service as risk

    monkeypatch.setattr(events, "_subscribers", [])
    wire()
    wire()
    assert events.subscribers() == (notifications.on_events, risk.on_events)


def test_an_event_nobody_would_hear_is_refused(services, scope, monkeypatch):
    monkeypatch.setattr(events, "_subscribers", [])
    with pytest.raises(RuntimeError, match="wire"), unit_of_work(services) as uow:
        events.record(uow, scope=scope, type="merchant.updated", subject_id="a", data={})


def test_events_recorded_together_reach_the_subscribers_as_one_batch_in_their_order(services, scope, heard):
    with unit_of_work(services) as uow:
        with events.together(uow):
            events.record(uow, scope=scope, type="shipment.created", subject_id="a", data={})
            assert heard == []  # not yet: at the end of the block
            events.record(uow, scope=scope, type="invoice.issued", subject_id="b", data={})
        stored = [(e.type, e.subject_id) for e in uow.session.scalars(select(Event).order_by(Event.seq))]
    assert stored == [("shipment.created", "a"), ("invoice.issued", "b")]
    assert heard == [("first", ["shipment.created", "invoice.issued"], True),
                     ("second", ["shipment.created", "invoice.issued"], True)]


def test_events_held_together_are_not_written_when_the_block_fails(services, scope, heard):
    with unit_of_work(services) as uow:
        with pytest.raises(RuntimeError), events.together(uow):
            events.record(uow, scope=scope, type="shipment.created", subject_id="a", data={})
            raise RuntimeError("the invoice cannot be issued")
        events.record(uow, scope=scope, type="merchant.updated", subject_id="m", data={})  # held no more
        assert [e.type for e in uow.session.scalars(select(Event))] == ["merchant.updated"]
    assert heard == [("first", ["merchant.updated"], True), ("second", ["merchant.updated"], True)]


def test_a_together_inside_another_joins_its_batch(services, scope, heard):
    with unit_of_work(services) as uow:
        with events.together(uow):
            events.record(uow, scope=scope, type="shipment.created", subject_id="a", data={})
            with events.together(uow):
                events.record(uow, scope=scope, type="invoice.issued", subject_id="b", data={})
            assert heard == []
    assert heard[0] == ("first", ["shipment.created", "invoice.issued"], True) and len(heard) == 2
