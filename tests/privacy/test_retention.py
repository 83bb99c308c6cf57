"""Retention as policy (bnpl/privacy/jobs.py, daily): what has served its purpose is deleted
on a schedule, each period a setting."""
from __future__ import annotations

from datetime import timedelta

import json

from sqlalchemy import select

from bnpl.events.models import Event

from bnpl.notifications.models import OutboxMessage
from bnpl.portal.models import Device, SignInLink
from bnpl.privacy.jobs import apply_retention
from bnpl.scheduler import build_scheduler
from bnpl.uow import unit_of_work
from bnpl.web.models import IdempotencyKey
from tests import factories
from tests.payments.flows import ship


def _add(services, *rows) -> None:
    with unit_of_work(services) as uow:
        uow.session.add_all(rows)


def _all(services, model) -> list:
    with services.sessionmaker() as session:
        return list(session.scalars(select(model)))


def test_used_or_expired_sign_in_links_and_expired_devices_go(services, clock):
    now = clock.now()
    _add(services,
         SignInLink(token_hash="a" * 64, email="a@example.nl", created_at=now, expires_at=now + timedelta(minutes=15)),
         SignInLink(token_hash="b" * 64, email="b@example.nl", created_at=now - timedelta(hours=1),
                    expires_at=now - timedelta(minutes=45)),
         SignInLink(token_hash="c" * 64, email="c@example.nl", created_at=now, expires_at=now + timedelta(minutes=15),
                    used_at=now),
         Device(token_hash="d" * 64, email="d@example.nl", created_at=now, expires_at=now + timedelta(days=30),
                last_seen_at=now),
         Device(token_hash="e" * 64, email="e@example.nl", created_at=now - timedelta(days=31),
                expires_at=now - timedelta(days=1), last_seen_at=now - timedelta(days=20)))

    counts = apply_retention(services)

    assert [link.email for link in _all(services, SignInLink)] == ["a@example.nl"]
    assert [device.email for device in _all(services, Device)] == ["d@example.nl"]
    assert (counts["sign-in links"], counts["devices"]) == (2, 1)


def test_idempotency_keys_go_after_30_days(services, clock):
    now = clock.now()
    _add(services, *[IdempotencyKey(merchant_id="mer_1", livemode=False, key=f"k{age}", fingerprint="f" * 64,
                                    status_code=201, body="{}", created_at=now - timedelta(days=age))
                     for age in (29, 31)])

    apply_retention(services)

    assert [key.key for key in _all(services, IdempotencyKey)] == ["k29"]


def test_a_delivered_messages_body_goes_after_30_days_its_record_stays(api, services, clock):
    ship(api)
    with unit_of_work(services) as uow:
        for message in uow.session.scalars(select(OutboxMessage)):
            message.status, message.finished_at = "delivered", clock.now()
    clock.advance(days=31)
    ship(api, consumer=factories.consumer(email="jan.jansen@example.nl", name="Jan Jansen"))  # still pending

    apply_retention(services)

    messages = sorted(_all(services, OutboxMessage), key=lambda m: m.created_at)
    assert messages[0].payload == {} and messages[0].kind == "invoice_issued"  # what went to whom, when
    assert messages[0].recipient == "sanne.devries@example.nl"
    assert messages[-1].status == "pending" and messages[-1].payload


def test_the_scheduler_applies_retention_every_night(services):
    jobs = {job.id: job for job in build_scheduler(services).get_jobs()}
    assert str(jobs["retention"].trigger.fields[5]) == "3"  # 03:xx, when nobody signs in


def test_a_closed_cases_evidence_goes_two_years_after_the_decision(api, services, clock):
    from bnpl.disputes import service as disputes
    from bnpl.disputes.models import Evidence
    from tests.disputes.cases import consumer_of, open_case, pdf_file

    closed, running = ship(api), ship(api, consumer=factories.consumer(email="jan.jansen@example.nl"))
    closed_case = open_case(services, closed["id"], evidence=[pdf_file("closed.pdf")])
    open_case(services, running["id"], evidence=[pdf_file("running.pdf")])
    with unit_of_work(services) as uow:
        disputes.withdraw(uow, consumer_id=consumer_of(services, closed["id"]), dispute_id=closed_case)

    clock.advance(days=729)
    apply_retention(services)
    assert len(_all(services, Evidence)) == 2
    clock.advance(days=2)
    counts = apply_retention(services)

    assert [e.filename for e in _all(services, Evidence)] == ["running.pdf"]
    assert counts["closed disputes' evidence"] == 1


def test_past_fiscal_retention_an_invoice_its_pdf_payment_and_order_lose_the_person(api, services, clock):
    from datetime import datetime, timezone

    from bnpl.documents.jobs import render_documents
    from bnpl.documents.models import Document
    from bnpl.invoices.models import Invoice
    from bnpl.orders.models import Order
    from bnpl.payments.models import Payment
    from tests.privacy.conftest import IBAN, pay

    now = clock.now()
    clock.set(datetime(2018, 6, 1, 10, tzinfo=timezone.utc))  # kept until the end of 2025
    old = ship(api)
    pay(services, old)
    render_documents(services)
    clock.set(datetime(2019, 6, 1, 10, tzinfo=timezone.utc))  # kept until the end of 2026
    newer = ship(api, consumer=factories.consumer(email="jan.jansen@example.nl", name="Jan Jansen"))
    render_documents(services)
    clock.set(now)

    counts = apply_retention(services)

    invoices = {i.id: i for i in _all(services, Invoice)}
    assert "name" not in invoices[old["id"]].billed_to and invoices[newer["id"]].billed_to["name"] == "Jan Jansen"
    assert {d.subject_id for d in _all(services, Document)} == {newer["id"]}
    [payment] = _all(services, Payment)
    assert (payment.payer_name, payment.payer_iban) == (None, f"NL…{IBAN[-4:]}")
    orders = {o.id: o for o in _all(services, Order)}
    assert "name" not in orders[invoices[old["id"]].order_id].consumer
    assert orders[invoices[newer["id"]].order_id].consumer["name"] == "Jan Jansen"
    assert counts["invoices past fiscal retention"] == 1
    events = {(e.subject_id, e.type): json.dumps(e.data) for e in _all(services, Event)}
    assert not [key for key, data in events.items() if "Sanne" in data or "sanne.devries" in data]
    assert "Jan Jansen" in events[(newer["id"], "invoice.issued")]
