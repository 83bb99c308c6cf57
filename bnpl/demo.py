"""``bnpl demo``: two webshops with orders in several states, through the real services."""
from __future__ import annotations

import base64
import io
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select

from bnpl.clock import FixedClock
from bnpl.invoices import service as invoices
from bnpl.documents.jobs import render_documents
from bnpl.notifications.jobs import deliver_outbox
from bnpl.merchants import service as merchants
from bnpl.merchants.models import Merchant
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema
from bnpl.returns import service as returns
from bnpl.risk import service as risk
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
        shop = merchants.create_merchant(
            uow, name="Fietsenwinkel De Spaak", livemode=False, payout_iban="NL91ABNA0417164300",
            legal_name="De Spaak Fietsen B.V.", vat_number="NL808661863B01", coc_number="30123456",
            address=_address("Oudegracht", "101", "3511 AK", "Utrecht"), brand_colour="#0f766e",
            email="webshop@despaak.example",
            logo=_logo("De Spaak", "#0f766e"))
        books = merchants.create_merchant(
            uow, name="Boekhandel Het Ezelsoor", livemode=False, legal_name="Het Ezelsoor V.O.F.",
            vat_number="NL004495445B01", address=_address("Vismarkt", "44", "9711 KT", "Groningen"),
            brand_colour="#9a3412", email="winkel@ezelsoor.example")
        uow.session.flush()
        late_invoice = _bike_shop(uow, Scope(shop.merchant.id, False))
        example_invoice, abroad_invoice = _book_shop(uow, Scope(books.merchant.id, False))
        _mediation(uow, late_invoice, abroad_invoice)
        _change_waiting(uow, Scope(shop.merchant.id, False), shop.merchant)
    render_documents(services)
    deliver_outbox(services)  # the consumers' e-mails, as .eml files unless BNPL_SMTP_URL is set
    with unit_of_work(services) as uow:
        portal_invoice = invoices.find_invoice(uow, invoice_id=example_invoice).number
    text = _where_to_look(services.settings.base_url, shop.api_key, books.api_key, example_invoice, portal_invoice)
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
    # Ordered and delivered five weeks ago and never paid: overdue by three weeks.
    with _days_ago(uow, 37):
        late = orders.create_order(uow, scope=scope, data=_order(
            "DS-1001", "pieter.bakker@example.nl", "Pieter Bakker", _address("Kerkstraat", "5", "1017GB", "Amsterdam"),
            [("HELM-01", "Fietshelm Urban, maat M", 1, 5995, 21), ("BEL-02", "Fietsbel messing", 1, 1250, 21)]))
        sent = orders.ship_order(uow, scope=scope, order_id=late.id, data={"carrier": "PostNL"})
    with _days_ago(uow, 36):
        delivered = orders.report_delivery(uow, scope=scope, shipment_id=sent.shipment.id, delivered_at=uow.now())
    # The same consumer again: declined because of the overdue invoice.
    orders.create_order(uow, scope=scope, data=_order(
        "DS-1002", "pieter.bakker@example.nl", "Pieter Bakker", _address("Kerkstraat", "5", "1017GB", "Amsterdam"),
        [("SLOT-03", "Kettingslot ART-3", 1, 7495, 21)]))
    # Partly shipped: the bike follows later.
    partly = orders.create_order(uow, scope=scope, data=_order(
        "DS-1003", "sanne.devries@example.nl", "Sanne de Vries", home,
        [("ZITJE-7", "Kinderzitje achter, met voetsteunen", 1, 8995, 21),
         ("TAS-11", "Dubbele fietstas waterdicht", 1, 6450, 21)], birth_date="1991-04-17"))
    orders.ship_order(uow, scope=scope, order_id=partly.id, data={
        "lines": [{"reference": "TAS-11", "quantity": 1}], "carrier": "DHL", "tracking_code": "JVGL0612345678"})
    # Someone new to us buying goods the shop marks as high-risk: this shop has them identify
    # through their bank first (the order answer's verification_url, the local bank's page in
    # test mode), a rule stricter than the installation's default, as a webshop may set.
    risk.set_policy(uow, merchant_id=scope.merchant_id, changes={"verify_fresh_high_risk_goods": True})
    orders.create_order(uow, scope=scope, data={**_order(
        "DS-1005", "noah.devos@example.nl", "Noah de Vos", _address("Lange Nieuwstraat", "40", "3512PH", "Utrecht"),
        [("GPS-5", "Fietscomputer met GPS", 1, 24900, 21)]), "context": {"high_risk_goods": True, "device_id": "demo-noah"}})
    # Above the limit: declined with its reason.
    orders.create_order(uow, scope=scope, data=_order(
        "DS-1004", "jan.jansen@example.nl", "Jan Jansen", _address("Markt", "1", "5611EB", "Eindhoven"),
        [("RACE-9", "Racefiets carbon", 1, 349900, 21)]))
    return delivered.invoice.id


