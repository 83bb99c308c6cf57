"""Bank identification end to end with the local simulator, through the API: the order
waits (and cannot ship), the consumer confirms or fails on the bank's page, the order
becomes accepted or declined with its webhook event, and a verified person is not asked again."""
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from bnpl.risk import service as risk
from bnpl.uow import unit_of_work
from tests.risk.support import asks_for_high_risk_goods, codes, order, person

HIGH_RISK = {"high_risk_goods": True}


@pytest.fixture(autouse=True)
def _webshop_asks_for_high_risk_goods(api):
    asks_for_high_risk_goods(api)


def path_of(url: str) -> str:
    return urlparse(url).path


def events_of(api, order_id: str) -> list[str]:
    return [event["type"] for event in api.get("/events").json["items"] if event["data"].get("id") == order_id]


def press(api, url: str, decision: str):
    return api.client.post(path_of(url), data={"decision": decision})


@pytest.mark.parametrize("button, status, reason", [
    ("confirm", "accepted", "identity_verified"),
    ("fail", "declined", "identity_not_verified"),
])
def test_the_consumer_identifies_on_the_local_bank_page(api, button, status, reason):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    assert waiting["status"] == "verification_required"
    url = waiting["decision"]["verification_url"]
    assert codes(waiting) == ["fresh_identity_high_risk_goods"]

    shipped = api.post(f"/orders/{waiting['id']}/shipments", json={})
    assert shipped.status_code == 409 and "identify" in shipped.json["detail"]

    page = api.client.get(path_of(url))
    assert page.status_code == 200 and b'value="confirm"' in page.data and b'value="fail"' in page.data
    assert press(api, url, button).status_code == 200

    after = api.get(f"/orders/{waiting['id']}").json
    assert after["status"] == status and reason in codes(after)
    assert events_of(api, waiting["id"]) == ["order.verification_required", f"order.{status}"]
    if status == "accepted":
        assert api.post(f"/orders/{waiting['id']}/shipments", json={}).status_code == 201


def test_the_bank_page_speaks_the_consumers_language(api):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))  # billed in the Netherlands
    page = api.client.get(path_of(waiting["decision"]["verification_url"])).get_data(as_text=True)
    assert '<html lang="nl">' in page and ">Bevestigen: dit ben ik<" in page
    german = order(api, 5_000, context=HIGH_RISK, **person(2, language="de"))
    page = api.client.get(path_of(german["decision"]["verification_url"])).get_data(as_text=True)
    assert '<html lang="de">' in page and ">Bestätigen: Das bin ich<" in page


def test_a_second_press_changes_nothing(api):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    url = waiting["decision"]["verification_url"]
    press(api, url, "confirm")
    press(api, url, "fail")
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "accepted"
    assert events_of(api, waiting["id"]) == ["order.verification_required", "order.accepted"]


@pytest.mark.parametrize("days_later, asked_again", [(364, False), (366, True)])
def test_a_verified_person_is_not_asked_again_for_a_year(api, other_api, clock, days_later, asked_again):
    press(api, order(api, 5_000, context=HIGH_RISK, **person(1))["decision"]["verification_url"], "confirm")
    clock.advance(days=days_later)
    # Above a new person's room (nothing paid yet): fine while verified, a question again after.
    again = order(other_api, 60_000, **person(1, email="person1-new@example.nl"))
    assert (again["status"] == "verification_required") is asked_again


def test_verification_raises_a_new_persons_room(api):
    waiting = order(api, 60_000, **person(1))
    assert codes(waiting) == ["above_room_unverified"]
    press(api, waiting["decision"]["verification_url"], "confirm")
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "accepted"


def test_room_used_while_the_consumer_was_at_the_bank_is_not_used_twice(api, other_api):
    waiting = order(api, 140_000, **person(1))
    order(other_api, 25_000, **person(1))  # accepted meanwhile at another shop: EUR 1,250 of EUR 1,500 left
    press(api, waiting["decision"]["verification_url"], "confirm")
    after = api.get(f"/orders/{waiting['id']}").json
    assert after["status"] == "declined" and "above_room" in codes(after)


def test_a_forged_callback_changes_nothing(api):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    reference = path_of(waiting["decision"]["verification_url"]).rsplit("/", 1)[-1]
    forged = api.client.post("/risk/webhooks/local", data=f'{{"reference":"{reference}","status":"confirmed"}}',
                             headers={"Bnpl-Local-Signature": "v1=00", "Content-Type": "application/json"})
    assert forged.status_code == 400
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "verification_required"


def test_the_conclusion_replays_too(api, services):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    press(api, waiting["decision"]["verification_url"], "confirm")
    concluded = api.get(f"/orders/{waiting['id']}").json["decision"]["id"]
    with unit_of_work(services) as uow:
        assert risk.replay(uow, decision_id=concluded) == risk.stored_decision(uow, decision_id=concluded)


def test_a_webshop_may_cancel_an_order_waiting_for_verification(api):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    assert api.post(f"/orders/{waiting['id']}/cancellations", json={}).json["status"] == "cancelled"
    press(api, waiting["decision"]["verification_url"], "confirm")
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "cancelled"


def test_statistics_count_an_order_once_with_the_banks_outcome(api):
    press(api, order(api, 5_000, context=HIGH_RISK, **person(1))["decision"]["verification_url"], "fail")
    order(api, 5_000, context=HIGH_RISK, **person(2))
    stats = api.get("/risk-statistics").json
    assert stats["outcomes"] == {"declined": 1, "verification_required": 1}
    assert stats["reasons"] == {"fresh_identity_high_risk_goods": 2, "identity_not_verified": 1}


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_the_identification_page_refuses_a_post_from_another_site(api, headers):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    r = api.client.post(path_of(waiting["decision"]["verification_url"]), data={"decision": "confirm"},
                        headers=headers)
    assert r.status_code == 403
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "verification_required"


def test_the_identification_page_takes_the_post_of_its_own_form(api, services):
    waiting = order(api, 5_000, context=HIGH_RISK, **person(1))
    r = api.client.post(path_of(waiting["decision"]["verification_url"]), data={"decision": "confirm"},
                        headers={"Origin": services.settings.base_url, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200
    assert api.get(f"/orders/{waiting['id']}").json["status"] == "accepted"
