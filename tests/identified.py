"""Tests that need an order accepted, whatever risk thinks of a made-up consumer placing many
orders in one instant: the consumer identifies through the local bank, as a real one would
when asked. Risk's own rules are specified in tests/risk; they are not loosened here."""
from __future__ import annotations

from urllib.parse import urlparse

from bnpl.orders import service as orders


def through_api(api, created: dict) -> dict:
    """The order as the API shows it once its consumer confirmed on the local bank's page."""
    if created["status"] != "verification_required":
        return created
    url = created["decision"]["verification_url"]
    api.client.post(urlparse(url).path, data={"decision": "confirm"})
    return api.get(f"/orders/{created['id']}").json


def in_service(uow, order):
    """The same, for an order made through the orders service in the test's transaction."""
    if order.status != "verification_required":
        return order
    reference = order.decision["verification_url"].rsplit("/", 1)[-1]
    return orders.decide_verification_locally(uow, reference=reference, confirm=True)
