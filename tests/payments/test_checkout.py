"""Paying an invoice online (bnpl/payments/checkout.py, provider.py, api.py): the merchant asks
for a payment link, the consumer confirms at their bank (here the local provider's page), and
the provider's signed callback books the money once.

Invoices come from shipping orders through the merchant API; the local provider's page and
callback are driven through the same Flask test client."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bnpl.consumers.models import Consumer
from bnpl.notifications.models import EMAIL, OutboxMessage
from bnpl.payments import checkout as service
from bnpl.payments.states import CHECKOUT_TRANSITIONS
from bnpl.payments.models import Checkout, Payment
from bnpl.payments.provider import LocalProvider
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments.flows import ship
from tests.conftest import ApiClient, make_merchant

RETURN_URL = "https://fietsenwinkel.example/bedankt?order=WEB-1"


# --- helpers ------------------------------------------------------------------------------

def start(api, invoice_id: str, **body) -> dict:
    r = api.post(f"/invoices/{invoice_id}/checkouts", json={"return_url": RETURN_URL, **body})
    assert r.status_code == 201, r.json
    return r.json


def page_path(started: dict) -> str:
    """The local bank's confirm page, as a path for the test client."""
    return urlsplit(started["redirect_url"]).path


def reference(started: dict) -> str:
    return page_path(started).rsplit("/", 1)[-1]


def decide(api, started: dict, decision: str):
    return api.client.post(page_path(started), data={"decision": decision})


def callback(api, headers: dict, body: bytes, provider: str = "local"):
    return api.client.post(f"/payments/webhooks/{provider}", data=body, headers=headers)


def signed(settings, ref: str, status: str = "paid") -> tuple[dict, bytes]:
    return LocalProvider(settings).signed_callback(ref, status)


def invoice(api, invoice_id: str) -> dict:
    r = api.get(f"/invoices/{invoice_id}")
    assert r.status_code == 200, r.json
    return r.json


def payments(services) -> list[Payment]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(Payment).order_by(Payment.created_at, Payment.id)))


def mails(services, kind: str) -> list[OutboxMessage]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == EMAIL, OutboxMessage.kind == kind)))


def last_method(services, consumer_email: str = "sanne.devries@example.nl") -> str | None:
    with services.sessionmaker() as session:
        return session.scalar(select(Consumer.last_payment_method).where(Consumer.email == consumer_email))


def is_problem(r, status: int) -> bool:
    return r.status_code == status and r.mimetype == "application/problem+json"


# --- paying -------------------------------------------------------------------------------

def test_the_consumer_pays_at_the_bank_and_the_invoice_is_paid_once(api, services):
    inv = ship(api, lines=factories.three_lines())

    started = start(api, inv["id"])
    assert (started["status"], started["amount"], started["currency"], started["method"]) == (
        "open", inv["total"], "EUR", "ideal")
    assert started["redirect_url"].startswith(f"{services.settings.base_url}/payments/local/")
    assert api.client.get(page_path(started)).status_code == 200

    r = decide(api, started, "pay")

    assert r.status_code == 303 and r.headers["Location"] == RETURN_URL
    after = invoice(api, inv["id"])
    assert (after["status"], after["paid"], after["balance"]) == ("paid", inv["total"], 0)
    [payment] = payments(services)
    assert (payment.external_id, payment.method, payment.amount_cents, payment.status, payment.matched_by,
            payment.invoice_id) == (f"local:{reference(started)}", "ideal", inv["total"], "booked", "checkout",
                                    inv["id"])
    assert [p["payment_id"] for p in after["payments"]] == [payment.id]
    [confirmation] = mails(services, "payment_received")
    assert (confirmation.status, confirmation.invoice_id) == ("pending", inv["id"])
    assert last_method(services) == "ideal"
    read = api.get(f"/checkouts/{started['id']}").json
    assert (read["status"], read["payment_id"], read["completed_at"]) == ("paid", payment.id, "2026-11-23T10:00:00+00:00")


