"""GET/PUT /risk-policy: a webshop may make the policy stricter, never looser (422 naming the
field); versions are kept; GET /risk-statistics: approval rate and reasons of its own orders."""
import pytest

from tests.risk.support import asks_for_high_risk_goods, order, person


def test_the_default_policy_is_the_installations(api):
    got = api.get("/risk-policy").json
    assert got["version"] == 0 and got["policy"] == got["installation"]
    assert got["policy"]["new_person_limit_cents"] == 30_000 and got["policy"]["limit_ceiling_cents"] == 250_000
    assert got["policy"]["verified_for_days"] == 365


@pytest.mark.parametrize("change", [
    {"new_person_limit_cents": 20_000}, {"limit_ceiling_cents": 100_000}, {"verified_for_days": 90},
    {"minimum_age": 21}, {"max_person_orders_hour": 1}, {"fresh_identity_days": 90},
    {"new_person_limit_cents": 30_000},  # the same as the installation is not looser
    {"verify_fresh_high_risk_goods": True}, {"overdue_grace_days": 0}, {"max_recent_webshops_new_person": 1},
])
def test_stricter_is_allowed(api, change):
    answer = api.put("/risk-policy", json=change)
    assert answer.status_code == 200, answer.json
    assert answer.json["version"] == 1
    assert {k: answer.json["policy"][k] for k in change} == change


@pytest.mark.parametrize("change, field", [
    ({"new_person_limit_cents": 30_001}, "new_person_limit_cents"),
    ({"limit_ceiling_cents": 300_000}, "limit_ceiling_cents"),
    ({"verified_for_days": 400}, "verified_for_days"),
    ({"minimum_age": 16}, "minimum_age"),
    ({"takeover_needs_fresh_verification": False}, "takeover_needs_fresh_verification"),
    ({"overdue_grace_days": 30}, "overdue_grace_days"),
    ({"max_identifier_orders_day": 100, "minimum_age": 21}, "max_identifier_orders_day"),
])
def test_looser_is_a_422_naming_the_field(api, change, field):
    answer = api.put("/risk-policy", json=change)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [field]
    assert api.get("/risk-policy").json["version"] == 0


def test_versions_count_up_and_a_later_put_replaces_the_earlier(api):
    api.put("/risk-policy", json={"new_person_limit_cents": 20_000})
    second = api.put("/risk-policy", json={"minimum_age": 21}).json
    assert second["version"] == 2
    assert second["policy"]["new_person_limit_cents"] == 30_000 and second["policy"]["minimum_age"] == 21


def test_a_policy_is_one_webshops_own(api, other_api):
    api.put("/risk-policy", json={"new_person_limit_cents": 10_000})
    assert order(api, 20_000, **person(1))["status"] == "verification_required"
    assert order(other_api, 20_000, **person(2))["status"] == "accepted"
    assert other_api.get("/risk-policy").json["version"] == 0


def test_statistics_count_a_webshops_own_orders(api, other_api):
    asks_for_high_risk_goods(api)
    order(api, 5_000, **person(1))
    order(api, 5_000, **person(2, birth_date="2012-01-01"))
    order(api, 5_000, context={"high_risk_goods": True}, **person(3))
    order(api, 5_000, **person(4))
    order(other_api, 5_000, **person(5, birth_date="2012-01-01"))
    stats = api.get("/risk-statistics").json
    assert stats["decisions"] == 4 and stats["approval_rate"] == "50.00", stats
    assert stats["outcomes"] == {"accepted": 2, "declined": 1, "verification_required": 1}
    assert stats["reasons"] == {"under_minimum_age": 1, "fresh_identity_high_risk_goods": 1}


def test_statistics_refuse_a_period_back_to_front(api):
    assert api.get("/risk-statistics?since=2026-11-20&until=2026-11-01").status_code == 422


def test_the_context_is_documented_in_the_openapi(app):
    spec = app.test_client().get("/openapi.json").json
    context = spec["components"]["schemas"]["OrderContext"]["properties"]
    assert set(context) == {"ip_address", "device_id", "customer_since", "customer_order_count", "delivery_method",
                            "high_risk_goods"}
    assert "/api/v1/risk-policy" in spec["paths"] and "/api/v1/risk-statistics" in spec["paths"]


@pytest.mark.parametrize("context, field", [
    ({"ip_address": "999.1.1.1"}, "context.ip_address"),
    ({"delivery_method": "drone"}, "context.delivery_method"),
    ({"customer_order_count": -1}, "context.customer_order_count"),
])
def test_a_bad_context_is_a_422(api, context, field):
    from tests import factories

    answer = api.post("/orders", json={**factories.order(), "context": context})
    assert answer.status_code == 422 and field in answer.json["errors"]


def test_a_day_outside_the_years_we_could_have_figures_for_is_refused_not_a_crash(api):
    for query in ("until=0001-01-01", "since=9999-12-30&until=9999-12-31"):
        r = api.get(f"/risk-statistics?{query}")
        assert r.status_code == 422 and r.content_type == "application/problem+json", (query, r.status_code)
