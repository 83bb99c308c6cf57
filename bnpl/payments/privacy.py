"""Payments: kept with their invoice for fiscal retention (amount, day, reference), the payer's
name and account reduced to what tells accounts apart; mandates and paid refunds alike. A refund
still owed to the person blocks: it needs their IBAN."""
from __future__ import annotations

from sqlalchemy import or_, select

from bnpl import redact
from bnpl.i18n import said
from bnpl.money import Money
from bnpl.payments.models import Mandate, Payment, Refund
from bnpl.payments.states import OWED, REFUND_SUBMITTED


def _payments(uow, subject, ibans: set[str] | None = None) -> list[Payment]:
    matches = [Payment.invoice_id.in_(subject.of("invoices"))]
    if ibans:
        matches.append(Payment.payer_iban.in_(ibans))
    return list(uow.session.scalars(select(Payment).where(or_(*matches)).order_by(Payment.booked_on, Payment.id)))


def _mandates(uow, subject) -> list[Mandate]:
    return list(uow.session.scalars(select(Mandate).where(Mandate.consumer_id.in_(subject.consumer_ids))))


def _refunds(uow, subject) -> list[Refund]:
    return list(uow.session.scalars(select(Refund).where(Refund.invoice_id.in_(subject.of("invoices")))))


def _ibans(uow, subject) -> set[str]:
    return ({p.payer_iban for p in _payments(uow, subject) if p.payer_iban}
            | {m.iban for m in _mandates(uow, subject)} | {r.iban for r in _refunds(uow, subject) if r.iban})


def identify(uow, subject) -> None:
    ibans = _ibans(uow, subject)
    payments = _payments(uow, subject, ibans)
    subject.add_ids("payments", [p.id for p in payments])
    subject.add_personal(*ibans, *(p.payer_name for p in payments),
                         *(m.account_holder for m in _mandates(uow, subject)))


def blocks(uow, subject) -> list[str]:
    # Refunds go out by SEPA credit transfer: always euros.
    return [said("a refund of %(amount)s is still owed to this person", amount=Money(r.amount_cents, "EUR").format())
            for r in _refunds(uow, subject) if r.status in (OWED, REFUND_SUBMITTED)]


def export(uow, subject) -> dict:
    payments = _payments(uow, subject, _ibans(uow, subject))
    return {
        "payments": [{"amount": p.amount_cents, "currency": p.currency, "booked_on": p.booked_on.isoformat(),
                      "method": p.method, "payer_name": p.payer_name, "payer_iban": p.payer_iban,
                      "description": p.remittance} for p in payments],
        "mandates": [{"reference": m.reference, "iban": m.iban, "account_holder": m.account_holder,
                      "signed_on": m.signed_on.isoformat(), "status": m.status} for m in _mandates(uow, subject)],
        "refunds": [{"amount": r.amount_cents, "iban": r.iban, "status": r.status} for r in _refunds(uow, subject)],
    }


def erase(uow, subject) -> list[str]:
    for payment in _payments(uow, subject, _ibans(uow, subject)):
        payment.payer_name, payment.payer_iban = None, redact.mask_iban(payment.payer_iban)
        payment.remittance = None
    for mandate in _mandates(uow, subject):
        mandate.iban, mandate.account_holder = redact.mask_iban(mandate.iban), redact.ERASED
        if mandate.status == "active":
            mandate.status, mandate.revoked_at = "revoked", uow.now()
    for refund in _refunds(uow, subject):
        refund.iban, refund.account_holder = redact.mask_iban(refund.iban), redact.ERASED
    return []


def purge(uow) -> dict[str, int]:
    """Payments of invoices past fiscal retention lose the payer, as at erasure."""
    from bnpl.invoices import privacy as invoices

    payments = list(uow.session.scalars(select(Payment).where(
        Payment.invoice_id.in_(invoices.past_retention(uow)), Payment.payer_name.is_not(None))))
    for payment in payments:
        payment.payer_name, payment.payer_iban = None, redact.mask_iban(payment.payer_iban)
        payment.remittance = None
    return {"payments past fiscal retention": len(payments)}
