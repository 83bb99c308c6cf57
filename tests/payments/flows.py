"""What the payment tests do through the merchant API before money arrives."""
from __future__ import annotations

from tests import factories, identified


def ship(api, **order) -> dict:
    """Create and ship an order whole; its invoice as the API returns it."""
    created = api.post("/orders", json=factories.order(**order))
    assert created.status_code == 201, created.json
    accepted = identified.through_api(api, created.json)
    assert accepted["status"] == "accepted", accepted["decision"]
    shipment = api.post(f"/orders/{accepted['id']}/shipments", json={})
    assert shipment.status_code == 201, shipment.json
    return shipment.json["invoice"]


def invoice(api, invoice_id: str) -> dict:
    r = api.get(f"/invoices/{invoice_id}")
    assert r.status_code == 200, r.json
    return r.json


def parser_gives_up_after_one_entry(monkeypatch) -> None:
    """The import reads one entry per part, and the parser fails after the first: what a
    parser failing partway through a file looks like to import_statement_file."""
    from bnpl.payments import camt, jobs
    from bnpl.payments.statements import StatementError

    read = camt.read

    def gives_up(data, batch=None):
        yield next(read(data, batch))
        raise StatementError("Not well-formed XML: the parser gave up")

    monkeypatch.setattr(jobs, "CHUNK", 1)
    monkeypatch.setattr(camt, "read", gives_up)
