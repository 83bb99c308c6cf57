"""The consumer chooses whether we e-mail them a few days before an invoice is due; the
notice before a direct-debit collection is no choice (SEPA requires it)."""
from __future__ import annotations

from datetime import date, timedelta

from bnpl.dunning.jobs import send_due_notices
from tests.payments.flows import ship
from tests.portal.conftest import sign_in, text


def due(invoice: dict) -> date:
    return date.fromisoformat(invoice["due_date"])


def test_the_consumer_switches_the_notices_off_and_on_in_the_portal(api, services, browser):
    invoice = ship(api)
    signed_in = sign_in(browser, services)
    assert "We e-mail you a few days before an invoice is due." in text(signed_in.get("/portal/"))

    r = signed_in.submit("/portal/", "/portal/due-notices", {"wanted": "0"})
    assert r.status_code == 303
    assert "We do not e-mail you before an invoice is due." in text(signed_in.get("/portal/"))
    assert send_due_notices(services, as_of=due(invoice) - timedelta(days=3))["due_soon"] == 0

    signed_in.submit("/portal/", "/portal/due-notices", {"wanted": "1"})
    assert send_due_notices(services, as_of=due(invoice) - timedelta(days=3))["due_soon"] == 1
