"""The 14-day letter (art. 6:96 lid 6 BW) as a stored PDF and the dunning e-mails: what they
state, in the consumer's language; the stored letter served byte for byte; the staff CLI;
and the send-time gate dropping a reminder for an invoice that was paid meanwhile."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from bnpl import i18n
from bnpl.cli import main
from bnpl.dunning.jobs import run_dunning
from bnpl.dunning.models import DunningStep
from bnpl.invoices import ledger as invoice_ledger
from bnpl.documents.jobs import render_documents
from bnpl.documents.models import Document, DocumentRequest
from bnpl.dunning import letters
from bnpl.invoices.models import Invoice
from bnpl.notifications import mail
from bnpl.notifications import jobs as outbox_jobs
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.notifications.conftest import smtp_server, smtp_services  # noqa: F401 - fixtures
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's
from tests.payments.flows import ship

WIK_MINIMUM = 4000  # 15 % of a small principal is less than EUR 40


# --- helpers --------------------------------------------------------------------------------

def walk_to_letter(services, inv: dict) -> DunningStep:
    """The reminder, then the 14-day letter; the letter's step."""
    due = date.fromisoformat(inv["due_date"])
    for day in (3, 14):
        run_dunning(services, as_of=due + timedelta(days=day), stale_statements="warn")
    with services.sessionmaker() as session:
        return session.scalar(select(DunningStep).where(DunningStep.invoice_id == inv["id"],
                                                        DunningStep.name == "fourteen_day_letter"))


def stored_letter(services, step_id: str) -> bytes | None:
    with unit_of_work(services) as uow:
        return letters.letter_pdf(uow, step_id=step_id)


def letters_stored(services, step_id: str) -> int:
    with services.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Document).where(
            Document.subject_type == "letter", Document.subject_id == step_id))


