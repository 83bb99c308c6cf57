"""Consumer e-mail, end to end: an event writes the message, deliver_outbox sends it over a
real SMTP server (aiosmtpd on 127.0.0.1, see conftest), and the outbox row tells what happened."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import io
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update

from bnpl.cli import main
from bnpl.config import Provider
from bnpl.documents.jobs import render_documents
from bnpl.notifications import mail, service
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.notifications.service import ATTEMPTS
from bnpl.uow import unit_of_work
from tests import factories
from tests.notifications.conftest import SmtpServer
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's

SHOP = "Fietsenwinkel Utrecht"  # the `api` fixture's merchant


# --- helpers -----------------------------------------------------------------------------

def ship(api, lines=None, **order):
    """Create and ship an order whole; returns (order, invoice)."""
    created = api.post("/orders", json=factories.order(lines=lines, **order))
    assert created.status_code == 201, created.json
    shipment = api.post(f"/orders/{created.json['id']}/shipments", json={})
    assert shipment.status_code == 201, shipment.json
    return created.json, shipment.json["invoice"]


def ret(api, order_id, lines, **body):
    r = api.post(f"/orders/{order_id}/returns", json={"lines": lines, **body})
    assert r.status_code == 201, r.json
    return r.json


def outbox(services, **where) -> list[OutboxMessage]:
    """E-mail rows, oldest first, optionally filtered by column values."""
    query = select(OutboxMessage).where(OutboxMessage.channel == EMAIL)
    for column, value in where.items():
        query = query.where(getattr(OutboxMessage, column) == value)
    with services.sessionmaker() as session:
        return list(session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def one(services, **where) -> OutboxMessage:
    rows = outbox(services, **where)
    assert len(rows) == 1, [(r.kind, r.status) for r in rows]
    return rows[0]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def pdfs(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def message_id(services, row) -> str:
    return f"<{row.id}@{services.settings.mail_from.rsplit('@', 1)[1].rstrip('>')}>"


# --- the invoice mail --------------------------------------------------------------------

@pytest.mark.parametrize("consumer, subject, to_pay", [
    ({}, "Uw factuur {number} van {shop}", "Te betalen"),  # NL billing address: Dutch
    ({"language": "de"}, "Ihre Rechnung {number} von {shop}", "Zu zahlen"),
    ({"language": "en"}, "Your invoice {number} from {shop}", "Amount to pay"),
], ids=["nl-by-country", "de-by-choice", "en-by-choice"])
def test_shipping_sends_the_invoice_mail_over_smtp_in_the_consumers_language(
        api, smtp_server, smtp_services, consumer, subject, to_pay):
    order, invoice = ship(api, consumer=factories.consumer(**consumer))

    assert deliver_outbox(smtp_services) == {"delivered": 1}

    row = one(smtp_services)
    assert (row.kind, row.status, row.attempts, row.invoice_id) == ("invoice_issued", "delivered", 1, invoice["id"])
    assert row.outcome == "accepted by the SMTP server" and row.last_error is None
    [(envelope_from, envelope_to)] = smtp_server.envelopes
    assert envelope_to == ["sanne.devries@example.nl"]
    [sent] = smtp_server.messages
    assert sent["Subject"] == subject.format(number=invoice["number"], shop=SHOP)
    assert sent["From"] == smtp_services.settings.mail_from
    assert sent["To"] == "sanne.devries@example.nl"
    assert sent["Message-ID"] == message_id(smtp_services, row) and row.id.startswith("msg_")
    assert sent["Auto-Submitted"] == "auto-generated"
    assert f"{to_pay}: " in text_of(sent) and "Sanne de Vries" in text_of(sent)
    assert to_pay in html_of(sent) and invoice["payment_reference"] in html_of(sent)
    [(filename, pdf)] = pdfs(sent).items()
    assert filename == f"{invoice['number']}.pdf"
    assert pdf.startswith(b"%PDF")
    assert invoice["number"] in pdf_text(pdf)


def test_a_transient_failure_is_retried_and_the_retry_carries_the_same_message_id(api, smtp_server, smtp_services, clock):
    ship(api)
    smtp_server.handler.data_replies.append("451 4.3.0 Try again later")  # the server takes DATA, then balks

    assert deliver_outbox(smtp_services) == {"retrying": 1}
    clock.advance(seconds=37)  # the first wait is 30 s ± 20 %
    assert deliver_outbox(smtp_services) == {"delivered": 1}

    first, second = [email.message_from_bytes(raw, policy=email.policy.default)
                     for raw in smtp_server.handler.data_seen]
    row = one(smtp_services)
    assert first["Message-ID"] == second["Message-ID"] == message_id(smtp_services, row)
    assert len(smtp_server.messages) == 1 and row.attempts == 2


def test_with_the_smtp_server_down_the_mail_waits_and_goes_out_once_it_is_back(api, smtp_server, smtp_services, clock):
    ship(api)
    smtp_server.stop()

    assert deliver_outbox(smtp_services) == {"retrying": 1}

    row = one(smtp_services)
    now = clock.now()
    assert (row.status, row.attempts, row.finished_at) == ("pending", 1, None)
    assert now + timedelta(seconds=24) <= row.next_attempt_at <= now + timedelta(seconds=36)
    assert "ConnectionRefusedError" in row.last_error
    assert deliver_outbox(smtp_services) == {}  # not due yet: nothing is tried

    smtp_server.start()
    clock.advance(seconds=37)
    assert deliver_outbox(smtp_services) == {"delivered": 1}

    row = one(smtp_services)
    assert (row.status, row.attempts, row.last_error, row.finished_at) == ("delivered", 2, None, clock.now())
    [sent] = smtp_server.messages
    assert sent["Message-ID"] == message_id(smtp_services, row)


def test_a_recipient_refused_with_550_is_dead_at_once_and_can_be_requeued(api, smtp_server, smtp_services, clock):
    smtp_server.refuse("nobody@example.nl")
    ship(api, consumer=factories.consumer(email="nobody@example.nl"))

    assert deliver_outbox(smtp_services) == {"dead": 1}

    row = one(smtp_services)
    assert (row.status, row.attempts, row.finished_at) == ("dead", 1, clock.now())
    assert row.last_error == "refused: nobody@example.nl: 550 5.1.1 No such user"
    assert smtp_server.messages == []
    with unit_of_work(smtp_services) as uow:
        assert [m.id for m in service.list_messages(uow, status="dead")] == [row.id]

    clock.advance(hours=1)
    with unit_of_work(smtp_services) as uow:
        service.requeue(uow, message_id=row.id)

    again = one(smtp_services)
    assert (again.status, again.attempts, again.next_attempt_at, again.finished_at) == ("pending", 0, clock.now(), None)
    with unit_of_work(smtp_services) as uow:
        assert service.list_messages(uow, status="dead") == []
    smtp_server.handler.refused.clear()  # the address was fixed at the receiving end
    assert deliver_outbox(smtp_services) == {"delivered": 1}


def test_by_default_test_mode_mail_never_leaves_the_machine(api, smtp_server, smtp_services, settings):
    # A test order with a stranger's address must not put an invoice with our IBAN in their
    # mailbox: unless the operator says "send", test-mode mail becomes .eml files.
    file_only = dataclasses.replace(smtp_services, settings=dataclasses.replace(
        smtp_services.settings, test_mode_mail="file"))
    ship(api)
    assert deliver_outbox(file_only) == {"delivered": 1}
    assert smtp_server.messages == []
    assert len(list((settings.instance_path / "outbox").glob("*.eml"))) == 1


def test_a_greylisted_recipient_4xx_is_retried_not_given_up(api, smtp_server, smtp_services, clock):
    smtp_server.refuse("sanne.devries@example.nl", "450 4.2.0 Greylisted, try again later")
    ship(api)
    assert deliver_outbox(smtp_services) == {"retrying": 1}
    smtp_server.handler.refused.clear()
    clock.advance(minutes=1)
    assert deliver_outbox(smtp_services) == {"delivered": 1}


def test_a_message_the_server_rejects_after_reading_it_is_dead_at_once(api, smtp_server, smtp_services):
    smtp_server.handler.data_replies.append("554 5.7.1 Message rejected as spam")
    ship(api)
    assert deliver_outbox(smtp_services) == {"dead": 1}
    assert "554" in one(smtp_services).last_error


def test_a_refused_sender_is_our_configuration_and_is_retried_not_given_up(api, smtp_server, smtp_services, clock):
    # 5xx for our own sender address (or a wrong password) is a mistake an operator fixes;
    # it must not kill every message on its first try.
    async def refuse_sender(server, session, envelope, address, mail_options):
        return "553 5.7.1 Sender address not allowed"

    smtp_server.handler.handle_MAIL = refuse_sender
    ship(api)
    assert deliver_outbox(smtp_services) == {"retrying": 1}
    assert "553" in one(smtp_services).last_error

    del smtp_server.handler.handle_MAIL  # the operator fixed the sender
    clock.advance(minutes=1)
    assert deliver_outbox(smtp_services) == {"delivered": 1}


def test_after_the_last_attempt_a_failing_mail_is_dead(api, smtp_server, smtp_services, clock):
    ship(api)
    smtp_server.stop()

    for attempt in range(1, ATTEMPTS["email"] + 1):
        outcome = deliver_outbox(smtp_services)
        row = one(smtp_services)
        assert row.attempts == attempt
        if attempt < ATTEMPTS["email"]:
            assert outcome == {"retrying": 1} and row.status == "pending"
            clock.advance(seconds=(row.next_attempt_at - clock.now()).total_seconds())  # exactly due
    assert outcome == {"dead": 1}
    assert row.status == "dead" and "ConnectionRefusedError" in row.last_error
    assert deliver_outbox(smtp_services) == {}  # a dead message is not tried again


def test_without_smtp_url_mail_is_written_as_an_eml_file_once_even_when_sent_twice(api, services, settings, clock):
    assert services.settings.smtp_url is None
    order, invoice = ship(api)
    render_documents(services)  # the invoice's PDF is stored: the mail can be composed
    folder = settings.instance_path / "outbox"

    # A worker sends and dies before it records the outcome …
    with unit_of_work(services) as uow:
        [claimed] = service.claim_due(uow, limit=10, worker="wrk_dies")
    with unit_of_work(services) as uow:
        prepared = service.prepare(uow, message_id=claimed, worker="wrk_dies")
    mail.mailer_for(services.settings).send(prepared.email)
    assert deliver_outbox(services) == {}  # its claim still holds
    # … so once the lease has run out the next run sends it again: same file.
    clock.advance(seconds=settings.outbox_lease_seconds + 1)
    assert deliver_outbox(services) == {"delivered": 1}

    row = one(services)
    assert [p.name for p in folder.iterdir()] == [f"{row.id}.eml"]  # no temporary file left either
    with unit_of_work(services) as uow:  # the dead worker's late word changes nothing
        assert service.record_outcome(uow, message_id=row.id, worker="wrk_dies", ok=False, detail="x") == "skipped"
    assert row.outcome == f"written to {folder / (row.id + '.eml')}"
    with (folder / f"{row.id}.eml").open("rb") as handle:
        written = email.message_from_binary_file(handle, policy=email.policy.default)
    assert written["Message-ID"] == message_id(services, row)
    assert written["Subject"] == f"Uw factuur {invoice['number']} van {SHOP}"
    assert list(pdfs(written)) == [f"{invoice['number']}.pdf"]


def test_file_mailer_sending_the_same_message_twice_keeps_one_file(tmp_path):
    message = mail.compose(kind="return_registered", language="en", to="a@example.nl", sender="x <no-reply@shop.example>",
                           message_id="msg_twice", context={"name": "A", "shop": "Shop", "provider": Provider(),
                                                            "portal_url": "http://x/portal"},
                           attachments=[], sent_at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
    mailer = mail.FileMailer(tmp_path / "outbox")
    mailer.send(message)
    mailer.send(message)
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["msg_twice.eml"]
    assert (tmp_path / "outbox" / "msg_twice.eml").read_bytes() == bytes(message)


def test_a_mail_that_cannot_be_composed_is_retried_and_does_not_hold_up_the_others(api, services, smtp_server, smtp_services):
    order, invoice = ship(api)
    # A template bug stands for anything that breaks while the mail is put together.
    with unit_of_work(services) as uow:
        uow.session.add(OutboxMessage(merchant_id=api.merchant_id, livemode=False, channel=EMAIL, kind="no_such_template",
                                      recipient="sanne.devries@example.nl", language="nl", order_id=order["id"],
                                      invoice_id=invoice["id"], payload={"name": "Sanne de Vries", "data": {}},
                                      status="pending", attempts=0, created_at=uow.now(),
                                      next_attempt_at=uow.now() - timedelta(seconds=1)))  # claimed first

    assert deliver_outbox(smtp_services) == {"retrying": 1, "delivered": 1}

    broken = one(services, kind="no_such_template")
    assert (broken.status, broken.attempts, broken.claimed_until) == ("pending", 1, None)
    assert broken.last_error.startswith("could not prepare: TemplateNotFound")
    assert [m["Subject"] for m in smtp_server.messages] == [f"Uw factuur {invoice['number']} van {SHOP}"]


# --- returns -----------------------------------------------------------------------------

def test_a_received_return_sends_the_credit_note_with_its_pdf(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    deliver_outbox(smtp_services)

    r = ret(api, order["id"], [{"reference": "SKU-1", "quantity": 1}], status="received")
    assert deliver_outbox(smtp_services) == {"delivered": 1}

    note = r["credit_notes"][0]
    row = one(smtp_services, kind="credit_note_issued")
    assert (row.subject_id, row.invoice_id, row.status) == (note["id"], invoice["id"], "delivered")
    sent = smtp_server.messages[-1]
    assert sent["Subject"].startswith(f"Creditnota {note['number']}: ")
    assert invoice["number"] in text_of(sent) and "Te betalen: " in text_of(sent)  # 3400 still to pay
    [(filename, pdf)] = pdfs(sent).items()
    assert filename == f"{note['number']}.pdf" and pdf.startswith(b"%PDF")
    assert note["number"] in pdf_text(pdf)


def test_an_announced_return_sends_return_registered_and_no_separate_pause_mail(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    deliver_outbox(smtp_services)

    ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])
    assert [m.kind for m in outbox(smtp_services, status="pending")] == ["return_registered"]
    assert deliver_outbox(smtp_services) == {"delivered": 1}

    sent = smtp_server.messages[-1]
    assert sent["Subject"] == f"{SHOP} heeft uw retour geregistreerd"
    assert pdfs(sent) == {}


def test_receiving_an_announced_return_sends_the_credit_note_and_the_invoice_runs_again(api, smtp_server, smtp_services):
    order, invoice = ship(api, lines=factories.three_lines())
    announced = ret(api, order["id"], [{"reference": "SKU-2", "quantity": 1}])
    deliver_outbox(smtp_services)  # return registered (the invoice mail was dropped: paused)
    assert api.post(f"/returns/{announced['id']}/receipt").status_code == 200

    assert deliver_outbox(smtp_services) == {"delivered": 2}

    assert {m.kind for m in outbox(smtp_services, status="delivered")} == {
        "return_registered", "credit_note_issued", "invoice_resumed"}
    subjects = sorted(m["Subject"] for m in smtp_server.messages[-2:])
    assert subjects[0].startswith("Creditnota ") and subjects[1].startswith(f"Factuur {invoice['number']} loopt weer")
    # The invoice mail was held back while paused: "runs again" brings the invoice itself.
    resumed = next(m for m in smtp_server.messages if m["Subject"].startswith("Factuur "))
    assert invoice["number"] in pdf_text(next(iter(pdfs(resumed).values())))


# --- STARTTLS ----------------------------------------------------------------------------

def test_smtp_to_a_non_loopback_host_without_starttls_is_refused_before_anything_is_sent(api, services):
    # aiosmtpd without a TLS context offers no STARTTLS. 127.0.0.2 reaches this machine too,
    # but is not one of the names the mailer trusts as loopback, so it stands for a remote host.
    remote = SmtpServer(host="127.0.0.2")
    remote.start()
    try:
        ship(api)
        remote_services = dataclasses.replace(services, settings=dataclasses.replace(
            services.settings, smtp_url=f"smtp://user:secret@127.0.0.2:{remote.port}"))
        assert deliver_outbox(remote_services) == {"retrying": 1}
    finally:
        remote.stop()
    row = one(services)
    assert row.last_error == "ConnectionError: 127.0.0.2 does not offer STARTTLS; refusing to send in the clear."
    assert remote.handler.data_seen == []  # no invoice (and no password: login comes after) went out


# --- the command line --------------------------------------------------------------------

def test_the_cli_delivers_lists_and_requeues(api, services, settings, smtp_server):
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path), "BNPL_SMTP_URL": smtp_server.url,
           "BNPL_TEST_MODE_MAIL": "send"}

    def run(*args):
        return CliRunner().invoke(main, ["outbox", *args], env=env, catch_exceptions=False)

    smtp_server.refuse("nobody@example.nl")
    ship(api)
    ship(api, consumer=factories.consumer(email="nobody@example.nl"))
    # The CLI runs on the system clock; the messages were written at the tests' fixed time.
    with services.engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))

    assert run("deliver").output == "2 waiting\n"  # for their PDFs: the outbox never renders
    CliRunner().invoke(main, ["documents", "render"], env=env, catch_exceptions=False)
    with services.engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
    result = run("deliver")
    assert result.exit_code == 0 and result.output == "1 dead, 1 delivered\n"
    assert run("deliver").output == "Nothing was due.\n"
    dead = one(services, status="dead")
    listed = run("list")
    assert dead.id in listed.output and "550 5.1.1 No such user" in listed.output
    delivered = one(services, status="delivered")
    refused = CliRunner().invoke(main, ["outbox", "requeue", dead.id, delivered.id], env=env)
    assert refused.exit_code == 1 and "A delivered message cannot requeue." in refused.output
    assert one(services, id=dead.id).status == "dead"  # all or nothing
    assert run("requeue", dead.id).output == "1 message(s) queued again.\n"
    assert one(services, id=dead.id).status == "pending"
    assert run("list").output == ""


# --- cancellations: a mail only where we had written about the order ------------------------

def test_the_rest_of_a_partly_invoiced_order_cancelled_is_mailed_with_its_items(api, smtp_server, smtp_services):
    created = api.post("/orders", json=factories.order(merchant_reference="WEB-8001", lines=factories.three_lines()))
    order_id = created.json["id"]
    assert api.post(f"/orders/{order_id}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).status_code == 201
    deliver_outbox(smtp_services)  # the invoice for what was sent

    assert api.post(f"/orders/{order_id}/cancellations", json={}).status_code == 200
    assert deliver_outbox(smtp_services) == {"delivered": 1}

    sent = smtp_server.messages[-1]
    assert " ".join(sent["Subject"].split()) == f"{SHOP} heeft een deel van uw bestelling WEB-8001 geannuleerd"
    body = text_of(sent)
    assert "2 × Article SKU-2" in body and "1 × Article SKU-3" in body and "Article SKU-1" not in body
    assert "U betaalt hier niets voor" in body


@pytest.mark.parametrize("cancellation", [{}, {"lines": [{"reference": "SKU-1", "quantity": 1}]}])
def test_an_order_we_never_wrote_about_gets_no_cancellation_mail(api, smtp_services, cancellation):
    created = api.post("/orders", json=factories.order(lines=factories.three_lines()))
    assert api.post(f"/orders/{created.json['id']}/cancellations", json=cancellation).status_code == 200

    assert outbox(smtp_services) == []


@pytest.mark.parametrize("language, first_line, subject", [
    ("nl", "Beste klant,", "Uw inloglink voor"), ("en", "Hello,", "Your sign-in link for"), ("de", "Guten Tag,", "Ihr Anmeldelink")])
def test_the_sign_in_mail_text_starts_with_its_greeting_not_with_its_subject(language, first_line, subject):
    message = mail.compose(kind="portal_sign_in", language=language, to="sanne@example.nl", sender="bnpl@example.nl",
                           message_id="msg_1", attachments=[], sent_at=datetime(2026, 12, 7, 10, tzinfo=timezone.utc),
                           context={"provider": Provider(name="bnpl demo B.V."), "name": "", "shop": None,
                                    "portal_url": "https://bnpl.example/portal/",
                                    "payload": {"link": "https://bnpl.example/portal/sign-in/abc", "minutes": 15}})

    body = message.get_body(("plain",)).get_content()
    assert body.splitlines()[0] == first_line, body[:80]
    assert message["Subject"].startswith(subject)


def test_the_fourteen_day_letter_links_to_arranging_a_plan_for_that_invoice(api, smtp_server, smtp_services):
    from datetime import date

    from bnpl.dunning.jobs import run_dunning

    _, invoice = ship(api)
    deliver_outbox(smtp_services)
    due = date.fromisoformat(invoice["due_date"])
    run_dunning(smtp_services, as_of=due + timedelta(days=3), stale_statements="warn")
    run_dunning(smtp_services, as_of=due + timedelta(days=14), stale_statements="warn")
    deliver_outbox(smtp_services)

    letter = next(m for m in smtp_server.messages if m["Subject"].startswith(f"Factuur {invoice['number']}: betaal"))
    assert f"/portal/invoices/{invoice['id']}/plan" in text_of(letter)
    assert "regel de betalingsregeling zelf" in text_of(letter)
