"""A desk member's caller lookups are limited (support.LOOKUPS_PER_WINDOW in LOOKUP_WINDOW), and
the limit holds under parallel lookups: each one is counted and judged by one statement, so
lookups at the same moment cannot all read the same count and slip past it together."""
import pytest

from bnpl.errors import NotFound
from bnpl.support import service as support
from bnpl.uow import unit_of_work
from tests.parallel import at_once

MEMBER = "stf_desk_1"


def look_up(services, staff_id: str, n: int) -> str:
    """As the intake page does it: the lookup is committed whether anyone matched or not."""
    with unit_of_work(services) as uow:
        try:
            support.find_caller(uow, staff_id=staff_id, lookup=support.Lookup(
                invoice_number=f"NO-SUCH-{n:04d}", postcode="3511 AB"))
        except NotFound:
            return "looked up"
        except support.TooManyLookups:
            return "refused"
    return "found"


def test_parallel_lookups_of_one_member_never_pass_the_limit(services):
    outcomes = at_once(30, lambda i: look_up(services, MEMBER, i))
    print(f"\n30 parallel lookups: {outcomes.count('looked up')} looked up, {outcomes.count('refused')} refused")
    assert len(outcomes) == 30
    assert outcomes.count("looked up") == support.LOOKUPS_PER_WINDOW
    assert outcomes.count("refused") == 30 - support.LOOKUPS_PER_WINDOW


@pytest.mark.postgres
def test_parallel_lookups_on_postgresql_never_pass_the_limit(services):
    test_parallel_lookups_of_one_member_never_pass_the_limit(services)


def test_the_limit_is_per_member_and_a_new_window_starts_after_the_last(services, clock):
    assert [look_up(services, MEMBER, i) for i in range(support.LOOKUPS_PER_WINDOW + 1)][-2:] == [
        "looked up", "refused"]
    assert look_up(services, "stf_desk_2", 0) == "looked up"  # a colleague is not held up
    clock.advance(seconds=support.LOOKUP_WINDOW.total_seconds() + 1)
    assert look_up(services, MEMBER, 99) == "looked up"
