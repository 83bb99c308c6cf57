"""Use cases of the support desk: taking a phone call.

Phone intake cannot mix up tenants: a staff member finds the caller by invoice number and
confirms them with a second fact the caller states (postcode or birth date) before anything
of the consumer is shown. A wrong digit in the number with the caller's own postcode matches
nobody, and the answer is the same whether the number exists or not, so a desk cannot be used
to find out whose invoice a number is. Lookups are limited per staff member (every one is a
row, counted) and a confirmed intake is the member's own, for INTAKE_LIFETIME.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bnpl.disputes import service as disputes
from bnpl.disputes.models import Dispute
from bnpl.errors import DomainError, InvalidInput, NotFound
from bnpl.invoices import service as invoices
from bnpl.invoices.models import Invoice
from bnpl.merchants import service as merchants
from bnpl.orders import service as orders
from bnpl.support.models import BIRTH_DATE, BY_INVOICE_NUMBER, POSTCODE, CallIntake
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

INTAKE_LIFETIME = timedelta(minutes=30)  # one call, with time to write it up
LOOKUPS_PER_WINDOW = 10  # a desk misreads a number now and then; browsing callers is another thing
LOOKUP_WINDOW = timedelta(minutes=15)
NOBODY = ("Nobody matches these details. Read the invoice number back to the caller and ask again for "
          "their postcode or birth date.")


class TooManyLookups(DomainError):
    status, slug, title = 429, "too-many-lookups", "Too many lookups"


@dataclass(frozen=True)
class Caller:
    """What a confirmed intake shows: whose call it is, at which webshop, about which invoice."""

    intake_id: str
    webshop: str
    consumer_name: str
    invoice_id: str
    invoice_number: str
    total_cents: int
    currency: str
    confirmed_by: str  # postcode | birth_date
    expires_at: datetime


def find_caller(uow: UnitOfWork, *, staff_id: str, invoice_number: str, postcode: str | None = None,
                birth_date: date | None = None) -> str:
    """The confirmed intake's id for the invoice this number and second fact both match.
    Raises NotFound (the same for a wrong number and a wrong fact); the caller of this function
    commits even then, so the lookup counts."""
    postcode = (postcode or "").strip()
    if not postcode and birth_date is None:
        raise InvalidInput({"postcode": ["Ask the caller for their postcode or their birth date."]})
    _check_limit(uow, staff_id)
    invoice, fact = _matching_invoice(uow, invoice_number, postcode, birth_date)
    now = uow.now()
    intake = CallIntake(staff_id=staff_id, found_by=BY_INVOICE_NUMBER, fact=fact, confirmed=invoice is not None,
                        looked_up_at=now)
    if invoice is not None:
        intake.invoice_id, intake.merchant_id, intake.livemode = invoice.id, invoice.merchant_id, invoice.livemode
        intake.consumer_id, intake.expires_at = invoice.consumer_id, now + INTAKE_LIFETIME
    uow.session.add(intake)
    uow.session.flush()
    if invoice is None:
        raise NotFound(NOBODY)
    return intake.id


def confirmed_caller(uow: UnitOfWork, *, intake_id: str, staff_id: str) -> Caller:
    """A confirmed intake of this member that has not expired; anything else is not found."""
    intake = uow.session.scalar(select(CallIntake).where(
        CallIntake.id == intake_id, CallIntake.staff_id == staff_id, CallIntake.confirmed.is_(True),
        CallIntake.expires_at > uow.now()))
    if intake is None:
        raise NotFound(f"No call {intake_id}: find the caller again.")
    invoice = invoices.get_invoice(uow, scope=Scope(intake.merchant_id, intake.livemode), invoice_id=intake.invoice_id)
    return Caller(intake_id=intake.id, webshop=merchants.get_merchant(uow, merchant_id=intake.merchant_id).name,
                  consumer_name=invoice.billed_to.get("name", ""), invoice_id=invoice.id,
                  invoice_number=invoice.number, total_cents=invoice.total_cents, currency=invoice.currency,
                  confirmed_by=intake.fact, expires_at=intake.expires_at)


def open_case(uow: UnitOfWork, *, intake_id: str, staff_id: str, actor: disputes.Actor,
              case: disputes.NewDispute) -> Dispute:
    """Open a dispute for the confirmed caller, about the invoice of their call and no other."""
    caller = confirmed_caller(uow, intake_id=intake_id, staff_id=staff_id)
    return disputes.open_dispute(uow, invoice_id=caller.invoice_id, actor=actor, case=case)


def _check_limit(uow, staff_id: str) -> None:
    # Counted, not locked: parallel lookups by one member may pass the limit by a few, which
    # still stops anyone paging through callers.
    since = uow.now() - LOOKUP_WINDOW
    first, count = uow.session.execute(select(func.min(CallIntake.looked_up_at), func.count(CallIntake.id)).where(
        CallIntake.staff_id == staff_id, CallIntake.looked_up_at > since)).one()
    if count >= LOOKUPS_PER_WINDOW:
        minutes = max(1, int((first + LOOKUP_WINDOW - uow.now()).total_seconds() // 60) + 1)
        raise TooManyLookups(f"You looked up {count} callers in the last {LOOKUP_WINDOW.seconds // 60} minutes; "
                             f"try again in {minutes} minutes, or ask a colleague.", retry_after_minutes=minutes)


def _matching_invoice(uow, number: str, postcode: str, birth_date: date | None) -> tuple[Invoice | None, str | None]:
    """The invoice with this number, if the second fact is the one it was billed with."""
    try:
        invoice = invoices.find_invoice(uow, number=number)
    except NotFound:
        return None, None
    if postcode and _postcode(postcode) == _postcode((invoice.billed_to.get("address") or {}).get("postal_code")):
        return invoice, POSTCODE
    if birth_date is not None and birth_date.isoformat() == _birth_date(uow, invoice):
        return invoice, BIRTH_DATE
    return None, None


def _postcode(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def _birth_date(uow, invoice: Invoice) -> str | None:
    order = orders.get_order(uow, scope=Scope(invoice.merchant_id, invoice.livemode), order_id=invoice.order_id)
    return str(order.consumer.get("birth_date") or "") or None
