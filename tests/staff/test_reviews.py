"""Reviews of credit decisions in the back office (the risk role): the queue of requests, the
case page with the decision's inputs, reasons, policy version and a replay check, and the
decision with written reasons that upholds or changes it; the consumer is e-mailed in their
language, the webshop told by webhook. Mediators and risk staff keep to their own work."""
from __future__ import annotations

import re
from html import unescape

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bnpl import cli
from bnpl.consumers.models import Consumer
from bnpl.notifications.models import OutboxMessage
from bnpl.risk import service as risk
from bnpl.risk.models import Review
from bnpl.staff.models import StaffMember
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import open_case
from tests.payments.flows import ship
from tests.staff.conftest import PASSWORD, StaffBrowser, csrf_token, make_member

REASONS = "The collection agency confirms the debt was paid in full on 1 December; the limit opens again."


def declined_with_review(api, services, *, email="sanne.devries@example.nl", name="Sanne de Vries",
                         language=None, message="I paid the collection agency last week.") -> dict:
    """An order declined after the consumer's limit was closed by a hand-over, and their request
    for a review of it: {order, decision_id, review_id}."""
    consumer = factories.consumer(email=email, name=name, **({"language": language} if language else {}))
    assert api.post("/orders", json=factories.order(consumer=consumer)).json["status"] == "accepted"
    with unit_of_work(services) as uow:
        consumer_id = uow.session.scalar(select(Consumer.id).where(Consumer.email == email))
        risk.close_limit(uow, consumer_id=consumer_id, livemode=False, because="handed_over")
    order = api.post("/orders", json=factories.order(consumer=consumer)).json
    assert order["status"] == "declined", order
    with unit_of_work(services) as uow:
        review = risk.request_review(uow, decision_id=order["decision"]["id"], consumer_id=consumer_id, message=message)
        return {"order": order, "decision_id": order["decision"]["id"], "review_id": review.id}


def page(browser, path) -> str:
    r = browser.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return unescape(r.get_data(as_text=True))


def member_browser(app, services, email, role) -> StaffBrowser:
    make_member(services, email, role=role, name=email.split("@")[0].capitalize())
    browser = StaffBrowser(app.test_client())
    assert browser.login(email, PASSWORD).status_code == 303
    return browser


@pytest.fixture
def reviewer(app, services) -> StaffBrowser:
    return member_browser(app, services, "rita@bnpl.example", "risk")


def decide(browser, review_id, data):
    return browser.submit(f"/staff/reviews/{review_id}", f"/staff/reviews/{review_id}/decision", data)


def review_status(services, review_id) -> str:
    with services.sessionmaker() as session:
        return session.get(Review, review_id).status


# --- who may do what ------------------------------------------------------------------------