def _book_shop(uow, scope) -> str:
    home = _address("Vismarkt", "3", "9712CA", "Groningen")
    shipped = orders.create_order(uow, scope=scope, data=_order(
        "EZ-501", "sanne.devries@example.nl", "Sanne de Vries", home,
        [("9789021423333", "Max Havelaar (paperback)", 1, 1499, 9),
         ("9789044652925", "Het diner", 2, 1250, 9), ("BOEKENLEGGER", "Boekenlegger leer", 1, 495, 21)],
        birth_date="1991-04-17"))
    invoice = orders.ship_order(uow, scope=scope, order_id=shipped.id, data={"carrier": "PostNL"}).invoice
    # One copy of "Het diner" came back: a credit note, and the invoice shows what is left.
    returns.register_return(uow, scope=scope, order_id=shipped.id, data={
        "status": "received", "lines": [{"reference": "9789044652925", "quantity": 1}], "reason": "Dubbel besteld"})
    # A business customer: its PDF carries Factur-X, and the invoice is also there as UBL.
    office = orders.create_order(uow, scope=scope, data=_order(
        "EZ-504", "inkoop@advocaten-dijkstra.example", "Mr. J. Dijkstra", _address("Herestraat", "88", "9711LM", "Groningen"),
        [("9789013154849", "Burgerlijk Wetboek 2026-2027", 3, 4995, 9)],
        type="business", company_name="Dijkstra Advocaten B.V.", vat_number="NL808661863B01"))
    orders.ship_order(uow, scope=scope, order_id=office.id, data={"carrier": "DHL"})
    # Across the border, in German VAT and the German language.
    with _days_ago(uow, 20):
        abroad = orders.create_order(uow, scope=scope, data=_order(
            "EZ-505", "anna.weber@example.de", "Anna Weber",
            {"street": "Hohe Straße", "house_number": "12", "postal_code": "50667", "city": "Köln", "country": "DE"},
            [("9783446276147", "Niederländisch-Wörterbuch", 1, 2490, 7)]))
        abroad_invoice = orders.ship_order(uow, scope=scope, order_id=abroad.id, data={"carrier": "DHL"}).invoice
    cancelled = orders.create_order(uow, scope=scope, data=_order(
        "EZ-502", "lotte.visser@example.nl", "Lotte Visser", _address("Nieuwstraat", "20", "2011HV", "Haarlem"),
        [("9789023479635", "De avond is ongemak", 1, 2299, 9)]))
    orders.cancel_order(uow, scope=scope, order_id=cancelled.id, data={"reason": "out of stock"})
    orders.create_order(uow, scope=scope, data=_order(
        "EZ-503", "lotte.visser@example.nl", "Lotte Visser", _address("Nieuwstraat", "20", "2011HV", "Haarlem"),
        [("9789025368227", "Tirza", 1, 2450, 9)]))
    return invoice.id, abroad_invoice.id


