"""The send-time gate (bnpl/notifications/gate.py), proven where it is applied: each case
goes through deliver_outbox against a real SMTP server, and what the server received is
checked as well as the outbox row."""
from __future__ import annotations

from sqlalchemy import update

from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.notifications.test_email import one, outbox, ret, ship
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's

ALL_LINES = [{"reference": "SKU-1", "quantity": 1}, {"reference": "SKU-2", "quantity": 2},
             {"reference": "SKU-3", "quantity": 1}]


def subjects(smtp_server) -> list[str]:
    return [m["Subject"] for m in smtp_server.messages]


def invoice_mails(smtp_server, invoice) -> list:
    """What the server got that carries the invoice PDF or asks for its payment."""
    return [m for m in smtp_server.messages
            if f"{invoice['number']}.pdf" in {p.get_filename() for p in m.iter_attachments()}
            or m["Subject"].startswith(f"Uw factuur {invoice['number']}")]


def assert_dropped(row, reason):
    assert (row.status, row.outcome, row.attempts, row.last_error) == ("dropped", reason, 0, None)
    assert row.finished_at is not None and row.claimed_until is None


# --- the control case --------------------------------------------------------------------

def test_an_invoice_mail_for_an_open_invoice_goes_out(api, smtp_server, smtp_services):
    order, invoice = ship(api)

    assert deliver_outbox(smtp_services) == {"delivered": 1}

    assert one(smtp_services, kind="invoice_issued").status == "delivered"
    assert len(invoice_mails(smtp_server, invoice)) == 1


# --- messages that ask for money ---------------------------------------------------------

def test_the_invoice_mail_is_dropped_when_the_invoice_was_credited_in_full_before_sending(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    ret(api, order["id"], ALL_LINES, status="received")

    assert deliver_outbox(smtp_services) == {"dropped": 1, "delivered": 1}

    assert_dropped(one(smtp_services, kind="invoice_issued"), "invoice credited")
    assert invoice_mails(smtp_server, invoice) == []


def test_the_credit_note_still_goes_out_for_a_fully_credited_invoice(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    note = ret(api, order["id"], ALL_LINES, status="received")["credit_notes"][0]

    deliver_outbox(smtp_services)

    assert one(smtp_services, kind="credit_note_issued").status == "delivered"
    [sent] = smtp_server.messages
    assert sent["Subject"].startswith(f"Creditnota {note['number']}: ")
    text = sent.get_body(preferencelist=("plain",)).get_content()
    assert "U hoeft voor deze factuur niets meer te betalen." in text
    assert [p.get_filename() for p in sent.iter_attachments()] == [f"{note['number']}.pdf"]


def test_the_invoice_mail_is_dropped_when_a_return_paused_the_invoice_before_sending(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])  # announced: pauses the invoice

    assert deliver_outbox(smtp_services) == {"dropped": 1, "delivered": 1}

    assert_dropped(one(smtp_services, kind="invoice_issued"), "invoice paused")
    assert one(smtp_services, kind="return_registered").status == "delivered"  # a confirmation: sent
    assert invoice_mails(smtp_server, invoice) == []
    assert subjects(smtp_server) == ["Fietsenwinkel Utrecht heeft uw retour geregistreerd"]


def test_the_invoice_mail_is_dropped_when_the_invoice_was_paid_before_sending(api, services, smtp_server, smtp_services):
    order, invoice = ship(api)
    # Payments do not exist yet, so nothing in the product can make an invoice paid: set the
    # cached status column directly, which is what the gate reads.
    with services.engine.begin() as conn:
        conn.execute(update(Invoice).where(Invoice.id == invoice["id"]).values(status="paid"))

    assert deliver_outbox(smtp_services) == {"dropped": 1}

    assert_dropped(one(smtp_services, kind="invoice_issued"), "invoice paid")
    assert smtp_server.messages == [] and smtp_server.handler.data_seen == []


def test_nothing_about_a_cancelled_order_reaches_the_consumer(api, services, smtp_server, smtp_services):
    order = api.post("/orders", json=factories.order()).json
    assert api.post(f"/orders/{order['id']}/cancellations", json={}).json["status"] == "cancelled"
    # A cancelled order never gets an invoice, so no event writes this message: insert it,
    # as the gate is the safety net for whatever was queued before the cancellation.
    with unit_of_work(services) as uow:
        message = OutboxMessage(merchant_id=api.merchant_id, livemode=False, channel=EMAIL, kind="invoice_issued",
                                recipient="sanne.devries@example.nl", language="nl", order_id=order["id"],
                                payload={"name": "Sanne de Vries", "data": {}}, status="pending", attempts=0,
                                next_attempt_at=uow.now(), created_at=uow.now())
        uow.session.add(message)

    assert deliver_outbox(smtp_services) == {"dropped": 1}

    assert_dropped(one(smtp_services, kind="invoice_issued"), "order cancelled")
    assert smtp_server.messages == [] and smtp_server.handler.data_seen == []


def test_invoice_runs_again_is_dropped_when_the_invoice_was_closed_meanwhile(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    deliver_outbox(smtp_services)
    announced = ret(api, order["id"], ALL_LINES)
    deliver_outbox(smtp_services)
    # Receiving everything lifts the pause (invoice.resumed) and then credits the invoice in full.
    api.post(f"/returns/{announced['id']}/receipt")
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "credited"

    assert deliver_outbox(smtp_services) == {"dropped": 1, "delivered": 1}

    assert_dropped(one(smtp_services, kind="invoice_resumed"), "invoice credited")
    assert not [s for s in subjects(smtp_server) if "loopt weer" in s]
    assert subjects(smtp_server)[-1].startswith("Creditnota ")


def test_invoice_runs_again_goes_out_while_the_invoice_is_open(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    announced = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])
    api.post(f"/returns/{announced['id']}/receipt")

    deliver_outbox(smtp_services)

    assert one(smtp_services, kind="invoice_resumed").status == "delivered"
    assert any(s.startswith(f"Factuur {invoice['number']} loopt weer") for s in subjects(smtp_server))


# --- messages about a pause --------------------------------------------------------------

def _pause(services, api, invoice_id, reference="pln_test"):
    """A pause for another reason than a return or a dispute (whose own mails say so): it gets
    its own mail. The invoice service is called directly."""
    with unit_of_work(services) as uow:
        invoices.pause_invoice(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id,
                               reason="payment_plan", reference_id=reference, max_days=14)


def _lift(services, api, reference="pln_test"):
    with unit_of_work(services) as uow:
        invoices.lift_pauses(uow, scope=Scope(api.merchant_id, False), reference_id=reference, by="plan ended")


def test_the_pause_mail_is_dropped_once_the_invoice_is_no_longer_paused(api, services, smtp_server, smtp_services):
    order, invoice = ship(api)
    deliver_outbox(smtp_services)
    _pause(services, api, invoice["id"])
    _lift(services, api)
    assert sorted(m.kind for m in outbox(services, status="pending")) == ["invoice_paused", "invoice_resumed"]

    assert deliver_outbox(smtp_services) == {"dropped": 1, "delivered": 1}

    assert_dropped(one(services, kind="invoice_paused"), "invoice no longer paused (open)")
    assert not [s for s in subjects(smtp_server) if "staat stil" in s]


def test_the_pause_mail_goes_out_while_the_invoice_is_paused(api, services, smtp_server, smtp_services):
    order, invoice = ship(api)
    deliver_outbox(smtp_services)
    _pause(services, api, invoice["id"])

    assert deliver_outbox(smtp_services) == {"delivered": 1}

    assert subjects(smtp_server)[-1] == f"Factuur {invoice['number']} staat stil"
