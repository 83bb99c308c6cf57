"""The agenda as an iCalendar feed (RFC 5545) a calendar app subscribes to: one all-day event
per date to pay or to be collected, in the consumer's language."""
from __future__ import annotations

from icalendar import Calendar, Event

from bnpl.portal import words
from bnpl.portal.service import DEBIT, DEBIT_PLANNED, INSTALMENT, AgendaItem


def to_ical(items: list[AgendaItem], *, provider: str, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{provider}//agenda//")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", words.gettext("What to pay when"))
    for item in items:
        calendar.add_component(_event(item, host))
    return calendar.to_ical()


def _event(item: AgendaItem, host: str) -> Event:
    event = Event()
    event.add("uid", f"{item.invoice_id}-{item.kind}-{item.on.isoformat()}@{host}")
    event.add("dtstart", item.on)
    event.add("summary", summary(item))
    event.add("description", words.gettext("Invoice %(number)s from %(shop)s") % {"number": item.number, "shop": item.shop})
    event.add("transp", "TRANSPARENT")
    return event


def summary(item: AgendaItem) -> str:
    """One line: what happens on the day, how much, at which webshop."""
    values = {"amount": words.money(item.amount_cents, item.currency), "shop": item.shop, "account": item.account}
    if item.kind == DEBIT:
        return words.gettext("%(amount)s for %(shop)s is collected from %(account)s") % values
    if item.kind == DEBIT_PLANNED:
        return words.gettext("%(amount)s for %(shop)s will be collected from %(account)s") % values
    if item.kind == INSTALMENT:
        return words.gettext("Instalment of %(amount)s for %(shop)s") % values
    return words.gettext("Pay %(amount)s to %(shop)s") % values
