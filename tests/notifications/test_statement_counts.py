"""What one invoice mail and one order cost the database, counted statement by statement.

Every statement the driver is asked to run counts (SQLAlchemy's before_cursor_execute),
except SQLite's BEGIN IMMEDIATE: PostgreSQL's driver opens its transactions too, but not
through the cursor, and the figures are meant to compare across both. The ceilings are the
figures measured when the mail worker learned to read each message once
(notifications/snapshot.py); a change that adds a statement to these paths fails here and has
to say why, or lowers the figure when it saves one.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from bnpl.documents.jobs import render_documents
from bnpl.notifications.jobs import deliver_mail
from tests import factories

# Delivering one invoice-issued e-mail: claim it (2); renew the claim and read the message,
# the order, the invoice, the shop and the stored PDF (5); record the outcome (2); find
# nothing more due (1). Counted in the mail lane (jobs.deliver_mail); deliver_outbox's
# webhook lane adds its one look for due webhooks. Before the snapshot: 36 (PostgreSQL) and 40 (SQLite, with 4 BEGINs).
INVOICE_MAIL = 10
# POST /orders, then POST /orders/{id}/shipments, for an order of one line, as measured on
# 2026-12-07: each request's key check, the risk decision on the person, the order, consumer,
# invoice and their rows, events, webhooks looked up, the outbox row and the render request.
# (31 on both backends before the risk feature decided on the person; 45 and 44 with it, before
# the hot path's lazy loads went; 43 and 42 before a new person's links went in one statement
# and a consumer this order created was known to owe nothing; 34 and 33 before the shipment's
# events went as one batch; 32 and 30 before the webshop's policy was read with the activity;
# PostgreSQL 28 before the new person, the decision and the order went with their rows in one
# statement each; SQLite 29 before a request's events went in one INSERT there too; PostgreSQL
# 25 before a new consumer's person was looked up and created in one, 24 before shipping
# chained its writes, 20 before the render request went with the invoice.)
CREATE_AND_SHIP = {"sqlite": 28, "postgresql": 19}
# POST /orders/{id}/shipments alone, the year's invoice numbers begun: the key check (1); the
# order, locked, with its lines (1); the order's status, its lines' shipped quantities, the
# shipment and its lines (4; PostgreSQL 1, sql.Chained); the invoice number (1); the invoice,
# the request for its PDF and its lines (3; PostgreSQL 1); shipment.created and invoice.issued
# as one batch: the events (1), the webhook endpoints (1), the outbox (1). Before issue 19's hot
# path: 17 on both (two batches of events, each reading the webhook endpoints; the invoice read
# back for its mail); 15 and 14 before the order and its lines were read in one statement and
# SQLite wrote the batch's events in one INSERT (one per event before); PostgreSQL 13 before
# shipping chained its writes, 9 before the render request went with the invoice.
SHIP = {"sqlite": 13, "postgresql": 8}
# POST /orders alone, a consumer never seen: the key check (1), the merchant reference unused
# (1), the consumer created (1), the person: their identifiers looked up, the new person and
# their links (3; PostgreSQL 1, the lookup and the person's INSERT CTEs of the links'), the
# activity around them with the webshop's policy (1), the decision and its sightings (2;
# PostgreSQL 1), the order and its lines (2; PostgreSQL 1), the event and the webhook endpoints
# (2). With an Idempotency-Key (bench/api_flow.py) its claim and the stored answer add 2. Before
# issue 19's hot path: 21 (a statement per link; the new consumer's paid history, exposure,
# records and unshipped orders read); 14 before the policy was read with the activity.
CREATE = {"sqlite": 13, "postgresql": 9}


@contextmanager
def counted(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement != "BEGIN IMMEDIATE":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def ship(api) -> dict:
    created = api.post("/orders", json=factories.order())
    assert created.status_code == 201, created.json
    shipped = api.post(f"/orders/{created.json['id']}/shipments", json={})
    assert shipped.status_code == 201, shipped.json
    return shipped.json["invoice"]


def test_delivering_one_invoice_mail(api, services):
    ship(api)
    render_documents(services)  # the scheduler's renderer stores the PDF; the mail only reads it
    with counted(services.engine) as statements:
        assert deliver_mail(services) == {"delivered": 1}
    print(f"{len(statements)} statements:", *statements, sep="\n")
    assert len(statements) <= INVOICE_MAIL


def test_creating_and_shipping_one_order(api, services):
    api.get("/orders")  # the API key's first use is no part of the order
    with counted(services.engine) as statements:
        ship(api)
    print(f"{len(statements)} statements:", *statements, sep="\n")
    assert len(statements) <= CREATE_AND_SHIP[services.engine.dialect.name]


def test_shipping_one_order(api, services):
    ship(api)  # the year's first invoice begins its number series
    created = api.post("/orders", json=factories.order())
    assert created.status_code == 201, created.json
    with counted(services.engine) as statements:
        shipped = api.post(f"/orders/{created.json['id']}/shipments", json={})
    assert shipped.status_code == 201, shipped.json
    print(f"{len(statements)} statements:", *statements, sep="\n")
    assert len(statements) <= SHIP[services.engine.dialect.name]


def test_creating_one_order(api, services):
    api.get("/orders")  # the API key's first use is no part of the order
    with counted(services.engine) as statements:
        created = api.post("/orders", json=factories.order())
    assert created.status_code == 201, created.json
    print(f"{len(statements)} statements:", *statements, sep="\n")
    assert len(statements) <= CREATE[services.engine.dialect.name]