def test_the_command_line_creates_risk_staff(services, monkeypatch):
    monkeypatch.setattr(cli, "_services", lambda: services)
    result = CliRunner().invoke(cli.main, ["staff", "create", "rita@bnpl.example", "--role", "risk"],
                                env={"BNPL_STAFF_PASSWORD": PASSWORD}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with services.sessionmaker() as session:
        assert session.scalar(select(StaffMember.role).where(StaffMember.email == "rita@bnpl.example")) == "risk"


def test_a_mediator_cannot_open_reviews_or_the_policy(signed_in, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    for path in ("/staff/reviews", f"/staff/reviews/{review_id}", "/staff/policy"):
        assert signed_in.get(path).status_code == 403, path
    assert signed_in.client.post(f"/staff/reviews/{review_id}/decision", data={}).status_code in (400, 403)
    assert review_status(services, review_id) == "requested"
    assert 'href="/staff/reviews"' not in page(signed_in, "/staff/")


def test_risk_staff_cannot_open_or_decide_disputes(app, services, api, reviewer):
    case_id = open_case(services, ship(api)["id"])
    assert reviewer.get("/staff/").headers["Location"].endswith("/staff/reviews")  # their own queue instead
    for path in (f"/staff/cases/{case_id}", "/staff/cases/new"):
        assert reviewer.get(path).status_code == 403, path
    token_page = page(reviewer, "/staff/reviews")
    r = reviewer.client.post(f"/staff/cases/{case_id}/decision", data={
        "csrf_token": csrf_token(token_page), "decision-outcome": "consumer", "decision-reasons": REASONS})
    assert r.status_code == 403
    assert 'href="/staff/cases/new"' not in token_page


def test_an_admin_may_do_both(app, services, api):
    admin = member_browser(app, services, "ada@bnpl.example", "admin")
    case_id = open_case(services, ship(api)["id"])  # before her limit closes
    review_id = declined_with_review(api, services)["review_id"]
    assert admin.get(f"/staff/reviews/{review_id}").status_code == 200
    assert admin.get(f"/staff/cases/{case_id}").status_code == 200


# --- the queue and the case page --------------------------------------------------------------

def test_the_queue_lists_requests_oldest_first_with_the_webshop(reviewer, api, other_api, services, clock):
    first = declined_with_review(other_api, services, email="jan@example.nl", name="Jan Jansen")
    clock.advance(minutes=5)
    second = declined_with_review(api, services)
    html = page(reviewer, "/staff/reviews")
    assert html.index(first["review_id"]) < html.index(second["review_id"])
    assert "Jan Jansen" in html and "Sanne de Vries" in html
    assert "Fietsenwinkel Utrecht" in html and other_api_name(services, other_api) in html


def other_api_name(services, other_api) -> str:
    from bnpl.merchants.models import Merchant

    with services.sessionmaker() as session:
        return session.get(Merchant, other_api.merchant_id).name


def test_the_case_page_shows_the_request_inputs_reasons_policy_version_and_replay(reviewer, api, services):
    made = declined_with_review(api, services)
    html = page(reviewer, f"/staff/reviews/{made['review_id']}")
    assert "I paid the collection agency last week." in html
    assert "handed_over" in html and "An unpaid invoice of yours was handed over to a collection agency." in html
    assert "the installation's default (version 0)" in html and "(reads Dutch)" in html
    assert "Replay check: the same outcome." in html
    assert "open_balance_cents" in html and "limit_ceiling_cents" in html  # inputs and policy as applied
    inputs = re.search(r'<dl class="facts inputs">(.*?)</dl>', html, re.S).group(1)
    shown = dict(re.findall(r"<dt><code>(\w+)</code></dt><dd>(.*?)</dd>", inputs))
    assert shown["is_business"] == "no" and shown["device_known"] == "not known" and shown["new_identifiers"]
    assert not {"True", "False", "None"} & set(shown.values())
    assert made["order"]["merchant_reference"] in html


def test_the_inputs_read_as_words_in_dutch(reviewer, api, services):
    made = declined_with_review(api, services)
    html = page(reviewer, f"/staff/reviews/{made['review_id']}?lang=nl")
    inputs = re.search(r'<dl class="facts inputs">(.*?)</dl>', html, re.S).group(1)
    shown = dict(re.findall(r"<dt><code>(\w+)</code></dt><dd>(.*?)</dd>", inputs))
    assert shown["is_business"] == "nee" and shown["verification_available"] == "ja"
    assert shown["device_known"] == "onbekend" and shown["shared_with_fraud"] == "geen"


def test_the_case_page_names_the_webshops_own_policy_version(reviewer, api, services):
    assert api.put("/risk-policy", json={"limit_ceiling_cents": 100_000}).status_code == 200
    made = declined_with_review(api, services)
    assert "the webshop's version 1" in page(reviewer, f"/staff/reviews/{made['review_id']}")


def test_an_unknown_review_is_a_page_not_found(reviewer):
    r = reviewer.get("/staff/reviews/rvw_nope")
    assert r.status_code == 404 and "text/html" in r.content_type


# --- deciding -------------------------------------------------------------------------------

def test_a_decision_without_reasons_shows_an_error_and_changes_nothing(reviewer, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    r = decide(reviewer, review_id, {"decision-outcome": "uphold", "decision-reasons": ""})
    assert r.status_code == 422 and "Not saved" in r.get_data(as_text=True)
    assert review_status(services, review_id) == "requested"


def test_reasons_too_short_for_the_service_are_shown_at_the_field(reviewer, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    r = decide(reviewer, review_id, {"decision-outcome": "uphold", "decision-reasons": "No."})
    assert r.status_code == 422 and "Write at least 20 characters" in unescape(r.get_data(as_text=True))
    assert review_status(services, review_id) == "requested"


def test_a_limit_beside_uphold_is_refused_at_its_field(reviewer, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    r = decide(reviewer, review_id, {"decision-outcome": "uphold", "decision-limit": "500", "decision-reasons": REASONS})
    assert r.status_code == 422 and "Only a changed decision sets a new limit" in unescape(r.get_data(as_text=True))
    assert review_status(services, review_id) == "requested"


def outbox(services, kind) -> list[OutboxMessage]:
    with services.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_upholding_keeps_the_order_declined_and_mails_the_consumer(reviewer, api, services):
    made = declined_with_review(api, services, language="de")
    r = decide(reviewer, made["review_id"], {"decision-outcome": "uphold", "decision-reasons": REASONS})
    assert r.status_code == 303
    assert review_status(services, made["review_id"]) == "upheld"
    assert api.get(f"/orders/{made['order']['id']}").json["status"] == "declined"
    [mail] = outbox(services, "review_decided")
    assert (mail.recipient, mail.language) == ("sanne.devries@example.nl", "de")
    assert mail.payload["data"]["review"]["outcome"] == "upheld"
    assert REASONS not in str(mail.payload)  # the reasons are in the portal; the webshop sees this event
    html = page(reviewer, f"/staff/reviews/{made['review_id']}")
    assert "Upheld on" in html and REASONS in html and "Save the decision" not in html
    written = compose(mail)
    assert written["Subject"] == "Ihre Bestellung bei Fietsenwinkel Utrecht: das Ergebnis der Überprüfung"
    assert "die Entscheidung bleibt bestehen" in written.get_body(("plain",)).get_content()


def compose(message: OutboxMessage):
    """The e-mail as the outbox worker puts it together."""
    from datetime import datetime, timezone

    from bnpl.config import Provider
    from bnpl.notifications import mail

    return mail.compose(kind=message.kind, language=message.language, to=message.recipient,
                        sender="bnpl <no-reply@bnpl.example>", message_id=message.id, attachments=[],
                        context={**message.payload, "shop": "Fietsenwinkel Utrecht", "provider": Provider(),
                                 "portal_url": "http://bnpl.example/portal"},
                        sent_at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc))


def test_changing_accepts_the_order_tells_the_webshop_and_opens_the_limit(reviewer, api, services):
    assert api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}).status_code == 201
    made = declined_with_review(api, services)
    r = decide(reviewer, made["review_id"], {"decision-outcome": "change", "decision-limit": "500",
                                             "decision-reasons": REASONS})
    assert r.status_code == 303
    order = api.get(f"/orders/{made['order']['id']}").json
    assert order["status"] == "accepted"
    assert [reason["code"] for reason in order["decision"]["reasons"]] == ["accepted_on_review"]
    [hook] = outbox(services, "order.review_decided")
    assert hook.payload["data"]["status"] == "accepted" and hook.payload["data"]["review"]["outcome"] == "changed"
    assert REASONS not in str(hook.payload)
    [mail] = outbox(services, "review_decided")
    assert (mail.recipient, mail.language) == ("sanne.devries@example.nl", "nl")
    assert compose(mail)["Subject"] == "Uw bestelling bij Fietsenwinkel Utrecht: de beslissing is gewijzigd"
    with unit_of_work(services) as uow:
        consumer_id = risk.get_decision(uow, decision_id=made["decision_id"]).consumer_id
        room = risk.room_for(uow, consumer_id=consumer_id, livemode=False)
        assert risk.get_review(uow, review_id=made["review_id"]).limit_cents == 50_000  # typed as 500 euros
    assert room.status == "growing" and room.room_cents > 0
    assert api.post(f"/orders/{order['id']}/shipments", json={}).status_code == 201  # it may ship now


def test_a_review_is_decided_once(reviewer, api, services):
    review_id = declined_with_review(api, services)["review_id"]
    token_page = page(reviewer, f"/staff/reviews/{review_id}")
    assert decide(reviewer, review_id, {"decision-outcome": "uphold", "decision-reasons": REASONS}).status_code == 303
    again = reviewer.client.post(f"/staff/reviews/{review_id}/decision", data={
        "csrf_token": csrf_token(token_page), "decision-outcome": "change", "decision-reasons": REASONS})
    assert again.status_code == 409 and review_status(services, review_id) == "upheld"
    assert len(outbox(services, "review_decided")) == 1


# --- the policy and the statistics ------------------------------------------------------------

def test_the_policy_page_shows_the_default_and_each_webshops_stricter_version(reviewer, api):
    assert api.put("/risk-policy", json={"new_person_limit_cents": 20_000}).status_code == 200
    assert api.put("/risk-policy", json={"new_person_limit_cents": 15_000}).status_code == 200
    html = page(reviewer, "/staff/policy")
    assert "new_person_limit_cents" in html and "€300.00" in html  # the installation's
    assert "Fietsenwinkel Utrecht" in html and "version 2" in html and "€150.00" in html


def test_statistics_show_approval_rates_and_decline_reasons_per_webshop(signed_in, api, services):
    declined_with_review(api, services)  # one accepted order, one declined for the hand-over
    html = page(signed_in, "/staff/statistics")
    assert "Credit decisions" in html and "Fietsenwinkel Utrecht" in html
    assert "50.00" in html and "handed_over" in html
