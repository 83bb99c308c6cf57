"""A last review's findings, each as the rule it broke."""
import pytest

from bnpl.disputes import service as disputes
from bnpl.errors import InvalidInput
from bnpl.invoices import service as invoices
from bnpl.portal.views import _client
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.conftest import ApiClient, make_merchant
from tests.disputes.cases import open_case
from tests.payments.flows import ship
from tests.portal.conftest import sign_in


@pytest.mark.parametrize("address, key", [
    ("2001:db8::1", "2001:db8::/64"), ("2001:db8::2", "2001:db8::/64"),
    ("2001:db8:0:0:ffff::9", "2001:db8::/64"), ("::ffff:192.0.2.7", "192.0.2.7"), ("192.0.2.7", "192.0.2.7")])
def test_rate_limits_count_an_ipv6_network_as_one_client(app, address, key):
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        assert _client() == key


def test_a_live_invoice_offers_no_online_payment_the_provider_cannot_take(app, services, browser):
    merchant_id, key = make_merchant(services, "Echte Winkel", livemode=True)
    live = ship(ApiClient(app.test_client(), key, merchant_id))
    sign_in(browser, services)
    page = browser.page(f"/portal/invoices/{live['id']}/pay")
    assert "Pay online" not in page and live["payment_reference"][:4] in page  # the transfer is still there


def test_a_response_with_an_unknown_proposal_is_refused_by_the_service(api, services):
    case = open_case(services, ship(api)["id"])
    with unit_of_work(services) as uow, pytest.raises(InvalidInput):
        disputes.respond(uow, scope=Scope(api.merchant_id, False), dispute_id=case,
                         response=disputes.MerchantResponse(message="Hm.", proposal="maybe"))


def test_an_invoice_number_is_found_as_a_person_types_it(api, services):
    number = ship(api)["number"]
    with unit_of_work(services) as uow:
        assert invoices.find_invoice(uow, number=f" {number.lower()} ").number == number


def test_the_link_only_refusal_reads_in_dutch(api, services, app):
    from flask import g

    from bnpl.portal import words
    with app.test_request_context():
        g.language = "nl"
        assert words.refusal("For this, sign in with the link we e-mail you: an invoice number and postcode only "
                             "open that one invoice.").startswith("Log hiervoor in")
        assert words.refusal("Between 1 and 2 (not yet credited).") == "Tussen 1 en 2 (nog niet gecrediteerd)."
