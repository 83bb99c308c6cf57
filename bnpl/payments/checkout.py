"""Use cases for checkouts: a consumer pays an invoice at a payment provider (an iDEAL-style
redirect) and the provider's signed callback books the money.

Rules:
- A checkout asks for the invoice's balance at the moment it starts. A closed invoice or one
  with nothing left to pay gets none. A paused invoice (return announced, dispute open) may
  be paid: a pause stops us chasing the consumer, never the consumer paying.
- Money the provider reports as taken is booked once per checkout, whatever happened to the
  invoice since (credited meanwhile: the surplus becomes a refund owed), even after the
  provider first reported a failure. Repeated callbacks book nothing new.
- A callback that is not signed by the provider, or names no checkout of ours, books nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select

from bnpl import i18n
from bnpl.consumers import service as consumers
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import service as invoices
from bnpl.merchants import service as merchants
from bnpl.payments.models import BOOKED, Checkout, Payment
from bnpl.payments.provider import CANCELLED, PAID, BadCallback, LocalProvider, payment_provider
from bnpl.payments.states import CHECKOUT, OPEN
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

METHODS = ("ideal", "bancontact", "card")
DEFAULT_METHOD = "ideal"

# What the consumer chose on the local provider's confirm page.
LOCAL_DECISIONS = {"pay": PAID, "cancel": CANCELLED}


class NothingToPay(Conflict):
    slug, title = "nothing-to-pay", "Nothing to pay on this invoice"


class UnknownCheckout(BadCallback):
    slug, title = "unknown-checkout", "The callback names no checkout of ours"


def start_checkout(uow: UnitOfWork, *, scope: Scope, invoice_id: str, method: str | None = None,
                   return_url: str | None = None) -> tuple[Checkout, str]:
    """Start paying the invoice's balance at the configured provider: (checkout, URL for the consumer)."""
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id)
    if invoice.is_closed or invoice.balance_cents <= 0:
        raise NothingToPay(i18n.said("Invoice %(number)s is %(status)s with a balance of 0; there is nothing to pay.",
                                      number=invoice.number, status=invoice.status))
    method = method or default_method(uow, consumer_id=invoice.consumer_id)
    if method not in METHODS:
        raise InvalidInput({"method": [f"One of {', '.join(METHODS)}."]})
    provider = payment_provider(uow.settings)
    checkout = Checkout(provider=provider.name, invoice_id=invoice.id, merchant_id=scope.merchant_id,
                        livemode=scope.livemode, consumer_id=invoice.consumer_id, method=method,
                        amount_cents=invoice.balance_cents, currency=invoice.currency, status=OPEN,
                        return_url=return_url, created_at=uow.now())
    redirect_url = provider.start(checkout)  # sets provider_reference
    uow.session.add(checkout)
    uow.session.flush()
    return checkout, redirect_url


def get_checkout(uow: UnitOfWork, *, scope: Scope, checkout_id: str) -> Checkout:
    """One checkout of this merchant (another merchant's is not found)."""
    checkout = uow.session.scalar(select(Checkout).where(
        Checkout.id == checkout_id, Checkout.merchant_id == scope.merchant_id, Checkout.livemode == scope.livemode))
    if checkout is None:
        raise NotFound(f"No checkout {checkout_id}.")
    return checkout


def handle_callback(uow: UnitOfWork, *, provider: str, headers: Mapping[str, str], body: bytes) -> Checkout:
    """Apply a provider's signed callback: paid books the money once, other outcomes mark the checkout."""
    callback = payment_provider(uow.settings, provider).verify_callback(headers, body)
    checkout = uow.session.scalar(
        select(Checkout).where(Checkout.provider == provider,
                               Checkout.provider_reference == callback.provider_reference)
        .with_for_update().execution_options(populate_existing=True))
    if checkout is None:
        raise UnknownCheckout(f"No {provider} checkout {callback.provider_reference!r}; nothing was booked.")
    if checkout.status == callback.status:
        return checkout  # the same callback again
    new_status = CHECKOUT.next(checkout.status, callback.status, subject=f"Checkout {checkout.id}")
    if new_status == PAID:
        checkout.payment_id = _book(uow, checkout)
        _remember_method(uow, consumer_id=checkout.consumer_id, method=checkout.method)
    checkout.status, checkout.completed_at = new_status, uow.now()
    return checkout


