"""The e-mails of a dispute, end to end: a case is opened and handled the way the portal, the
merchant API and the back office do it, deliver_outbox sends what that wrote over a real SMTP
server (aiosmtpd, see conftest), and the tests read what arrived.

The consumer reads dispute_opened, dispute_update and dispute_decided in their own language;
the merchant reads dispute_merchant, in its own (English in most tests here, Dutch by default), on
every change, with a link to the API reference instead of raw API paths and without the consumer
portal's footer. A mediator's internal note
never leaves the back office, and a decision always carries its written reasons."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from markupsafe import escape

from bnpl import i18n
from bnpl.disputes import service as disputes
from tests import factories
from tests.disputes.cases import MEDIATOR, act, consumer_of, open_case, shipped_invoice
from tests.notifications.test_email import html_of, outbox, text_of
from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's

SHOP = "Fietsenwinkel Utrecht"  # the `api` fixture's merchant
CONSUMER = "sanne.devries@example.nl"  # factories.consumer()
MERCHANT = "shop@fietsenwinkel.example"
DOCS = "http://127.0.0.1:8000/docs"  # the API reference: BNPL_BASE_URL (its default) + /docs
DESCRIPTION = "The parcel never arrived at my address."
# NOW (tests/conftest.py) is 23 November 2026, 10:00 UTC: 11:00 in Amsterdam.
MERCHANT_DEADLINE = datetime(2026, 12, 7, 10, tzinfo=timezone.utc)  # 14 days to answer
CONSUMER_DEADLINE = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)  # 7 days to answer a question
NOTES = ["NOTE-1 the consumer sounded unsure on the phone", "NOTE-2 this shop has had three cases this month",
         "NOTE-3 decide for the shop, the signature matches"]
REASONS = ("The carrier's proof of delivery shows a signature at the consumer's address, and the consumer "
           "confirmed that a neighbour took the parcel in. The invoice therefore stands.")
GERMAN_ADDRESS = {"street": "Unter den Linden", "house_number": "1", "postal_code": "10117", "city": "Berlin",
                  "country": "DE"}  # goods sold to Germany carry German VAT (19 %)


class Inbox:
    """What the test SMTP server received, in the order it arrived, each with its outbox kind."""

    def __init__(self, services, server):
        self.services, self.server, self.seen = services, server, 0

    def deliver(self) -> list[tuple[str, str, object]]:
        """Send everything due; what arrived since the last call as (kind, recipient, message)."""
        deliver_outbox(self.services)
        assert [(row.kind, row.status, row.last_error) for row in outbox(self.services, status="pending")] == []
        kinds = {row.id: row.kind for row in outbox(self.services)}
        new = self.server.messages[self.seen:]
        self.seen += len(new)
        return [(kinds[m["Message-ID"].strip("<>").split("@")[0]], m["To"], m) for m in new]

    def everything(self) -> list[str]:
        """Subject, text and HTML of every message received so far."""
        return [part for m in self.server.messages for part in (m["Subject"], text_of(m), html_of(m))]


def only(arrived, kind: str, to: str = CONSUMER):
    found = [m for k, recipient, m in arrived if k == kind and recipient == to]
    assert len(found) == 1, [(k, recipient, m["Subject"]) for k, recipient, m in arrived]
    return found[0]


def when(instant: datetime, language: str) -> str:
    return i18n.format_datetime(instant, language, "Europe/Amsterdam")


def money(cents: int, language: str) -> str:
    return i18n.format_money(cents, "EUR", language)


@pytest.fixture
def inbox(api, smtp_server, smtp_services):
    assert api.patch("/merchant", json={"email": MERCHANT, "language": "en"}).status_code == 200
    return Inbox(smtp_services, smtp_server)


def case(api, services, inbox, **order) -> tuple[dict, str]:
    """A shipped invoice (its mail delivered) and a case about it, opened by the consumer."""
    invoice = shipped_invoice(api, **order)
    inbox.deliver()
    return invoice, open_case(services, invoice["id"], description=DESCRIPTION)


def note(services, dispute_id: str, text: str) -> None:
    act(services, disputes.add_note, dispute_id=dispute_id, actor=MEDIATOR, message=text)


def decision(api, dispute_id: str) -> dict:
    r = api.get(f"/disputes/{dispute_id}")
    assert r.status_code == 200, r.json
    return r.json["decision"]


# --- a whole case, in each language ----------------------------------------------------------

SUBJECTS = {
    "nl": {"dispute_opened": "We hebben uw geschil over factuur {number} ontvangen",
           "answered": "Factuur {number}: {shop} heeft gereageerd op uw geschil",
           "message": "Factuur {number}: een bericht van de bemiddelaar",
           "asked": "Factuur {number}: beantwoord de vraag van de bemiddelaar uiterlijk op {deadline}",
           "dispute_decided": "Factuur {number}: de beslissing over uw geschil"},
    "en": {"dispute_opened": "We received your case about invoice {number}",
           "answered": "Invoice {number}: {shop} answered your case",
           "message": "Invoice {number}: a message from the mediator",
           "asked": "Invoice {number}: please answer the mediator by {deadline}",
           "dispute_decided": "Invoice {number}: the decision on your case"},
    "de": {"dispute_opened": "Wir haben Ihren Fall zur Rechnung {number} erhalten",
           "answered": "Rechnung {number}: {shop} hat auf Ihren Fall geantwortet",
           "message": "Rechnung {number}: eine Nachricht vom Schlichter",
           "asked": "Rechnung {number}: Bitte antworten Sie dem Schlichter bis {deadline}",
           "dispute_decided": "Rechnung {number}: die Entscheidung über Ihren Fall"},
}
GREETING = {"nl": "Beste Sanne de Vries,", "en": "Dear Sanne de Vries,", "de": "Guten Tag Sanne de Vries,"}


@pytest.mark.parametrize("order, language", [
    ({}, "nl"),
    ({"consumer": factories.consumer(language="de")}, "de"),
    ({"consumer": factories.consumer(language="en")}, "en"),
    ({"billing_address": factories.address(**GERMAN_ADDRESS), "lines": [factories.line(vat_rate=19)]}, "de"),
], ids=["nl-by-billing-country", "de-by-choice", "en-by-choice", "de-by-billing-country"])
def test_a_case_from_opening_to_decision_mails_both_sides(api, services, inbox, order, language):
    invoice, dispute_id = case(api, services, inbox, **order)
    number = invoice["number"]
    subject = {kind: text.format(number=number, shop=SHOP, deadline=when(CONSUMER_DEADLINE, language))
               for kind, text in SUBJECTS[language].items()}
    note(services, dispute_id, NOTES[0])

    # Opened: the consumer hears that the invoice is on hold and until when the shop may answer.
    arrived = inbox.deliver()
    opened = only(arrived, "dispute_opened")
    assert opened["Subject"] == subject["dispute_opened"]
    assert text_of(opened).startswith(GREETING[language])
    for body in (text_of(opened), html_of(opened)):
        assert number in body and SHOP in body and DESCRIPTION in body
        assert when(MERCHANT_DEADLINE, language) in body
        assert money(1999, language) in body
        assert "/portal" in body
    assert f'<html lang="{language}">' in html_of(opened)
    # … and the merchant that it has to answer, by when, and how.
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"New dispute about invoice {number}: answer by 7 December 2026 at 11:00"
    assert ("Answer by 7 December 2026 at 11:00 (Europe/Amsterdam time): after that the case goes to a mediator, "
            "and below €50.00 it is decided for the consumer.") in text_of(shop)
    assert "<b>Answer by 7 December 2026 at 11:00 (Europe/Amsterdam time)" in html_of(shop)
    assert DESCRIPTION in text_of(shop)
    assert f"Case {dispute_id}: waiting for your answer." in text_of(shop)
    assert "answer it (accept, reject, or a partial credit) with your API key" in text_of(shop)
    assert f"{DOCS}#/disputes" in text_of(shop) and f'href="{DOCS}#/disputes"' in html_of(shop)

    # The shop rejects: the consumer reads its answer in plain words, and its message.
    answer = "We have the carrier's proof of delivery, signed at your address."
    r = api.post(f"/disputes/{dispute_id}/responses", json={"message": answer, "proposal": "reject"})
    assert r.status_code == 201, r.json
    arrived = inbox.deliver()
    answered = only(arrived, "dispute_update")
    assert answered["Subject"] == subject["answered"]
    assert answer in text_of(answered) and escape(answer) in html_of(answered)
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {number}: your answer was received"
    assert "you rejected the claim" in text_of(shop) and "Answer by" not in text_of(shop)

    # A mediator writes to both sides.
    note(services, dispute_id, NOTES[1])
    written = "We have asked the carrier for the signature and will be back in touch."
    act(services, disputes.post_message, dispute_id=dispute_id, actor=MEDIATOR, message=written)
    arrived = inbox.deliver()
    message = only(arrived, "dispute_update")
    assert message["Subject"] == subject["message"]
    assert written in text_of(message) and escape(written) in html_of(message)
    assert written in text_of(only(arrived, "dispute_merchant", to=MERCHANT))

    # A mediator asks the consumer: their deadline is the headline.
    question = "Could a neighbour have taken the parcel in?"
    act(services, disputes.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer", message=question)
    arrived = inbox.deliver()
    asked = only(arrived, "dispute_update")
    assert asked["Subject"] == subject["asked"]
    assert question in text_of(asked) and when(CONSUMER_DEADLINE, language) in text_of(asked)
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {number}: the mediator asked the consumer for information"
    assert "Waiting for: the consumer, until 30 November 2026 at 11:00." in text_of(shop)

    # The consumer's reply reaches the merchant only.
    act(services, disputes.consumer_reply, consumer_id=consumer_of(services, invoice["id"]),
        dispute_id=dispute_id, message="Yes, my neighbour had it after all.")
    arrived = inbox.deliver()
    assert [(kind, to) for kind, to, _ in arrived] == [("dispute_merchant", MERCHANT)]
    assert "Yes, my neighbour had it after all." in text_of(arrived[0][2])

    # The decision, with its reasons in full, to both sides.
    note(services, dispute_id, NOTES[2])
    act(services, disputes.decide, dispute_id=dispute_id, actor=MEDIATOR, outcome="merchant", reasons=REASONS)
    arrived = inbox.deliver()
    decided = only(arrived, "dispute_decided")
    assert decided["Subject"] == subject["dispute_decided"]
    assert REASONS in text_of(decided) and escape(REASONS) in html_of(decided)
    pay_by = i18n.format_date(date.fromisoformat(decision(api, dispute_id)["resume_due_date"]), language)
    for body in (text_of(decided), html_of(decided)):
        assert money(1999, language) in body and pay_by in body
        assert invoice["payment_reference"] in body  # how to pay what is still owed
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {number} decided: for you"
    assert REASONS in text_of(shop) and "Decided by: a mediator" in text_of(shop)

    # What staff wrote for staff never reached anyone.
    everything = inbox.everything()
    assert len(everything) >= 3 * 12  # 5 case mails to the consumer and 6 to the merchant, at least
    for text in NOTES:
        assert not [part for part in everything if text in part], text


# --- the webshop settles, lets its deadline pass, or the consumer withdraws ------------------

def test_the_webshop_accepting_ends_the_case_in_the_consumers_favour(api, services, inbox):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="en"))
    inbox.deliver()

    r = api.post(f"/disputes/{dispute_id}/responses", json={"message": "Sorry, we will credit it.", "proposal": "accept"})
    assert r.status_code == 201, r.json
    arrived = inbox.deliver()

    update = only(arrived, "dispute_update")
    assert update["Subject"] == f"Invoice {invoice['number']}: {SHOP} answered your case"
    assert f"{SHOP} accepts your claim: the disputed €19.99 will be credited." in text_of(update)
    decided = only(arrived, "dispute_decided")
    assert decided["Subject"] == f"Invoice {invoice['number']}: the decision on your case"
    text = text_of(decided)
    assert "decided in your favour: you get a credit of €19.99, the full disputed amount." in text
    assert f"{SHOP} accepted your claim, which ends the case." in text
    assert "The webshop accepted the claim." in text  # the reasons, as recorded
    assert "You have nothing left to pay on this invoice." in text
    assert {subject for _, _, m in arrived if (subject := m["Subject"]).startswith("Dispute")} == {
        f"Dispute about invoice {invoice['number']}: your answer was received",
        f"Dispute about invoice {invoice['number']} decided: for the consumer"}


def test_a_partial_credit_tells_the_consumer_what_is_left_to_pay_and_by_when(api, services, inbox):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="de"),
                               lines=factories.three_lines())
    inbox.deliver()

    r = api.post(f"/disputes/{dispute_id}/responses",
                 json={"message": "Wir erstatten die Hälfte.", "proposal": "partial_credit", "amount": 1000})
    assert r.status_code == 201, r.json
    arrived = inbox.deliver()

    assert "bietet eine teilweise Gutschrift von 10,00\xa0€ an" in text_of(only(arrived, "dispute_update"))
    text = text_of(only(arrived, "dispute_decided"))
    assert "Von den strittigen 53,99\xa0€ werden Ihnen 10,00\xa0€ gutgeschrieben." in text
    assert f"{SHOP} hat diese teilweise Gutschrift angeboten" in text
    pay_by = i18n.format_date(date.fromisoformat(decision(api, dispute_id)["resume_due_date"]), "de")
    assert f"Bitte zahlen Sie den Rest der Rechnung, 43,99\xa0€, bis {pay_by}." in text
    assert invoice["payment_reference"] in text
    shop = {m["Subject"]: text_of(m) for kind, to, m in arrived if to == MERCHANT}
    assert "you offered a partial credit of €10.00" in shop[
        f"Dispute about invoice {invoice['number']}: your answer was received"]
    assert "The case ended with a partial credit: €10.00 of the disputed €53.99 is credited" in shop[
        f"Dispute about invoice {invoice['number']} decided: partial credit"]


def test_a_small_case_the_webshop_leaves_unanswered_is_decided_for_the_consumer(api, services, inbox, clock):
    invoice, dispute_id = case(api, services, inbox)  # Dutch: the billing address is in NL
    inbox.deliver()

    clock.advance(days=15)
    act(services, disputes.check_deadlines)
    arrived = inbox.deliver()

    decided = only(arrived, "dispute_decided")
    text = text_of(decided)
    assert decided["Subject"] == f"Factuur {invoice['number']}: de beslissing over uw geschil"
    assert f"Dit is automatisch beslist, omdat {SHOP} niet op tijd op uw geschil heeft gereageerd." in text
    assert decision(api, dispute_id)["reasons"] in text
    assert "U hoeft voor deze factuur niets meer te betalen." in text
    shop = text_of(only(arrived, "dispute_merchant", to=MERCHANT))
    assert "Decided by: automatically, because you did not answer in time" in shop
    assert "The webshop did not answer by 2026-12-07." in shop


def test_a_larger_case_the_webshop_leaves_unanswered_goes_to_a_mediator(api, services, inbox, clock):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="en"),
                               lines=[factories.line(unit_price=7500)])
    opened = text_of(only(inbox.deliver(), "dispute_merchant", to=MERCHANT))
    assert "below €50.00 it is decided for the consumer" in opened
    assert "without your answer it is decided for the consumer" not in opened  # €75.00 is not below

    clock.advance(days=15)
    act(services, disputes.check_deadlines)
    arrived = inbox.deliver()

    update = only(arrived, "dispute_update")
    assert update["Subject"] == f"Invoice {invoice['number']}: {SHOP} did not answer in time, a mediator takes over"
    assert "stays on hold while the case runs" in text_of(update)
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {invoice['number']}: the case went to a mediator"
    assert "You did not answer by 7 December 2026 at 11:00, so the case went to a mediator" in text_of(shop)


def test_a_withdrawn_case_closes_with_the_consumers_reason_and_the_invoice_to_pay(api, services, inbox):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="en"))
    inbox.deliver()

    act(services, disputes.withdraw, consumer_id=consumer_of(services, invoice["id"]), dispute_id=dispute_id,
        message="The parcel turned up at the post office.")
    arrived = inbox.deliver()

    closed = only(arrived, "dispute_decided")
    text = text_of(closed)
    assert closed["Subject"] == f"Invoice {invoice['number']}: your case is closed"
    assert "You withdrew the case." in text and "The parcel turned up at the post office." in text
    pay_by = i18n.format_date(date.fromisoformat(decision(api, dispute_id)["resume_due_date"]), "en")
    assert f"Please pay €19.99 by {pay_by}." in text
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {invoice['number']} withdrawn"
    assert "The parcel turned up at the post office." in text_of(shop)


# --- headlines and escaping ----------------------------------------------------------------

def test_while_the_case_waits_for_the_consumer_their_deadline_stays_the_headline(api, services, inbox):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="en"))
    api.post(f"/disputes/{dispute_id}/responses", json={"message": "Delivered.", "proposal": "reject"})
    act(services, disputes.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer", message="Photos, please.")
    inbox.deliver()

    act(services, disputes.post_message, dispute_id=dispute_id, actor=MEDIATOR, message="A reminder: photos.")
    update = only(inbox.deliver(), "dispute_update")

    assert update["Subject"] == f"Invoice {invoice['number']}: please answer the mediator by 30 November 2026 at 11:00"
    assert "A reminder: photos." in text_of(update)


def test_the_mediator_asking_the_webshop_is_news_for_the_consumer_and_a_deadline_for_the_shop(api, services, inbox):
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="en"))
    api.post(f"/disputes/{dispute_id}/responses", json={"message": "Delivered.", "proposal": "reject"})
    inbox.deliver()

    act(services, disputes.ask, dispute_id=dispute_id, actor=MEDIATOR, party="merchant", message="The signature?")
    arrived = inbox.deliver()

    update = only(arrived, "dispute_update")
    assert update["Subject"] == f"Invoice {invoice['number']}: the mediator asked {SHOP} for more information"
    assert "You do not need to do anything now." in text_of(update) and "The signature?" in text_of(update)
    shop = only(arrived, "dispute_merchant", to=MERCHANT)
    assert shop["Subject"] == f"Dispute about invoice {invoice['number']}: information needed by 7 December 2026 at 11:00"
    assert "*Answer by 7 December 2026 at 11:00 (Europe/Amsterdam time)" in text_of(shop)
    assert "answer it (accept, reject, or a partial credit)" in text_of(shop) and f"{DOCS}#/disputes" in text_of(shop)


def test_what_consumers_and_merchants_write_is_escaped_in_html(api, services, inbox):
    hostile = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    invoice = shipped_invoice(api, consumer=factories.consumer(language="en"))
    dispute_id = open_case(services, invoice["id"], description=f"Never came. {hostile}")
    api.post(f"/disputes/{dispute_id}/responses", json={"message": f"It did. {hostile}", "proposal": "reject"})
    act(services, disputes.decide, dispute_id=dispute_id, actor=MEDIATOR, outcome="consumer",
        reasons=f"The shop could not show delivery. {hostile}")
    arrived = inbox.deliver()

    for kind, _, message in arrived:
        if kind.startswith("dispute_"):
            assert "<img" not in html_of(message) and "<b>bold" not in html_of(message), kind
            assert escape(hostile) in html_of(message), kind
            assert hostile in text_of(message), kind  # plain text is shown as is


# --- the webshop's own language, links to the API reference, no consumer footer --------------

MERCHANT_WORDS = {
    "nl": {"subject": "Nieuw geschil over factuur {number}: antwoord vóór 7 december 2026 om 11:00",
           "greeting": "Beste Fietsenwinkel Utrecht,",
           "opened": "Een consument heeft een geschil geopend over factuur {number}: de bestelling is niet "
                     "aangekomen. Betwist bedrag: € 19,99.",
           "deadline": "Antwoord vóór 7 december 2026 om 11:00 (tijd Europe/Amsterdam)",
           "docs": "zie Disputes in de API-documentatie"},
    "en": {"subject": "New dispute about invoice {number}: answer by 7 December 2026 at 11:00",
           "greeting": "Hello Fietsenwinkel Utrecht,",
           "opened": "A consumer opened a dispute about invoice {number}: the order did not arrive. "
                     "Disputed amount: €19.99.",
           "deadline": "Answer by 7 December 2026 at 11:00 (Europe/Amsterdam time)",
           "docs": "see Disputes in the API reference"},
}
# The consumer base layout's footer, in every language: never in a mail to a webshop.
CONSUMER_FOOTER = ["/portal", "on behalf of", "namens", "im Auftrag von", "Your invoices, returns and questions",
                   "Uw facturen, retouren en vragen", "Ihre Rechnungen, Rücksendungen und Fragen"]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_webshop_reads_a_dispute_in_its_language_with_a_link_to_the_api_reference(
        api, services, smtp_server, smtp_services, language):
    assert api.patch("/merchant", json={"email": MERCHANT, "language": language}).status_code == 200
    inbox = Inbox(smtp_services, smtp_server)
    invoice, dispute_id = case(api, services, inbox, consumer=factories.consumer(language="de"))
    words = {key: text.format(number=invoice["number"]) for key, text in MERCHANT_WORDS[language].items()}

    shop = only(inbox.deliver(), "dispute_merchant", to=MERCHANT)

    text, html = text_of(shop), html_of(shop)
    assert shop["Subject"] == words["subject"]
    assert text.startswith(words["greeting"]) and f'<html lang="{language}">' in html
    for body in (text, html):
        assert words["opened"] in body.replace("\xa0", " ")
        assert words["deadline"] in body and words["docs"] in body
    assert f"{DOCS}#/disputes" in text and f'<a href="{DOCS}#/disputes">' in html
    for part in (shop["Subject"], text, html):
        assert "/api/v1/" not in part
        assert not [footer for footer in CONSUMER_FOOTER if footer in part]


def test_every_mail_a_webshop_gets_is_in_its_language_without_paths_or_the_consumer_footer(
        api, services, smtp_server, smtp_services):
    """A change request and its refusal, a key made, a new contact address: Dutch by default."""
    from bnpl.merchants import changes
    from bnpl.uow import unit_of_work

    assert api.get("/merchant").json["language"] == "nl"  # the default
    api.patch("/merchant", json={"email": MERCHANT})
    change_id = api.patch("/merchant", json={"payout_iban": "NL91ABNA0417164300"}).json["pending_changes"][0]["id"]
    with unit_of_work(services) as uow:
        changes.decide(uow, change_id=change_id, approve=False, reason="Niet uw rekening.", decided_by="staff Erik")
    api.post("/api-keys", json={"name": "magazijn"})
    deliver_outbox(smtp_services)

    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert "Uw contactadres is gewijzigd" in subjects
    assert "Wijziging van uw uitbetalings-IBAN aangevraagd" in subjects
    assert "Wijziging van uw uitbetalings-IBAN geweigerd" in subjects
    assert [s for s in subjects if s.startswith("Test-API-sleutel bnpl_test_") and s.endswith("… gemaakt")]
    for message in smtp_server.messages:
        assert text_of(message).startswith("Beste Fietsenwinkel Utrecht,")
        assert f"{DOCS}#/" in text_of(message) and f'<a href="{DOCS}#/' in html_of(message)
        for part in (message["Subject"], text_of(message), html_of(message)):
            assert "/api/v1/" not in part
            assert not [footer for footer in CONSUMER_FOOTER if footer in part]


def test_the_api_reference_linked_to_is_configurable(api, services, smtp_server, smtp_services):
    import dataclasses

    elsewhere = dataclasses.replace(smtp_services, settings=dataclasses.replace(
        smtp_services.settings, api_docs_url="https://docs.pay.example/api"))
    api.patch("/merchant", json={"email": MERCHANT})
    deliver_outbox(elsewhere)
    [notice] = smtp_server.messages
    assert "https://docs.pay.example/api#/merchant" in text_of(notice)
