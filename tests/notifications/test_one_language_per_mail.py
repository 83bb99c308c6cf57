"""Every e-mail a consumer gets is in one language, theirs: a consumer life in nl, en and de
(invoice, the rest of an order cancelled, a return announced and received, a notice before the
due date, a payment, reminders, the 14-day letter, costs), delivered over SMTP, and each text
and PDF searched for the small words of the other two languages."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from bnpl.dunning.jobs import run_dunning, send_due_notices
from tests import factories
from tests.notifications.test_email import pdf_text, pdfs, text_of
from tests.outbox import deliver_outbox

# Words only their own language uses, common enough that a sentence of it has one.
MARKERS = {
    "nl": {"uw", "het", "een", "factuur", "betalen", "niet", "wij", "naar"},
    "en": {"the", "your", "and", "invoice", "please", "you", "with", "from"},
    "de": {"ihre", "sie", "und", "rechnung", "nicht", "bitte", "wir", "zahlen"},
}


def foreign_words(text: str, language: str) -> set[str]:
    words = set(re.findall(r"[a-zäöüß]+", text.lower()))
    return {word for other, markers in MARKERS.items() if other != language for word in words & markers}


@pytest.mark.parametrize("language", ["nl", "en", "de"])
def test_every_mail_and_pdf_a_consumer_gets_is_in_their_language(api, smtp_server, smtp_services, language):
    consumer = factories.consumer(language=language)
    created = api.post("/orders", json=factories.order(consumer=consumer, lines=factories.three_lines())).json
    api.post(f"/orders/{created['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1},
                                                                   {"reference": "SKU-2", "quantity": 2}]})
    api.post(f"/orders/{created['id']}/cancellations", json={})  # the rest: a cancellation mail
    returned = api.post(f"/orders/{created['id']}/returns",
                        json={"status": "announced", "lines": [{"reference": "SKU-2", "quantity": 1}]}).json
    api.post(f"/returns/{returned['id']}/receipt")
    paid = api.post("/orders", json=factories.order(consumer=consumer)).json
    paid_invoice = api.post(f"/orders/{paid['id']}/shipments", json={}).json["invoice"]
    checkout = api.post(f"/invoices/{paid_invoice['id']}/checkouts", json={}).json
    api.client.post(urlsplit(checkout["redirect_url"]).path, data={"decision": "pay"})
    late = api.post("/orders", json=factories.order(consumer=consumer)).json
    due = date.fromisoformat(api.post(f"/orders/{late['id']}/shipments", json={}).json["invoice"]["due_date"])
    send_due_notices(smtp_services, as_of=due - timedelta(days=3))
    for day in (3, 14, 40):
        run_dunning(smtp_services, as_of=due + timedelta(days=day), stale_statements="warn")
    deliver_outbox(smtp_services)

    found = {}
    for message in smtp_server.messages:
        texts = {"subject": message["Subject"], "text": text_of(message)}
        texts.update({name: pdf_text(data) for name, data in pdfs(message).items()})
        for part, text in texts.items():
            if bad := foreign_words(text, language):
                found[f"{message['Subject']} / {part}"] = sorted(bad)
    kinds = len(smtp_server.messages)
    assert kinds >= 9, [m["Subject"] for m in smtp_server.messages]
    assert found == {}