def text_of_pdf(data: bytes) -> str:
    """The PDF's text with its lines and (non-breaking) spaces flattened to single spaces."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\xa0", " ").split())


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def mail_row(services, kind: str) -> OutboxMessage:
    with services.sessionmaker() as session:
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == EMAIL,
                                                            OutboxMessage.kind == kind)).all()
        return row


def money(cents: int, language: str = "nl") -> str:
    return flat(i18n.format_money(cents, "EUR", language))


# --- the stored letter ----------------------------------------------------------------------

def test_the_letter_pdf_states_the_costs_the_deadline_and_where_to_find_debt_advice_in_dutch(api, services):
    inv = ship(api)
    step = walk_to_letter(services, inv)
    assert stored_letter(services, step.id) is None  # requested, not rendered yet

    assert render_documents(services) >= 1
    text = text_of_pdf(stored_letter(services, step.id))

    assert step.costs_cents == WIK_MINIMUM
    assert "Aanmaning" in text and inv["number"] in text and "betaaltermijn" in text
    assert f"incassokosten van {money(WIK_MINIMUM)}" in text
    assert f"uiterlijk op {flat(i18n.format_date(step.deadline, 'nl'))}" in text
    assert "gerekend vanaf de dag na ontvangst van deze aanmaning" in text
    assert "Geldfit (geldfit.nl) adviseert gratis en anoniem" in text and "gemeente" in text
    assert money(step.balance_cents) in text and "NL91 ABNA 0417 1643 00" in text
    assert flat(i18n.format_date(step.sent_on, "nl")) in text  # the date it was sent


def test_the_stored_letter_is_the_same_bytes_every_time(api, services):
    inv = ship(api)
    step = walk_to_letter(services, inv)
    render_documents(services)
    first = stored_letter(services, step.id)

    render_documents(services)  # nothing left to render: the request was done
    assert stored_letter(services, step.id) == first and first.startswith(b"%PDF")
    assert letters_stored(services, step.id) == 1
    r = api.get(f"/invoices/{inv['id']}/dunning/{step.id}/pdf")
    assert r.status_code == 200 and r.data == first


def test_a_german_consumer_gets_the_letter_in_german_without_the_dutch_debt_help(api, services):
    inv = ship(api, billing_address=factories.address(street="Hauptstraße", house_number="5",
                                                      postal_code="10115", city="Berlin", country="DE"),
               lines=[factories.line(vat_rate=19)])
    step = walk_to_letter(services, inv)
    render_documents(services)
    text = text_of_pdf(stored_letter(services, step.id))
    assert "Mahnung" in text and f"Inkassokosten in Höhe von {money(WIK_MINIMUM, 'de')}" in text
    assert f"spätestens am {flat(i18n.format_date(step.deadline, 'de'))}" in text
    assert "Geldfit" not in text and "Schuldnerberatungsstellen" in text


# --- staff: bnpl dunning letter STEP_ID -------------------------------------------------------

def test_staff_get_the_letter_from_the_cli_rendered_now_when_the_renderer_has_not_yet(api, services, tmp_path,
                                                                                       monkeypatch):
    monkeypatch.setattr("bnpl.cli._services", lambda: services)
    inv = ship(api)
    step = walk_to_letter(services, inv)
    out = tmp_path / "letter.pdf"

    first = CliRunner().invoke(main, ["dunning", "letter", step.id, "--output", str(out)])
    assert first.exit_code == 0, first.output
    assert out.read_bytes() == stored_letter(services, step.id)
    render_documents(services)  # the renderer finds it stored and renders no second copy
    assert letters_stored(services, step.id) == 1
    with services.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRequest).where(
            DocumentRequest.subject_id == step.id)) == 0

    again = tmp_path / "again.pdf"
    assert CliRunner().invoke(main, ["dunning", "letter", step.id, "-o", str(again)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_the_cli_says_so_when_there_is_no_such_letter(api, services, tmp_path, monkeypatch):
    monkeypatch.setattr("bnpl.cli._services", lambda: services)
    result = CliRunner().invoke(main, ["dunning", "letter", "dun_missing", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "No letter dun_missing" in result.output
    assert not (tmp_path / "x.pdf").exists()


# --- the e-mails ------------------------------------------------------------------------------

def test_the_letter_email_states_the_costs_and_deadline_and_carries_the_stored_pdf(api, services, smtp_server,
                                                                                    smtp_services):
    inv = ship(api)
    step = walk_to_letter(services, inv)
    render_documents(services)  # before the mail goes: it carries the letter
    deliver_outbox(smtp_services)

    assert mail_row(services, "dunning_letter").status == "delivered"
    [message] = [m for m in smtp_server.messages if "incassokosten te voorkomen" in m["Subject"]]
    deadline = flat(i18n.format_date(step.deadline, "nl"))
    assert inv["number"] in message["Subject"] and deadline in message["Subject"]
    for part in ("plain", "html"):
        body = flat(message.get_body(preferencelist=(part,)).get_content())
        assert f"incassokosten van {money(WIK_MINIMUM)}" in body
        assert f"uiterlijk op {deadline}" in body and "geldfit.nl" in body
        assert money(step.balance_cents) in body and "RF" in body
    attached = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert attached == {f"{inv['number']}-letter.pdf": stored_letter(services, step.id)}


def test_the_letter_email_does_not_wait_for_the_pdf(api, services, smtp_server, smtp_services):
    inv = ship(api)
    walk_to_letter(services, inv)
    outbox_jobs.deliver_outbox(smtp_services)  # the outbox's pass alone: the renderer has not run yet

    assert mail_row(services, "dunning_letter").status == "delivered"
    [message] = [m for m in smtp_server.messages if "incassokosten te voorkomen" in m["Subject"]]
    assert list(message.iter_attachments()) == []


def test_the_costs_email_names_the_costs_the_interest_and_the_new_balance(api, services, smtp_server,
                                                                          smtp_services):
    inv = ship(api)
    step = walk_to_letter(services, inv)
    deliver_outbox(smtp_services)  # the letter reaches the consumer: only then can costs follow
    run_dunning(services, as_of=step.deadline + timedelta(days=1), stale_statements="warn")
    with services.sessionmaker() as session:
        costs = session.scalar(select(DunningStep).where(DunningStep.invoice_id == inv["id"],
                                                         DunningStep.name == "collection_costs"))
    deliver_outbox(smtp_services)

    [message] = [m for m in smtp_server.messages if "incassokosten toegevoegd" in m["Subject"]]
    body = flat(message.get_body(preferencelist=("plain",)).get_content())
    assert f"Incassokosten: {money(costs.costs_cents)}" in body
    assert costs.interest_cents > 0 and f"Rente: {money(costs.interest_cents)}" in body
    assert f"Te betalen: {money(costs.balance_cents)}" in body


def test_a_reminder_queued_for_an_invoice_paid_meanwhile_is_dropped(api, services, smtp_server, smtp_services):
    inv = ship(api)
    due = date.fromisoformat(inv["due_date"])
    run_dunning(services, as_of=due + timedelta(days=3), stale_statements="warn")
    with unit_of_work(services) as uow:  # the payment arrives before the reminder leaves
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=inv["id"],
                                     payment_id="pay_letters_1", method="bank_transfer", amount=inv["total"],
                                     paid_on=due + timedelta(days=3))

    deliver_outbox(smtp_services)

    row = mail_row(services, "dunning_reminder")
    assert (row.status, row.outcome) == ("dropped", "invoice paid")
    assert not any("Herinnering" in m["Subject"] for m in smtp_server.messages)


# --- every dunning e-mail renders in every language -------------------------------------------

@pytest.mark.parametrize("language", ["nl", "en", "de"])
@pytest.mark.parametrize("kind", ["dunning_reminder", "dunning_letter", "dunning_costs", "dunning_handover"])
def test_each_dunning_email_renders(api, services, kind, language):
    inv = ship(api)
    data = {"invoice_id": inv["id"], "level": 2, "name": "x", "sent_on": "2026-12-21", "deadline": "2027-01-05",
            "balance": 6123, "costs": 4000, "interest": 124, "step_id": "dun_x", "number": inv["number"],
            "currency": "EUR", "channel": "email", "final": kind == "dunning_handover", "template": kind}
    with unit_of_work(services) as uow:
        invoice = uow.session.get(Invoice, inv["id"])
        message = mail.compose(
            kind=kind, language=language, to="sanne@example.nl", sender=services.settings.mail_from,
            message_id="msg_x", attachments=[], sent_at=uow.now(),
            context={"name": "Sanne de Vries", "shop": "Fietsenwinkel Utrecht", "language": language,
                     "data": data, "payload": {"data": data}, "provider": services.settings.provider,
                     "portal_url": "https://bnpl.example/portal", "invoice": invoice})
    text = flat(message.get_body(preferencelist=("plain",)).get_content())
    html = message.get_body(preferencelist=("html",)).get_content()
    assert inv["number"] in message["Subject"] and inv["number"] in text and inv["number"] in html
    assert money(inv["total"], language) in text  # what is owed now
    if kind in ("dunning_letter", "dunning_costs"):
        assert money(4000, language) in text
    if kind == "dunning_letter":
        assert flat(i18n.format_date(date(2027, 1, 5), language)) in text and "geldfit.nl" in text
