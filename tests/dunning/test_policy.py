"""What a merchant's own dunning policy may say (bnpl/dunning/policy.py check_lawful_for):
for consumers the law fixes the costs, the interest and the 14-day letter before them."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bnpl.dunning import law
from bnpl.dunning.policy import BUSINESS, CONSUMER, check_lawful_for
from tests.dunning.test_api import put

REMINDER, LETTER, COSTS, HANDOVER = CONSUMER.levels


def test_the_defaults_are_lawful():
    check_lawful_for(CONSUMER, "consumer")
    check_lawful_for(BUSINESS, "business")


@pytest.mark.parametrize("policy, reason", [
    pytest.param(replace(CONSUMER, cost_rule="business_flat"), "WIK scale", id="flat-fee-for-consumers"),
    pytest.param(replace(CONSUMER, interest="commercial"), "statutory interest", id="commercial-interest"),
    pytest.param(replace(CONSUMER, cost_scale=law.CostScale(((None, 10_000),), 4_000, 10**9)), "never higher",
                 id="scale-above-wik"),
    pytest.param(replace(CONSUMER, levels=(REMINDER, replace(LETTER, after_days=0), COSTS, HANDOVER)),
                 "after_days is at least 1", id="letter-on-the-due-date"),
    pytest.param(replace(CONSUMER, levels=(REMINDER, LETTER, replace(COSTS, after_days=0), HANDOVER)),
                 "after_days is at least 1", id="costs-on-the-deadline-itself"),
    pytest.param(replace(CONSUMER, levels=(REMINDER, replace(LETTER, template=None), COSTS, HANDOVER)),
                 "needs its template", id="a-letter-that-is-never-sent"),
    pytest.param(replace(CONSUMER, levels=(REMINDER, LETTER, COSTS, replace(LETTER, name="second_letter",
                                                                            counts_from="sent"), COSTS)),
                 "charged once", id="costs-twice-after-a-second-letter"),
])
def test_a_consumer_policy_may_not(policy, reason):
    with pytest.raises(ValueError, match=reason):
        check_lawful_for(policy, "consumer")


def test_a_consumer_scale_below_wik_is_allowed():
    lower = law.CostScale(((250_000, 1_000), (None, 500)), minimum_cents=2_500, maximum_cents=5_000)

    check_lawful_for(replace(CONSUMER, cost_scale=lower), "consumer")


def test_the_policy_api_refuses_an_unlawful_consumer_policy(api):
    unlawful = {**CONSUMER.to_dict(), "cost_rule": "business_flat"}

    r = put(api, "/dunning-policy/consumer", unlawful)

    assert r.status_code == 422 and "WIK scale" in r.json["detail"], r.json
    assert api.get("/dunning-policy").json["consumer"]["default"] is True
