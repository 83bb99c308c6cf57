"""The portal's use cases through the service, before any page."""
import pytest

from bnpl.errors import NotFound
from bnpl.notifications.models import OutboxMessage
from bnpl.portal import service as portal
from bnpl.uow import unit_of_work
from sqlalchemy import select
from tests.payments.flows import ship


def test_a_link_signs_in_once_and_shows_every_shops_purchases(api, other_api, services):
    mine = ship(api)
    also_mine = ship(other_api)
    with unit_of_work(services) as uow:
        portal.request_link(uow, email="Sanne.DeVries@example.nl ", client="127.0.0.1")
    with unit_of_work(services) as uow:
        link = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "portal_sign_in")).payload["link"]
    token = link.rsplit("/", 1)[1]
    with unit_of_work(services) as uow:
        signed_in = portal.redeem_link(uow, token=token)
    with unit_of_work(services) as uow:
        with pytest.raises(portal.SignInRefused):
            portal.redeem_link(uow, token=token)
    with unit_of_work(services) as uow:
        viewer = portal.viewer_of_device(uow, token=signed_in.device_token)
        seen = {p.invoice.id for _, group in portal.purchases(uow, viewer=viewer) for p in group}
    assert seen == {mine["id"], also_mine["id"]}


def test_an_invoice_number_and_postcode_show_that_invoice_only(api, services):
    first, second = ship(api), ship(api)
    with unit_of_work(services) as uow:
        signed_in = portal.sign_in_with_invoice(uow, number=first["number"].lower(), postal_code="3511ab",
                                                client="127.0.0.1")
    with unit_of_work(services) as uow:
        assert portal.invoice_of(uow, viewer=signed_in.viewer, invoice_id=first["id"]).id == first["id"]
        with pytest.raises(NotFound):
            portal.invoice_of(uow, viewer=signed_in.viewer, invoice_id=second["id"])