def test_the_page_shows_the_amount_and_the_shop_name(api):
    inv = ship(api, lines=factories.three_lines())  # 5399

    page = api.client.get(page_path(start(api, inv["id"])))

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = " ".join(page.get_data(as_text=True).replace("\xa0", " ").split())
    assert "€ 53,99" in html and "Fietsenwinkel Utrecht" in html and inv["number"] in html
    assert 'name="decision" value="pay"' in html and 'name="decision" value="cancel"' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_the_bank_page_speaks_the_consumers_language(api):
    dutch = ship(api)
    german = ship(api, consumer=factories.consumer(email="jonas@example.de", name="Jonas Becker", language="de"))

    nl = api.client.get(page_path(start(api, dutch["id"]))).get_data(as_text=True)
    de = api.client.get(page_path(start(api, german["id"]))).get_data(as_text=True)

    assert '<html lang="nl">' in nl and "Testbank: deze pagina bootst uw bank na." in nl and ">Annuleren<" in nl
    assert '<html lang="de">' in de and "Testbank: Diese Seite simuliert Ihre Bank." in de and ">Abbrechen<" in de


def test_the_shop_name_on_the_page_is_text_not_markup(app, services):
    merchant_id, key = make_merchant(services, "<script>alert(1)</script> Shop")
    shop = ApiClient(app.test_client(), key, merchant_id)

    html = shop.client.get(page_path(start(shop, ship(shop)["id"]))).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_replayed_callback_books_nothing_new(api, services):
    inv = ship(api)
    started = start(api, inv["id"])
    headers, body = signed(services.settings, reference(started))

    assert callback(api, headers, body).status_code == 204
    assert callback(api, headers, body).status_code == 204
    assert decide(api, started, "pay").status_code == 303  # pressing Pay again on an old page

    assert len(payments(services)) == 1
    after = invoice(api, inv["id"])
    assert (after["paid"], after["refund_owed"], len(after["payments"])) == (inv["total"], 0, 1)
    assert len(mails(services, "payment_received")) == 1


def test_a_wrong_signature_is_refused_and_nothing_is_booked(api, services):
    inv = ship(api)
    started = start(api, inv["id"])
    headers, body = signed(services.settings, reference(started))

    tampered = callback(api, {**headers, "Bnpl-Local-Signature": "v1=" + "0" * 64}, body)
    unsigned = callback(api, {"Content-Type": "application/json"}, body)
    other_key = callback(api, *LocalProvider(services.settings.__class__(
        database_url="sqlite://", secret_key="another-secret")).signed_callback(reference(started), "paid"))

    for r in (tampered, unsigned, other_key):
        assert is_problem(r, 400) and r.json["type"] == "/problems/bad-signature", r.json
    assert payments(services) == []
    assert invoice(api, inv["id"])["status"] == "open"
    assert api.get(f"/checkouts/{started['id']}").json["status"] == "open"


def test_a_callback_for_an_unknown_checkout_is_refused(api, services):
    r = callback(api, *signed(services.settings, "loc_no-such-checkout"))

    assert is_problem(r, 400) and r.json["type"] == "/problems/unknown-checkout", r.json
    assert payments(services) == []


def test_a_callback_for_an_unknown_provider_is_not_found(api, services):
    assert is_problem(callback(api, *signed(services.settings, "x"), provider="mollie"), 404)


def test_cancelling_at_the_bank_leaves_the_invoice_as_it_was(api, services):
    inv = ship(api)
    started = start(api, inv["id"])

    r = decide(api, started, "cancel")

    assert r.status_code == 303 and r.headers["Location"] == RETURN_URL
    assert api.get(f"/checkouts/{started['id']}").json["status"] == "cancelled"
    after = invoice(api, inv["id"])
    assert (after["status"], after["paid"], after["balance"]) == ("open", 0, inv["total"])
    assert payments(services) == [] and mails(services, "payment_received") == []
    assert last_method(services) is None
    page = api.client.get(page_path(started)).get_data(as_text=True)
    assert "cancelled" in page and 'value="pay"' not in page


