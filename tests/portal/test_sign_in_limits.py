"""Signing in with an invoice number and postcode: the limits stop someone guessing, not the
consumer. Each try is counted and recorded by one statement before it is judged, so parallel
guesses cannot slip past the limit; an invoice being guessed slows down (a wait that doubles)
rather than locking its owner out, and never touches the e-mailed-link route; and there is
no limit over everyone that a stranger could run out."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bnpl.notifications.models import OutboxMessage
from bnpl.portal import service as portal
from bnpl.uow import unit_of_work
from tests.parallel import at_once
from tests.payments.flows import ship

EMAIL, POSTCODE = "sanne.devries@example.nl", "3511 AB"


def try_sign_in(services, number, postal_code, client) -> str:
    """As the page does it: the try is committed whether it is let in, refused or throttled."""
    with unit_of_work(services) as uow:
        try:
            portal.sign_in_with_invoice(uow, number=number, postal_code=postal_code, client=client)
        except portal.SignInRefused:
            return "wrong"
        except portal.TooManyAttempts:
            return "throttled"
    return "signed in"


def parallel_guesses(services, number, n=50) -> list[str]:
    return at_once(n, lambda i: try_sign_in(services, number, f"{1000 + i} ZZ", client=f"198.51.100.{i}"))


def test_fifty_parallel_guesses_judge_no_more_than_the_free_tries(api, services):
    invoice = ship(api)
    outcomes = parallel_guesses(services, invoice["number"])
    print(f"\n50 parallel guesses: {outcomes.count('wrong')} judged, {outcomes.count('throttled')} throttled")
    assert len(outcomes) == 50
    assert outcomes.count("wrong") <= portal.TRIES_PER_INVOICE.free, outcomes.count("wrong")
    assert outcomes.count("wrong") + outcomes.count("throttled") == 50


@pytest.mark.postgres
def test_fifty_parallel_guesses_on_postgresql_judge_no_more_than_the_free_tries(api, services):
    test_fifty_parallel_guesses_judge_no_more_than_the_free_tries(api, services)


def test_after_parallel_guesses_the_owner_still_gets_an_emailed_link(api, services):
    invoice = ship(api)
    parallel_guesses(services, invoice["number"], n=20)
    with unit_of_work(services) as uow:
        portal.request_link(uow, email=EMAIL, client="203.0.113.9")
    with unit_of_work(services) as uow:
        link = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in")).payload["link"]
    with unit_of_work(services) as uow:
        signed_in = portal.redeem_link(uow, token=link.rsplit("/", 1)[1])
    assert signed_in.viewer.email == EMAIL


def test_guessing_one_invoice_slows_down_by_a_doubling_wait_and_does_not_lock_the_owner_out(api, services, clock):
    invoice = ship(api)
    guess = lambda: try_sign_in(services, invoice["number"], "9999 ZZ", client="198.51.100.7")  # noqa: E731
    assert [guess() for _ in range(portal.TRIES_PER_INVOICE.free)] == ["wrong"] * portal.TRIES_PER_INVOICE.free
    assert guess() == "throttled"
    clock.advance(seconds=61)  # the first wait: a minute
    assert guess() == "wrong"
    clock.advance(seconds=61)  # the next wait is two minutes
    assert guess() == "throttled"
    clock.advance(seconds=61)
    # The owner, from their own address, once the wait is over: in, and the slate is clean.
    assert try_sign_in(services, invoice["number"], POSTCODE, client="203.0.113.9") == "signed in"
    assert guess() == "wrong"


def test_the_throttled_answer_says_how_long_and_points_to_the_emailed_link(api, services):
    invoice = ship(api)
    for _ in range(portal.TRIES_PER_INVOICE.free):
        try_sign_in(services, invoice["number"], "9999 ZZ", client="198.51.100.7")
    with unit_of_work(services) as uow:
        with pytest.raises(portal.TooManyAttempts) as refused:
            portal.sign_in_with_invoice(uow, number=invoice["number"], postal_code=POSTCODE, client="203.0.113.9")
    assert "1 minute" in refused.value.detail and "link by e-mail" in refused.value.detail


def test_no_stranger_can_switch_off_invoice_sign_in_for_everyone(api, services):
    invoice = ship(api)
    for client in range(52):  # 520 wrong tries from 52 addresses, each its own number and postcode
        for n in range(10):
            try_sign_in(services, f"2026-{client:03d}{n:03d}", f"{1000 + 10 * client + n} QQ",
                        client=f"192.0.2.{client}")
    assert try_sign_in(services, invoice["number"], POSTCODE, client="203.0.113.9") == "signed in"


def test_the_hourly_pass_forgets_tries_no_limit_looks_at_any_more(api, services, clock):
    from bnpl.portal.jobs import forget_old_tries
    from bnpl.web.models import Throttle

    invoice = ship(api)
    try_sign_in(services, invoice["number"], "9999 ZZ", client="198.51.100.7")
    clock.advance(hours=23)
    try_sign_in(services, "2026-999999", "9999 ZZ", client="198.51.100.8")
    clock.advance(hours=2)
    # The first try's invoice and client keys, and the postcode's, whose count started then too
    # (a key's window runs from its first try: its next try would start over anyway).
    assert forget_old_tries(services) == 3
    with services.sessionmaker() as session:
        left = set(session.scalars(select(Throttle.key)))
    assert left == {"invoice:client:198.51.100.8", "invoice:number:2026-999999"}
