"""Before the due date, so that no reminder is needed: a friendly notice BNPL_DUE_NOTICE_DAYS
(3) days ahead, once per invoice however often the pass runs; with a direct-debit mandate the
SEPA pre-notification of amount, account and day instead, 5 working days ahead, which the
consumer cannot switch off. Nothing for an invoice paid, paused or switched off; a notice
waiting in the outbox is dropped when the invoice is paid meanwhile."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bnpl.calendar import working_days_after
from bnpl.consumers import service as consumers
from bnpl.dunning.jobs import send_due_notices
from bnpl.payments import service as payments
from bnpl.tenancy import Scope
from bnpl.notifications.models import OutboxMessage
from bnpl.uow import unit_of_work
from tests import factories
from tests.outbox import deliver_outbox
from tests.payments.flows import ship


def notices(services) -> list[OutboxMessage]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_due_soon")
                                    .order_by(OutboxMessage.created_at, OutboxMessage.id)))


def due(invoice: dict) -> date:
    return date.fromisoformat(invoice["due_date"])


def test_a_notice_goes_three_days_before_the_due_date_and_only_once(api, services):
    invoice = ship(api)
    assert send_due_notices(services, as_of=due(invoice) - timedelta(days=4)) == {"due_soon": 0, "collection": 0}

    assert send_due_notices(services, as_of=due(invoice) - timedelta(days=3)) == {"due_soon": 1, "collection": 0}
    assert send_due_notices(services, as_of=due(invoice) - timedelta(days=2)) == {"due_soon": 0, "collection": 0}

    [notice] = notices(services)
    assert (notice.invoice_id, notice.payload["data"]["notice"]) == (invoice["id"], "due_soon")


def test_a_pass_missed_for_days_still_notices_before_the_due_date_never_after(api, services):
    invoice = ship(api)
    assert send_due_notices(services, as_of=due(invoice) + timedelta(days=1))["due_soon"] == 0
    assert send_due_notices(services, as_of=due(invoice))["due_soon"] == 1


def test_a_paused_or_switched_off_invoice_gets_none(api, services):
    paused = ship(api)
    api.post(f"/orders/{paused['order_id']}/returns",
             json={"status": "announced", "lines": [{"reference": "SKU-1", "quantity": 1}]})
    other = ship(api, consumer=factories.consumer(email="jan@example.nl", name="Jan Jansen"))
    with unit_of_work(services) as uow:
        consumers.set_due_notices(uow, email="jan@example.nl", livemode=False, wanted=False)
        uow.commit()

    assert send_due_notices(services, as_of=due(other) - timedelta(days=3))["due_soon"] == 0


def test_a_notice_in_the_outbox_is_dropped_when_the_invoice_is_paid_meanwhile(api, services):
    invoice = ship(api)
    deliver_outbox(services)  # the invoice itself
    send_due_notices(services, as_of=due(invoice) - timedelta(days=3))
    api.post(f"/invoices/{invoice['id']}/credits", json={"amount": 1999, "reason": "goodwill"})

    deliver_outbox(services)

    [notice] = notices(services)
    assert notice.status == "dropped"


def test_with_a_mandate_the_collection_is_announced_five_working_days_ahead(api, services):
    invoice = ship(api)
    with unit_of_work(services) as uow:
        payments.create_mandate(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"],
                                account_holder="Sanne de Vries", iban="NL91ABNA0417164300", signed_on=uow.today())
        uow.commit()
    five_ahead = next(day for day in (due(invoice) - timedelta(days=n) for n in range(5, 12))
                      if working_days_after(day, 5) == due(invoice))

    assert send_due_notices(services, as_of=five_ahead - timedelta(days=1)) == {"due_soon": 0, "collection": 0}
    assert send_due_notices(services, as_of=five_ahead) == {"due_soon": 0, "collection": 1}
    [notice] = notices(services)
    assert notice.payload["data"]["account"] == "NL.. ..00" and notice.payload["data"]["amount"] == 1999