def test_without_a_return_url_the_consumer_comes_back_to_the_bank_page(api):
    inv = ship(api)
    started = api.post(f"/invoices/{inv['id']}/checkouts").json  # no body at all

    r = decide(api, started, "pay")

    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == page_path(started)
    assert "Betaald." in api.client.get(page_path(started)).get_data(as_text=True)  # a Dutch consumer


def test_a_decision_other_than_pay_or_cancel_changes_nothing(api):
    inv = ship(api)
    started = start(api, inv["id"])

    assert is_problem(decide(api, started, "steal"), 422)
    assert api.get(f"/checkouts/{started['id']}").json["status"] == "open"


def test_an_unknown_reference_has_no_page(api):
    assert api.client.get("/payments/local/loc_nope").status_code == 404
    assert api.client.post("/payments/local/loc_nope", data={"decision": "pay"}).status_code == 404


@pytest.mark.postgres
def test_the_same_callback_arriving_twice_at_once_books_once(api, services):
    """A provider retrying while its first callback is still being handled: the checkout's
    row lock makes the second one wait and then find the checkout paid."""
    inv = ship(api)
    started = start(api, inv["id"])
    headers, body = signed(services.settings, reference(started))
    barrier, answers = threading.Barrier(4), []

    def deliver() -> None:
        barrier.wait(timeout=10)
        answers.append(callback(ApiClient(api.client.application.test_client(), None), headers, body).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert answers == [204] * 4
    assert len(payments(services)) == 1
    assert invoice(api, inv["id"])["paid"] == inv["total"]
    assert len(mails(services, "payment_received")) == 1


# --- what can be paid ---------------------------------------------------------------------

def test_a_second_checkout_after_the_first_was_paid_is_refused(api, services):
    inv = ship(api)
    decide(api, start(api, inv["id"]), "pay")

    r = api.post(f"/invoices/{inv['id']}/checkouts", json={})

    assert is_problem(r, 409) and r.json["type"] == "/problems/nothing-to-pay", r.json
    assert len(payments(services)) == 1


def test_a_checkout_asks_for_the_balance_after_credits_and_payments(api):
    inv = ship(api, lines=factories.three_lines())
    assert api.post(f"/invoices/{inv['id']}/credits", json={"amount": 1000, "reason": "scratch"}).status_code == 201

    assert start(api, inv["id"])["amount"] == inv["total"] - 1000


def test_a_paused_invoice_may_still_be_paid(api, services):
    created = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    inv = api.post(f"/orders/{created['id']}/shipments", json={}).json["invoice"]
    api.post(f"/orders/{created['id']}/returns", json={"lines": [{"reference": "SKU-2", "quantity": 1}]})
    assert invoice(api, inv["id"])["status"] == "paused"

    decide(api, start(api, inv["id"]), "pay")

    after = invoice(api, inv["id"])
    assert (after["status"], after["paused"], after["balance"]) == ("paid", False, 0)


def test_two_open_checkouts_both_paid_leave_a_refund_owed_not_lost_money(api, services):
    inv = ship(api)
    first, second = start(api, inv["id"]), start(api, inv["id"])

    decide(api, first, "pay")
    decide(api, second, "pay")

    after = invoice(api, inv["id"])
    assert (after["status"], after["paid"], after["refund_owed"]) == ("paid", 2 * inv["total"], inv["total"])
    assert len(payments(services)) == 2


def test_the_method_used_last_is_offered_first(api, services):
    first = ship(api)
    decide(api, start(api, first["id"], method="card"), "pay")
    assert last_method(services) == "card"

    second = start(api, ship(api)["id"])

    assert second["method"] == "card"
    with unit_of_work(services) as uow:
        consumer_id = uow.session.scalar(select(Checkout.consumer_id).where(Checkout.id == second["id"]))
        assert service.default_method(uow, consumer_id=consumer_id) == "card"


def test_a_consumer_who_never_paid_online_is_offered_ideal(uow):
    assert service.default_method(uow, consumer_id="con_unknown") == "ideal"


@pytest.mark.parametrize("body, field", [
    ({"method": "bitcoin"}, "method"),
    ({"return_url": "javascript:alert(1)"}, "return_url"),
    ({"return_url": "https://shop.example/" + "x" * 2100}, "return_url"),
])
def test_bad_input_is_refused_with_the_field_named(api, body, field):
    r = api.post(f"/invoices/{ship(api)['id']}/checkouts", json=body)

    assert is_problem(r, 422) and field in r.json["errors"], r.json


def test_the_same_idempotency_key_answers_with_the_same_checkout(api):
    inv = ship(api)
    headers = {"Idempotency-Key": "chk-1"}

    first = api.post(f"/invoices/{inv['id']}/checkouts", json={}, headers=headers)
    again = api.post(f"/invoices/{inv['id']}/checkouts", json={}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"


def test_the_local_provider_refuses_live_mode(app, services):
    merchant_id, key = make_merchant(services, "Live Shop", livemode=True)
    live = ApiClient(app.test_client(), key, merchant_id)

    r = live.post(f"/invoices/{ship(live)['id']}/checkouts", json={})

    assert is_problem(r, 409) and r.json["type"] == "/problems/provider-test-mode-only", r.json


# --- tenancy ------------------------------------------------------------------------------

def test_another_merchant_sees_neither_the_checkout_nor_the_invoice(api, other_api):
    inv = ship(api)
    started = start(api, inv["id"])

    assert is_problem(other_api.get(f"/checkouts/{started['id']}"), 404)
    assert is_problem(other_api.post(f"/invoices/{inv['id']}/checkouts", json={}), 404)
    assert api.get(f"/checkouts/{started['id']}").status_code == 200


def test_the_checkout_api_needs_an_api_key(api):
    inv = ship(api)
    anonymous = ApiClient(api.client, None)

    assert is_problem(anonymous.post(f"/invoices/{inv['id']}/checkouts", json={}), 401)
    assert is_problem(anonymous.get(f"/checkouts/{start(api, inv['id'])['id']}"), 401)


# --- the callback's state table, row by row -----------------------------------------------

OUTCOMES = ("paid", "failed", "cancelled", "expired")


@pytest.mark.parametrize("state", ["open", "paid", "failed", "cancelled", "expired"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_callback_in_every_state(api, services, state, outcome):
    inv = ship(api)
    started = start(api, inv["id"])
    with unit_of_work(services) as uow:
        uow.session.get(Checkout, started["id"]).status = state

    r = callback(api, *signed(services.settings, reference(started), outcome))

    expected = CHECKOUT_TRANSITIONS.get((state, outcome), state if state == outcome else None)
    if expected is None:
        assert is_problem(r, 409) and r.json["type"] == "/problems/illegal-transition", r.json
        expected = state
    else:
        assert r.status_code == 204, r.json
    assert api.get(f"/checkouts/{started['id']}").json["status"] == expected
    booked = expected == "paid" and state != "paid"
    assert len(payments(services)) == (1 if booked else 0)
    assert invoice(api, inv["id"])["paid"] == (inv["total"] if booked else 0)


CROSS_SITE = [{"Origin": "https://evil.example"}, {"Origin": "null"},
              {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site", "Origin": "https://shop.bnpl.example"}]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_the_bank_page_refuses_a_post_from_another_site(api, headers):
    inv = ship(api)
    started = start(api, inv["id"])
    r = api.client.post(page_path(started), data={"decision": "pay"}, headers=headers)
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert api.get(f"/checkouts/{started['id']}").json["status"] == "open"


def test_the_bank_page_takes_the_post_of_its_own_form(api, services):
    inv = ship(api)
    started = start(api, inv["id"])
    page = api.client.get(page_path(started))
    assert page.headers["Referrer-Policy"] == "same-origin"  # the reference never leaves for other sites
    r = api.client.post(page_path(started), data={"decision": "pay"},
                        headers={"Origin": services.settings.base_url, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303
    assert api.get(f"/checkouts/{started['id']}").json["status"] == "paid"
