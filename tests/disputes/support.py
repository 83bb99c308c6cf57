"""Reading a case and its money trail the way the two sides see it, for the dispute tests.

cases.py opens cases; this module answers, decides and looks: the merchant API for what a
webshop sees, the invoice through GET /invoices/{id}, and the outbox for what left the house.
"""
from __future__ import annotations

import base64
import dataclasses
import io
from datetime import date

from sqlalchemy import select

from bnpl.disputes import service
from bnpl.disputes.models import DisputeEntry
from bnpl.notifications.models import OutboxMessage
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema, ShipmentCreateSchema
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories, identified
from tests.disputes.cases import MEDIATOR, act
from tests.payments.flows import invoice  # noqa: F401 - re-exported: GET /invoices/{id}, asserting 200

TODAY = date(2026, 11, 23)  # NOW's date in Europe/Amsterdam
REASONS = "The carrier's record shows no delivery at the consumer's address."


def dispute(api, dispute_id: str) -> dict:
    r = api.get(f"/disputes/{dispute_id}")
    assert r.status_code == 200, r.json
    return r.json


def respond(api, dispute_id: str, proposal: str, *, message="We looked into this with our warehouse.",
            amount=None, evidence=()):
    """POST /disputes/{id}/responses; evidence: (filename, bytes) pairs, sent as base64."""
    body = {"message": message, "proposal": proposal,
            "evidence": [{"filename": name, "content": b64(content)} for name, content in evidence]}
    if amount is not None:
        body["amount"] = amount
    return api.post(f"/disputes/{dispute_id}/responses", json=body)


def rejected(api, dispute_id: str) -> dict:
    """The merchant rejects: the case goes to a mediator (in_review)."""
    r = respond(api, dispute_id, "reject", message="Our carrier has a signature for this parcel.")
    assert r.status_code == 201, r.json
    assert r.json["status"] == "in_review"
    return r.json


def decide(services, dispute_id: str, outcome: str, *, reasons=REASONS, amount=None, actor=MEDIATOR):
    return act(services, service.decide, dispute_id=dispute_id, actor=actor, outcome=outcome, reasons=reasons,
               amount=amount)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def png(size=(4, 4)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pdf(size: int = 0) -> bytes:
    """A PDF of exactly `size` bytes (or the smallest one, 17 bytes)."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * max(size - len(head) - len(tail), 0) + tail


def outbox(services, **where) -> list[OutboxMessage]:
    with services.sessionmaker() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


def entries(services, dispute_id: str, kind: str | None = None) -> list[DisputeEntry]:
    """Every timeline entry of a case, staff-only ones included."""
    with services.sessionmaker() as session:
        query = select(DisputeEntry).where(DisputeEntry.dispute_id == dispute_id).order_by(DisputeEntry.id)
        if kind:
            query = query.where(DisputeEntry.kind == kind)
        return list(session.scalars(query))


def kinds(case: dict) -> list[str]:
    """The kinds of the shared timeline's entries, in order."""
    return [entry["kind"] for entry in case["timeline"]]


def bulk_invoices(services, merchant_id: str, bodies: list[dict]) -> list[str]:
    """Orders made and shipped through the orders service in one transaction (the API would
    take two requests per invoice); their invoice ids, in the order given."""
    scope, orders_in, shipment_in = Scope(merchant_id, False), OrderCreateSchema(), ShipmentCreateSchema()
    made = []
    with unit_of_work(services) as uow:
        for body in bodies:
            order = identified.in_service(uow, orders.create_order(uow, scope=scope, data=orders_in.load(body)))
            assert order.status == "accepted", order.status
            made.append(orders.ship_order(uow, scope=scope, order_id=order.id, data=shipment_in.load({})).invoice.id)
    return made


def many_invoices(services, merchant_id: str, n: int, **order) -> list[str]:
    """n invoices of n different consumers (one e-mail address each)."""
    return bulk_invoices(services, merchant_id, [
        factories.order(consumer=factories.consumer(email=f"klant{i}@example.nl"), **order) for i in range(n)])



def pay(services, api, inv: dict, amount: int | None = None, payment_id: str = "pay_test_1") -> None:
    """The consumer pays (all of) the invoice by bank transfer."""
    from bnpl.invoices import ledger as invoice_ledger

    with unit_of_work(services) as uow:
        invoice_ledger.apply_payment(uow, scope=Scope(api.merchant_id, False), invoice_id=inv["id"], payment_id=payment_id,
                                     method="bank_transfer", amount=inv["total"] if amount is None else amount,
                                     paid_on=TODAY)


def dispute_rules(monkeypatch, services, **changes) -> None:
    """Other numbers of mediation (what BNPL_DISPUTE_<NAME> sets) for this test."""
    rules = dataclasses.replace(services.settings.disputes, **changes)
    monkeypatch.setattr(services, "settings", dataclasses.replace(services.settings, disputes=rules))
