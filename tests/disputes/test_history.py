"""The consumer's history for the mediator: other cases by the same person at any webshop,
found through the identifiers they share (e-mail, phone, address, IBAN) even under another
name or e-mail address, and the abuse signal: 3 or more "not received" / "empty box" claims
within 90 days."""
from datetime import timedelta

from bnpl.disputes import service
from bnpl.payments import service as payments
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.disputes.cases import MEDIATOR, act, open_case
from tests.disputes.support import TODAY, bulk_invoices


def person(n: int, **consumer) -> dict:
    """Order fields for someone with their own e-mail address and front door, unless told."""
    return {"consumer": factories.consumer(email=f"person{n}@example.nl", name=f"Person {n}", **consumer),
            "billing_address": factories.address(house_number=str(100 + n), postal_code="1234 AB")}


def invoices_for(services, merchant_id: str, *people: dict) -> list[str]:
    return bulk_invoices(services, merchant_id, [factories.order(**fields) for fields in people])


def claim(services, invoice_id: str, reason="not_received", clock=None) -> str:
    """Open a case as a mediator taking the call, the webshop asked two weeks ago."""
    contacted = (clock.now().date() if clock else TODAY) - timedelta(days=14)
    return open_case(services, invoice_id, reason=reason, actor=MEDIATOR, contacted=contacted,
                     description="The box was empty when it arrived.")


def history(services, dispute_id: str) -> service.History:
    return act(services, service.history, dispute_id=dispute_id)


def linked(found: service.History) -> dict[str, tuple[str, ...]]:
    return {item.dispute.id: item.linked_by for item in found.disputes}


# --- linking across identities --------------------------------------------------------------

def test_the_same_phone_written_differently_links_three_claims_into_the_signal(api, other_api, services):
    a, b = invoices_for(services, api.merchant_id, person(1, phone="+31 6 1234 5678"), person(2, phone="0612345678"))
    [c] = invoices_for(services, other_api.merchant_id, person(3, phone="06-1234 5678"))
    first, second, third = claim(services, a), claim(services, b, "empty_box"), claim(services, c)
    found = history(services, third)
    assert linked(found) == {first: ("phone",), second: ("phone",)}
    assert ("phone", "+31612345678") in found.identities
    assert (found.suspicious_claims, found.window_days, found.abuse_signal) == (3, 90, True)


def test_the_same_address_with_or_without_a_space_in_the_postcode_links_claims(api, services):
    home = {"postal_code": "3511 AB", "house_number": "12a"}
    a, b, c = invoices_for(services, api.merchant_id,
                           {**person(1), "billing_address": factories.address(**home)},
                           {**person(2), "billing_address": factories.address(postal_code="3511AB", house_number="12A")},
                           {**person(3), "billing_address": factories.address(postal_code="3511ab", house_number="12a")})
    first, second, third = claim(services, a), claim(services, b), claim(services, c, "empty_box")
    found = history(services, third)
    assert linked(found) == {first: ("address",), second: ("address",)}
    assert found.abuse_signal is True


def test_a_shared_delivery_address_does_not_link_strangers(api, services):
    """Three people who had parcels sent to the same pick-up point are not one person."""
    pick_up_point = factories.address(street="Stationsplein", house_number="1", postal_code="3511 CE")
    a, b, c = invoices_for(services, api.merchant_id,
                           *({**person(n), "billing_address": factories.address(postal_code=f"10{n}1 AA"),
                              "shipping_address": pick_up_point} for n in (1, 2, 3)))
    claim(services, a), claim(services, b)
    found = history(services, claim(services, c))
    assert found.disputes == [] and found.abuse_signal is False


def test_the_same_iban_of_a_mandate_or_a_payment_links_claims(api, services):
    a, b, c = invoices_for(services, api.merchant_id, person(1), person(2), person(3))
    scope = Scope(api.merchant_id, False)
    with unit_of_work(services) as uow:
        payments.create_mandate(uow, scope=scope, invoice_id=a, account_holder="P One",
                                iban="NL91 ABNA 0417 1643 00", signed_on=TODAY)
        payments.create_mandate(uow, scope=scope, invoice_id=b, account_holder="P Two",
                                iban="nl91abna0417164300", signed_on=TODAY)
    _paid_from(services, api, c, iban="NL91ABNA0417164300")
    first, second, third = claim(services, a), claim(services, b), claim(services, c)
    found = history(services, third)
    assert linked(found) == {first: ("iban",), second: ("iban",)}
    assert ("iban", "NL91ABNA0417164300") in found.identities
    assert found.abuse_signal is True


def _paid_from(services, api, invoice_id: str, *, iban: str) -> None:
    """A bank transfer of 1 euro towards the invoice, from this account."""
    from bnpl.invoices import service as invoices
    from tests.payments import camt_files as files

    with unit_of_work(services) as uow:
        reference = invoices.get_invoice(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice_id).payment_reference
        summary = payments.import_statement(uow, data=files.statement(files.payment(100, rf=reference, iban=iban)))
        assert summary.counts.get("booked") == 1, summary.counts