def _book(uow: UnitOfWork, checkout: Checkout) -> str:
    """Book the checkout's money as a Payment and apply it to the invoice; the Payment's
    unique external id makes a second booking impossible."""
    external_id = f"{checkout.provider}:{checkout.provider_reference}"
    payment = uow.session.scalar(select(Payment).where(Payment.external_id == external_id))
    if payment is None:
        payment = Payment(external_id=external_id, method=checkout.method, amount_cents=checkout.amount_cents,
                          currency=checkout.currency, booked_on=uow.today(), remittance=f"checkout {checkout.id}",
                          status=BOOKED, matched_by="checkout", invoice_id=checkout.invoice_id,
                          merchant_id=checkout.merchant_id, livemode=checkout.livemode, created_at=uow.now())
        uow.session.add(payment)
        uow.session.flush()
    invoice_ledger.apply_payment(uow, scope=Scope(checkout.merchant_id, checkout.livemode),
                                 invoice_id=checkout.invoice_id, payment_id=payment.id, method=checkout.method,
                                 amount=payment.amount_cents, paid_on=payment.booked_on)
    return payment.id


def methods_for(uow: UnitOfWork, *, livemode: bool, consumer_id: str) -> list[str]:
    """The online methods a consumer may start a checkout with, the one they used last
    first; none when the configured provider cannot take money in this mode."""
    if livemode and not payment_provider(uow.settings).serves_livemode:
        return []
    first = default_method(uow, consumer_id=consumer_id)
    return [first] + [method for method in METHODS if method != first]


def default_method(uow: UnitOfWork, *, consumer_id: str) -> str:
    """The method to offer first: the one the consumer paid with last, else iDEAL."""
    last = consumers.last_payment_method(uow, consumer_id=consumer_id)
    return last if last in METHODS else DEFAULT_METHOD


def _remember_method(uow: UnitOfWork, *, consumer_id: str, method: str) -> None:
    consumers.remember_payment_method(uow, consumer_id=consumer_id, method=method)


# --- the local provider's pages: the simulated bank ---------------------------------------

@dataclass(frozen=True)
class LocalPayment:
    """What the simulated bank's confirm page shows."""

    reference: str
    status: str
    shop_name: str
    invoice_number: str
    amount_cents: int
    currency: str
    method: str
    return_url: str | None
    language: str = "en"  # the consumer's, as on their invoice: a bank speaks its customer's language


def local_payment(uow: UnitOfWork, *, reference: str) -> LocalPayment:
    """The local provider's checkout behind a reference, as its confirm page shows it."""
    checkout = _local_checkout(uow, reference)
    scope = Scope(checkout.merchant_id, checkout.livemode)
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=checkout.invoice_id)
    shop = merchants.get_merchant(uow, merchant_id=checkout.merchant_id)
    return LocalPayment(reference=reference, status=checkout.status, shop_name=shop.name,
                        invoice_number=invoice.number, amount_cents=checkout.amount_cents,
                        currency=checkout.currency, method=checkout.method, return_url=checkout.return_url,
                        language=i18n.language_for(invoice.billed_to.get("language"),
                                                   (invoice.billed_to.get("address") or {}).get("country")))


def decide_locally(uow: UnitOfWork, *, reference: str, decision: str) -> LocalPayment:
    """The consumer pressed Pay or Cancel at the simulated bank: it sends its signed callback
    (handled in this process). A checkout that is no longer open is left as it is."""
    if decision not in LOCAL_DECISIONS:
        raise InvalidInput({"decision": [f"One of {', '.join(LOCAL_DECISIONS)}."]})
    checkout = _local_checkout(uow, reference)
    if checkout.status == OPEN:
        provider = LocalProvider(uow.settings)
        headers, body = provider.signed_callback(reference, LOCAL_DECISIONS[decision])
        handle_callback(uow, provider=provider.name, headers=headers, body=body)
    return local_payment(uow, reference=reference)


def _local_checkout(uow: UnitOfWork, reference: str) -> Checkout:
    checkout = uow.session.scalar(select(Checkout).where(
        Checkout.provider == LocalProvider.name, Checkout.provider_reference == reference))
    if checkout is None:
        raise NotFound("No such payment at the local provider.")
    return checkout
