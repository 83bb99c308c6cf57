"""What a security review of the first version found, each as the rule it broke."""
from sqlalchemy import select

from bnpl.notifications.jobs import deliver_outbox
from bnpl.notifications.models import OutboxMessage
from bnpl.portal import service as portal
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import make_merchant, ApiClient
from tests.payments.flows import ship
from tests.portal.conftest import EMAIL, sign_in, sign_in_link


def test_a_test_order_in_a_strangers_name_does_not_reach_their_portal(app, api, services, browser):
    live_id, live_key = make_merchant(services, "Echte Winkel", livemode=True)
    live = ApiClient(app.test_client(), live_key, live_id)
    real = ship(live)
    planted = ship(api)  # `api` is a test-mode key: anyone can create one with any e-mail address
    sign_in(browser, services)
    page = browser.page("/portal/")
    assert real["number"] in page and planted["number"] not in page
    assert browser.get(f"/portal/invoices/{planted['id']}").status_code == 404


def test_test_purchases_alone_are_shown_as_test_mode(api, services, browser, invoice):
    sign_in(browser, services)
    page = browser.page("/portal/")
    assert invoice["number"] in page and "Test mode" in page


def test_the_sign_in_link_is_not_kept_once_delivered(api, services, browser, invoice):
    sign_in_link(browser, services)
    deliver_outbox(services)
    with services.sessionmaker() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in")).one()
    assert message.status == "delivered" and message.payload["link"] is None


def test_a_return_reported_from_one_invoice_comes_off_that_invoice(api, services, browser):
    created = api.post("/orders", json=factories.order(lines=[factories.line("SKU-1", 2)])).json
    first = api.post(f"/orders/{created['id']}/shipments", json={"lines": [{"reference": "SKU-1", "quantity": 1}]}).json
    second = api.post(f"/orders/{created['id']}/shipments", json={}).json
    sign_in(browser, services)
    with unit_of_work(services) as uow:
        viewer = portal.Viewer(email=EMAIL, livemode=False)
        ret = portal.report_return(uow, viewer=viewer, invoice_id=second["invoice"]["id"],
                                   lines=[{"reference": "SKU-1", "quantity": 1}])
    assert {line.invoice_id for line in ret.lines} == {second["invoice"]["id"]}
    assert api.get(f"/invoices/{first['invoice']['id']}").json["status"] == "open"
    assert api.get(f"/invoices/{second['invoice']['id']}").json["status"] == "paused"


def test_a_postcode_tried_against_many_invoice_numbers_is_stopped(api, services, browser):
    for n in range(portal.WRONG_NUMBERS_PER_POSTCODE[0]):
        with unit_of_work(services) as uow:
            try:
                portal.sign_in_with_invoice(uow, number=f"2026-{n:06d}", postal_code="3511 AB", client=f"10.0.0.{n}")
            except portal.SignInRefused:
                pass
    invoice = ship(api)
    with unit_of_work(services) as uow:
        try:
            portal.sign_in_with_invoice(uow, number=invoice["number"], postal_code="3511 AB", client="10.9.9.9")
        except portal.TooManyAttempts:
            return
    raise AssertionError("the eleventh number with the same postcode got in")
