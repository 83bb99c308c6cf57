"""The audit log holds every change of a setting or a policy: who, when, what."""
from __future__ import annotations

from bnpl.audit import service as audit
from bnpl.uow import unit_of_work


def logged(services, merchant_id) -> list[tuple[str, str, dict]]:
    with unit_of_work(services) as uow:
        return [(e.action, e.actor, e.data) for e in audit.entries(uow, merchant_id=merchant_id)]


def test_a_risk_policy_change_is_logged_with_the_key_that_made_it(api, services):
    assert api.put("/risk-policy", json={"new_person_limit_cents": 20_000}).status_code == 200
    action, actor, data = logged(services, api.merchant_id)[0]
    assert (action, data) == ("risk_policy.changed", {"version": 1, "changes": {"new_person_limit_cents": 20_000}})
    assert actor == f"merchant key {api.key[:14]}…"


def test_a_dunning_policy_change_and_its_reset_are_logged(api, services):
    headers = {"Authorization": f"Bearer {api.key}"}
    current = api.get("/dunning-policy").json["consumer"]
    policy = {key: current[key] for key in ("cost_rule", "interest", "levels")}
    assert api.client.put("/api/v1/dunning-policy/consumer", json=policy, headers=headers).status_code == 200
    assert api.client.delete("/api/v1/dunning-policy/consumer", headers=headers).status_code == 200
    assert [entry[0] for entry in logged(services, api.merchant_id)[:2]] == ["dunning_policy.reset",
                                                                            "dunning_policy.changed"]
