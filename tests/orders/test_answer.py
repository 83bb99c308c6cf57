"""A new order's answer (and its event's data) is built without marshmallow
(orders.schemas.dump_new_order): it must be OrderSchema's dump of the stored order, the same
keys in the same order with the same values, for every kind of order."""
import json
from datetime import timedelta

import pytest

from bnpl.events.models import Event
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema, OrderSchema
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.risk.support import asks_for_high_risk_goods

BUSINESS = factories.consumer(type="business", company_name="Spaak B.V.", vat_number="NL004495445B01",
                              email="inkoop@spaak.example")

KINDS = {
    "three lines, two rates": dict(lines=factories.three_lines()),
    "abroad at 5.5 %, shipped elsewhere": dict(
        shipping_address=factories.address(country="FR", postal_code="75001", city="Paris"),
        lines=[factories.line(vat_rate=5.5, unit_price=1055), factories.line("B", 3, 1, 5.5)]),
    "declined above the limit": dict(lines=[factories.line(unit_price=250_001)]),
    "a minor, with phone and language": dict(consumer=factories.consumer(
        email="jong@example.nl", birth_date="2010-05-01", phone="+31 6 12345678", language="en")),
    "a business": dict(consumer=BUSINESS),
    "waiting for the bank": dict(consumer=factories.consumer(email="nieuw@example.nl"),
                                 context={"high_risk_goods": True, "device_id": "d-1", "ip_address": "192.0.2.7"}),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_orders_answer_is_the_schemas_dump_of_the_stored_order(api, services, clock, kind):
    api.patch("/merchant", json=factories.SELLER)
    asks_for_high_risk_goods(api)
    clock.set(clock.now() + timedelta(microseconds=123_456))
    scope = Scope(api.merchant_id, False)
    with unit_of_work(services) as uow:
        created = orders.create_order(uow, scope=scope, data=OrderCreateSchema().load(factories.order(**KINDS[kind])))
    with unit_of_work(services) as uow:
        stored = OrderSchema().dump(orders.get_order(uow, scope=scope, order_id=created.id))
        event = uow.session.query(Event).filter_by(subject_id=created.id).one()
    # Key order too (webhook bodies keep it), but not within the stored JSON fields, whose keys
    # PostgreSQL reorders (the answer keeps the request's order, as the ORM object did).
    assert json.dumps(_sorted_json_fields(created.answer)) == json.dumps(_sorted_json_fields(stored))
    assert event.data == stored and event.type == f"order.{stored['status']}"
    assert (created.id, created.status, created.decision, created.total_cents) == (
        stored["id"], stored["status"], stored["decision"], stored["total"])


def _sorted_json_fields(order: dict) -> dict:
    return {key: dict(sorted(value.items())) if key in ("consumer", "billing_address", "shipping_address") and value
            else value for key, value in order.items()}


def test_the_api_answers_a_new_order_as_it_answers_reading_it(api):
    created = api.post("/orders", json=factories.order(lines=factories.three_lines(),
                                                       shipping_address=factories.address(city="Zeist")))
    assert created.status_code == 201
    read = api.get(f"/orders/{created.json['id']}")
    assert created.json == read.json