DEMO_STAFF = (("mediator@bnpl.example", "Mila de Bemiddelaar", "mediator"),
              ("admin@bnpl.example", "Ahmed Admin", "admin"))
DEMO_STAFF_PASSWORD = "demo-password-2026"  # test-mode demo only; printed with the API keys


def _change_waiting(uow, scope: Scope, shop) -> None:
    """The bike shop asked for a higher order limit: it waits on the admin's Changes page."""
    from bnpl.merchants import changes

    changes.request(uow, scope=scope, merchant=shop, values={"order_limit_cents": 400_000},
                    actor="merchant key (demo)")


def _mediation(uow, late_invoice: str, abroad_invoice: str) -> None:
    """Two mediators, a case waiting for the bike shop and one the book shop rejected."""
    from bnpl.disputes import service as disputes
    from bnpl.staff import service as staff

    for email, name, role in DEMO_STAFF:
        staff.create_member(uow, email=email, name=name, role=role, password=DEMO_STAFF_PASSWORD)
    pieter = disputes.Actor.consumer(invoices.find_invoice(uow, invoice_id=late_invoice).consumer_id)
    with _days_ago(uow, 2):
        disputes.open_dispute(uow, invoice_id=late_invoice, actor=pieter, case=disputes.NewDispute(
            reason="damaged", description="De fietshelm had een barst in de schaal toen ik hem uitpakte. "
                                          "Ik heb de winkel gemaild met foto's maar kreeg geen antwoord.",
            contacted_merchant_on=uow.today() - timedelta(days=10), lines=(("HELM-01", 1),)))
    anna = disputes.Actor.consumer(invoices.find_invoice(uow, invoice_id=abroad_invoice).consumer_id)
    with _days_ago(uow, 3):
        case = disputes.open_dispute(uow, invoice_id=abroad_invoice, actor=anna, case=disputes.NewDispute(
            reason="not_received", description="Das Wörterbuch ist nie angekommen. Laut DHL wurde es "
                                               "in einem Paketshop abgegeben, den ich nicht kenne.",
            contacted_merchant_on=uow.today() - timedelta(days=9)))
    with _days_ago(uow, 1):
        disputes.respond(uow, scope=Scope(case.merchant_id, case.livemode), dispute_id=case.id,
                         response=disputes.MerchantResponse(
                             message="Volgens DHL is het pakket op 19 november afgeleverd bij DHL ServicePoint "
                                     "Kiosk Ehrenstraße. Het bewijs van aflevering sturen we mee.",
                             proposal="reject"))


def _logo(name: str, colour: str) -> str:
    """A simple wordmark, drawn here so the demo needs no image files."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (520, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 10, 100, 110), radius=18, fill=colour)
    draw.text((50, 60), name[:2].upper(), fill="white", anchor="mm", font=ImageFont.load_default(56))
    draw.text((120, 60), name, fill=colour, anchor="lm", font=ImageFont.load_default(52))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _where_to_look(base: str, shop_key: str, books_key: str, invoice_id: str, portal_invoice: str) -> str:
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
  An invoice PDF  curl -H 'Authorization: Bearer {books_key}' {base}/api/v1/invoices/{invoice_id}/pdf -o invoice.pdf
  E-mails sent    instance/outbox/*.eml (open one in any mail program)
  Back office     {base}/staff  (mediator@bnpl.example or admin@bnpl.example, password {DEMO_STAFF_PASSWORD};
                  the admin sees the bike shop's request for a higher order limit under Changes)
  Consumer portal {base}/portal  (ask a link for sanne.devries@example.nl: it arrives in instance/outbox/,
                  or sign in with invoice {portal_invoice} and postcode 9712 CA)
  Disputes        curl -H 'Authorization: Bearer {shop_key}' {base}/api/v1/disputes
(This text is also kept in instance/{NOTE_FILE}.)
"""
