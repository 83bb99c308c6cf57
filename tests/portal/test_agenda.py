"""One agenda across webshops: what to pay when, at the top of "My purchases", and the same as
an iCalendar feed a calendar app subscribes to (parsed here by the icalendar library). A plan
shows the instalments still to pay, a mandate the account and the day it is collected from,
and an invoice on hold no date until it runs again."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar

from bnpl.dunning import service as dunning
from tests import factories
from tests.payments.flows import ship
from tests.portal.conftest import sign_in, text
from tests.portal.test_invoice_pages import text_of


def action(invoice_id: str, what: str) -> str:
    return f"/portal/invoices/{invoice_id}/{what}"


def long(day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day.strftime('%B')} {day.year}"


def test_the_agenda_lists_every_due_date_across_webshops_soonest_first(signed_in, api, other_api, invoice, clock):
    clock.advance(days=3)
    later = ship(other_api, lines=[factories.line(unit_price=4_500)])

    agenda = text_of(signed_in.page("/portal/"), 'id="agenda-h"')

    first, second = agenda.index(long(invoice["due_date"])), agenda.index(long(later["due_date"]))
    assert first < second
    assert "Pay €19.99 to Fietsenwinkel Utrecht" in agenda and "Pay €45.00 to Boekhandel Groningen" in agenda


def test_a_plan_shows_the_instalments_still_to_pay(signed_in, api, services):
    inv = ship(api, lines=[factories.line(unit_price=10_000)])
    r = signed_in.submit(action(inv["id"], "plan") + "?instalments=3", action(inv["id"], "plan"), {"plan-instalments": "3"})
    assert r.status_code == 303
    [plan] = api.get(f"/invoices/{inv['id']}/payment-plans").json["items"]
    # The first instalment paid, and 10 cents of the second.
    api.post(f"/invoices/{inv['id']}/credits", json={"amount": 3344, "reason": "goodwill"})

    agenda = text_of(signed_in.page("/portal/"), 'id="agenda-h"')

    first, second, third = plan["instalments"]
    assert "Instalment of €33.34" not in agenda  # the first, paid
    assert f"{long(second['due_date'])} Instalment of €33.23 for Fietsenwinkel Utrecht" in agenda
    assert f"{long(third['due_date'])} Instalment of €33.33 for Fietsenwinkel Utrecht" in agenda
    assert "Pay €100.00" not in agenda


def test_a_mandate_shows_the_account_it_is_collected_from(signed_in, invoice):
    r = signed_in.submit(f"/portal/invoices/{invoice['id']}/pay", f"/portal/invoices/{invoice['id']}/mandate",
                         {"mandate-account_holder": "Sanne de Vries", "mandate-iban": "NL91ABNA0417164300"})
    assert r.status_code == 303

    agenda = text_of(signed_in.page("/portal/"), 'id="agenda-h"')

    assert f"{long(invoice['due_date'])} €19.99 for Fietsenwinkel Utrecht will be collected from NL.. ..00" in agenda
    assert "0417164300" not in agenda


def test_an_invoice_on_hold_has_no_date(signed_in, api, invoice):
    api.post(f"/orders/{invoice['order_id']}/returns",
             json={"status": "announced", "lines": [{"reference": "SKU-1", "quantity": 1}]})

    assert 'id="agenda-h"' not in signed_in.page("/portal/")


def test_the_calendar_feed_is_the_agenda_for_a_calendar_app(signed_in, browser, app, invoice):
    r = signed_in.submit("/portal/", "/portal/agenda/feed")
    assert r.status_code == 200
    address = re.search(r'value="(http[^"]+\.ics)"', r.get_data(as_text=True)).group(1)

    outsider = app.test_client()  # a calendar app: no cookie
    feed = outsider.get(urlsplit(address).path)

    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    [event] = Calendar.from_ical(feed.data).walk("VEVENT")
    assert event.decoded("dtstart") == date.fromisoformat(invoice["due_date"])
    # In the consumer's language (their billing address is Dutch), whatever the app asks for.
    assert " ".join(str(event["summary"]).split()) == "Betaal € 19,99 aan Fietsenwinkel Utrecht"
    english = outsider.get(urlsplit(address).path + "?lang=en")
    assert str(Calendar.from_ical(english.data).walk("VEVENT")[0]["summary"]) == "Pay €19.99 to Fietsenwinkel Utrecht"


def test_the_feed_token_is_no_sign_in_and_ends_with_signing_out_everywhere(signed_in, app, invoice):
    r = signed_in.submit("/portal/", "/portal/agenda/feed")
    path = urlsplit(re.search(r'value="(http[^"]+\.ics)"', r.get_data(as_text=True)).group(1)).path
    token = path.rsplit("/", 1)[1].removesuffix(".ics")

    as_cookie = app.test_client()
    as_cookie.set_cookie("bnpl_portal_device", token, path="/portal")
    assert as_cookie.get("/portal/").status_code == 303  # to signing in: a feed opens no purchases

    signed_in.submit("/portal/", "/portal/sign-out-everywhere")
    assert app.test_client().get(path).status_code == 404


# --- plans and mandates as they are, on the card and the pay page ----------------------------

def test_a_plan_asks_for_the_next_instalment_on_the_card_the_pay_page_and_the_qr(signed_in, api):
    inv = ship(api, lines=[factories.line(unit_price=10_000)])
    signed_in.submit(action(inv["id"], "plan") + "?instalments=3", action(inv["id"], "plan"), {"plan-instalments": "3"})
    [plan] = api.get(f"/invoices/{inv['id']}/payment-plans").json["items"]
    first = plan["instalments"][0]

    card = text_of(signed_in.page("/portal/"), 'id="on_hold-h"')
    pay = text(signed_in.get(f"/portal/invoices/{inv['id']}/pay"))

    assert f"Next instalment: €33.34, by {long(first['due_date'])}" in card and "Pay €33.34" in card
    assert "Pay €100.00" not in card
    assert f"Next instalment: €33.34, by {long(first['due_date'])}" in pay
    assert "QR code for your banking app: €33.34 to" in signed_in.page(f"/portal/invoices/{inv['id']}/pay")


def test_with_a_mandate_the_card_and_pay_page_say_when_it_is_collected(signed_in, invoice):
    signed_in.submit(f"/portal/invoices/{invoice['id']}/pay", f"/portal/invoices/{invoice['id']}/mandate",
                     {"mandate-account_holder": "Sanne de Vries", "mandate-iban": "NL91ABNA0417164300"})

    html = signed_in.page("/portal/")
    pay = signed_in.page(f"/portal/invoices/{invoice['id']}/pay")

    said = f"€19.99 is collected from NL.. ..00 from {long(invoice['due_date'])} on: you need to do nothing."
    assert said in text_of(html, 'id="attention-h"') and "Pay it yourself instead" in html
    assert 'class="button primary"' not in html[html.index('id="attention-h"'):]
    assert said in " ".join(re.sub(r"<[^>]+>", " ", pay).split())
    assert "Let us collect it by direct debit" not in pay


# --- an overdue invoice under a 14-day letter: the last day and the costs avoided ------------

def test_a_running_fourteen_day_letter_says_the_last_day_and_the_costs_avoided(browser, services, invoice, clock):
    from datetime import datetime, time, timezone

    from sqlalchemy import select

    from bnpl.dunning.models import DunningStep
    from tests.dunning.passes import daily
    due_on = date.fromisoformat(invoice["due_date"])
    daily(services, due_on + timedelta(days=3))
    daily(services, due_on + timedelta(days=14))
    with services.sessionmaker() as session:
        letter = session.scalar(select(DunningStep).where(DunningStep.name == "fourteen_day_letter"))
    clock.set(datetime.combine(letter.deadline, time(10), tzinfo=timezone.utc))
    signed_in = sign_in(browser, services)

    said = (f"Pay €19.99 by {long(letter.deadline)} and you pay no collection costs. After that day, "
            f"€{letter.costs_cents // 100}.{letter.costs_cents % 100:02d} of collection costs are added, as our letter said.")
    assert said in text_of(signed_in.page("/portal/"), 'id="attention-h"')
    page = text(signed_in.get(f"/portal/invoices/{invoice['id']}"))
    assert said in page and "Cannot pay it at once? Pay in instalments" in page

    clock.set(datetime.combine(letter.deadline + timedelta(days=1), time(10), tzinfo=timezone.utc))
    assert "you pay no collection costs" not in text(signed_in.get(f"/portal/invoices/{invoice['id']}"))


def test_an_extension_moves_the_date_in_the_agenda(signed_in, api, invoice):
    assert signed_in.submit(action(invoice["id"], "extension")).status_code == 303
    moved = date.fromisoformat(invoice["due_date"]) + timedelta(days=14)

    agenda = text_of(signed_in.page("/portal/"), 'id="agenda-h"')

    assert f"{long(moved)} Pay €19.99 to Fietsenwinkel Utrecht" in agenda
    assert long(invoice["due_date"]) not in agenda
