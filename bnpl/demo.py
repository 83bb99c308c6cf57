"""``bnpl demo``: two webshops with orders in several states, through the real services."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select

from bnpl.clock import FixedClock
from bnpl.merchants import service as merchants
from bnpl.merchants.models import Merchant
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work

NOTE_FILE = "demo.txt"


def _address(street, number, postcode, city):
    return {"street": street, "house_number": number, "postal_code": postcode, "city": city, "country": "NL"}


def _order(ref, email, name, address, lines, **consumer):
    return OrderCreateSchema().load({"merchant_reference": ref, "currency": "EUR",
            "consumer": {"email": email, "name": name, "type": "person", **consumer},
            "billing_address": address,
            "lines": [{"reference": r, "description": d, "quantity": q, "unit_price": p, "vat_rate": v}
                      for r, d, q, p, v in lines]})


def fill_demo(services, *, skip_if_not_empty: bool = False) -> str:
    """Create the demo and return what to print."""
    note = services.settings.instance_path / NOTE_FILE
    with unit_of_work(services) as uow:
        if uow.session.scalar(select(func.count()).select_from(Merchant)):
            if skip_if_not_empty:
                return "The database already has data; no demo added.\n" + (note.read_text() if note.exists() else "")
            raise SystemExit("bnpl demo fills an empty database; this one has data.")
        shop = merchants.create_merchant(uow, name="Fietsenwinkel De Spaak", livemode=False,
                                         payout_iban="NL91ABNA0417164300")
        books = merchants.create_merchant(uow, name="Boekhandel Het Ezelsoor", livemode=False)
        uow.session.flush()
        _bike_shop(uow, Scope(shop.merchant.id, False))
        _book_shop(uow, Scope(books.merchant.id, False))
    text = _where_to_look(services.settings.base_url, shop.api_key, books.api_key)
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(text)
    return text


@contextmanager
def _days_ago(uow, days: int):
    """Let the demo tell a story that started in the past, through the same services."""
    real = uow.clock
    uow.clock = FixedClock(real.now() - timedelta(days=days))
    try:
        yield
    finally:
        uow.clock = real


def _bike_shop(uow, scope):
    home = _address("Oudegracht", "12a", "3511AB", "Utrecht")
    # Ordered and delivered three weeks ago and never paid: overdue.
    with _days_ago(uow, 23):
        late = orders.create_order(uow, scope=scope, data=_order(
            "DS-1001", "pieter.bakker@example.nl", "Pieter Bakker", _address("Kerkstraat", "5", "1017GB", "Amsterdam"),
            [("HELM-01", "Fietshelm Urban, maat M", 1, 5995, 21), ("BEL-02", "Fietsbel messing", 1, 1250, 21)]))
        orders.ship_order(uow, scope=scope, order_id=late.id, data={"carrier": "PostNL"})
    with _days_ago(uow, 22):
        orders.report_delivery(uow, scope=scope, shipment_id=late.shipments[0].id, delivered_at=uow.now())
    # The same consumer again: declined because of the overdue invoice.
    orders.create_order(uow, scope=scope, data=_order(
        "DS-1002", "pieter.bakker@example.nl", "Pieter Bakker", _address("Kerkstraat", "5", "1017GB", "Amsterdam"),
        [("SLOT-03", "Kettingslot ART-3", 1, 7495, 21)]))
    # Partly shipped: the bike follows later.
    partly = orders.create_order(uow, scope=scope, data=_order(
        "DS-1003", "sanne.devries@example.nl", "Sanne de Vries", home,
        [("EBIKE-7", "E-bike Stadsfiets 7 versnellingen", 1, 189900, 21),
         ("TAS-11", "Dubbele fietstas waterdicht", 1, 6450, 21)], birth_date="1991-04-17"))
    orders.ship_order(uow, scope=scope, order_id=partly.id, data={
        "lines": [{"reference": "TAS-11", "quantity": 1}], "carrier": "DHL", "tracking_code": "JVGL0612345678"})
    # Above the limit: declined with its reason.
    orders.create_order(uow, scope=scope, data=_order(
        "DS-1004", "jan.jansen@example.nl", "Jan Jansen", _address("Markt", "1", "5611EB", "Eindhoven"),
        [("RACE-9", "Racefiets carbon", 1, 349900, 21)]))


def _book_shop(uow, scope):
    home = _address("Vismarkt", "3", "9712CA", "Groningen")
    shipped = orders.create_order(uow, scope=scope, data=_order(
        "EZ-501", "sanne.devries@example.nl", "Sanne de Vries", home,
        [("9789021423333", "Max Havelaar (paperback)", 1, 1499, 9),
         ("9789044652925", "Het diner", 2, 1250, 9), ("BOEKENLEGGER", "Boekenlegger leer", 1, 495, 21)],
        birth_date="1991-04-17"))
    orders.ship_order(uow, scope=scope, order_id=shipped.id, data={"carrier": "PostNL"})
    cancelled = orders.create_order(uow, scope=scope, data=_order(
        "EZ-502", "lotte.visser@example.nl", "Lotte Visser", _address("Nieuwstraat", "20", "2011HV", "Haarlem"),
        [("9789023479635", "De avond is ongemak", 1, 2299, 9)]))
    orders.cancel_order(uow, scope=scope, order_id=cancelled.id, data={"reason": "out of stock"})
    orders.create_order(uow, scope=scope, data=_order(
        "EZ-503", "lotte.visser@example.nl", "Lotte Visser", _address("Nieuwstraat", "20", "2011HV", "Haarlem"),
        [("9789025368227", "Tirza", 1, 2450, 9)]))


def _where_to_look(base: str, shop_key: str, books_key: str) -> str:
    return f"""Demo data is ready: two webshops in test mode.

  Fietsenwinkel De Spaak   API key {shop_key}
  Boekhandel Het Ezelsoor  API key {books_key}

Where to look (after `bnpl serve`):
  API docs        {base}/docs
  OpenAPI         {base}/openapi.json
  Health          {base}/healthz
  Orders          curl -H 'Authorization: Bearer {shop_key}' {base}/api/v1/orders
  Invoices        curl -H 'Authorization: Bearer {shop_key}' {base}/api/v1/invoices
  Events          curl -H 'Authorization: Bearer {shop_key}' {base}/api/v1/events
(This text is also kept in instance/{NOTE_FILE}.)
"""