def test_several_shared_identifiers_are_all_named(api, services):
    a, b = invoices_for(services, api.merchant_id, person(1, phone="0612345678"), person(2, phone="0612345678"))
    first, second = claim(services, a), claim(services, b)
    assert linked(history(services, second)) == {first: ("phone",)}
    # Person 1 again, from another front door: the same e-mail address is the same consumer.
    [c] = invoices_for(services, api.merchant_id, {**person(1, phone="0612345678"),
                                                   "billing_address": factories.address(house_number="7")})
    third = claim(services, c, "damaged")
    assert linked(history(services, third)) == {first: ("address", "email", "phone"), second: ("phone",)}


def test_unrelated_people_are_not_linked(api, services):
    a, b, c = invoices_for(services, api.merchant_id, person(1, phone="0611111111"), person(2, phone="0622222222"),
                           person(3, phone="0633333333"))
    cases = [claim(services, invoice_id) for invoice_id in (a, b, c)]
    found = history(services, cases[-1])
    assert found.disputes == [] and found.suspicious_claims == 1 and found.abuse_signal is False


# --- the abuse signal -----------------------------------------------------------------------

def test_two_claims_are_no_signal(api, services):
    a, b = invoices_for(services, api.merchant_id, person(1, phone="0612345678"), person(2, phone="0612345678"))
    claim(services, a)
    found = history(services, claim(services, b))
    assert (len(found.disputes), found.suspicious_claims, found.abuse_signal) == (1, 2, False)


def test_claims_older_than_90_days_do_not_count(api, services, clock):
    a, b, c = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3)))
    old = claim(services, a, clock=clock)
    clock.advance(days=91)
    claim(services, b, clock=clock)
    clock.advance(days=1)
    newest = claim(services, c, clock=clock)
    found = history(services, newest)
    assert old in linked(found)  # still in the history, but outside the window
    assert (found.suspicious_claims, found.abuse_signal) == (2, False)


def test_three_claims_within_90_days_are_a_signal_on_each_of_them(api, services, clock):
    a, b, c = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3)))
    cases = []
    for invoice_id in (a, b, c):
        cases.append(claim(services, invoice_id, clock=clock))
        clock.advance(days=44)
    assert [history(services, case).abuse_signal for case in cases] == [True, True, True]


def test_claims_spread_over_more_than_90_days_are_no_signal(api, services, clock):
    # Day 0, 80 and 160: any two are within 90 days, never all three.
    a, b, c = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3)))
    cases = []
    for invoice_id in (a, b, c):
        cases.append(claim(services, invoice_id, clock=clock))
        clock.advance(days=80)
    assert [history(services, case).suspicious_claims for case in cases] == [2, 2, 2]
    assert [history(services, case).abuse_signal for case in cases] == [False, False, False]


def test_a_damaged_claim_does_not_count(api, services):
    a, b, c = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3)))
    claim(services, a)
    claim(services, b, "damaged")
    found = history(services, claim(services, c, "empty_box"))
    assert len(found.disputes) == 2  # the damaged one is in the history all the same
    assert (found.suspicious_claims, found.abuse_signal) == (2, False)


# --- other webshops -------------------------------------------------------------------------

def test_cases_at_other_webshops_are_listed_with_the_webshops_name(api, other_api, services, clock):
    [here] = invoices_for(services, api.merchant_id, person(1, phone="0612345678"))
    [there] = invoices_for(services, other_api.merchant_id, person(2, phone="0612345678"))
    at_other_shop = claim(services, there)
    clock.advance(hours=1)
    current = claim(services, here)
    [earlier] = history(services, current).disputes
    assert (earlier.dispute.id, earlier.merchant_name) == (at_other_shop, "Boekhandel Groningen")
    assert earlier.dispute.merchant_id == other_api.merchant_id
    [back] = history(services, at_other_shop).disputes
    assert (back.dispute.id, back.merchant_name) == (current, "Fietsenwinkel Utrecht")


def test_the_history_is_newest_first(api, services, clock):
    ids = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3, 4)))
    opened = []
    for invoice_id in ids:
        opened.append(claim(services, invoice_id, "wrong_item", clock=clock))
        clock.advance(days=1)
    assert [item.dispute.id for item in history(services, opened[-1]).disputes] == opened[-2::-1]


def test_a_serial_claimant_is_flagged_on_their_other_cases_too(api, services):
    """The mediator reading a 'damaged' claim sees that this person made three 'not received'
    claims within 90 days: the signal is about the person, not about this one case."""
    a, b, c, d = invoices_for(services, api.merchant_id, *(person(n, phone="0612345678") for n in (1, 2, 3, 4)))
    for invoice in (a, b, c):
        claim(services, invoice)
    found = history(services, claim(services, d, "damaged"))
    assert (found.suspicious_claims, found.abuse_signal) == (3, True)
