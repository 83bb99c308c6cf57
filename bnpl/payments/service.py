"""Use cases for payments: book money against invoices, and import a bank statement."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from stdnum import iso11649

from bnpl.errors import InvalidInput
from bnpl.invoices import service as invoices
from bnpl.payments import camt
from bnpl.payments.models import BOOKED, IGNORED, PROPOSED, UNMATCHED, Payment
from bnpl.uow import UnitOfWork

# An RF reference in free text, perhaps written in groups ("RF19 TEST 2026 0000 01").
RF_IN_TEXT = re.compile(r"\bRF\s?\d{2}(?:\s?[A-Z0-9]){1,21}")
NUMBER_IN_TEXT = re.compile(r"\b(?:TEST-)?\d{4}-\d{6}\b")


@dataclass(frozen=True)
class ImportSummary:
    statement_id: str
    counts: Counter  # booked, proposed, unmatched, ignored, already imported

    def __str__(self) -> str:
        order = ("booked", "proposed", "unmatched", "ignored", "already imported")
        return f"Statement {self.statement_id or '(no id)'}: " + ", ".join(f"{self.counts[k]} {k}" for k in order)


def import_statement(uow: UnitOfWork, *, data: bytes) -> ImportSummary:
    """Book a CAMT.053 statement: match each credit to its invoice (RF reference, then the
    invoice number in the text), propose a match by amount and name for a person to confirm,
    keep the rest as unmatched. Raises camt.StatementError (nothing booked) on a bad file."""
    statement = camt.parse(data)
    _check_currency(uow, statement)
    counts: Counter = Counter()
    seen = _already_imported(uow, [f"camt:{t.reference}" for t in statement.transactions])
    for transaction in statement.transactions:
        external_id = f"camt:{transaction.reference}"
        if external_id in seen:
            counts["already imported"] += 1
            continue
        seen.add(external_id)
        counts[_book(uow, transaction, external_id, statement.id)] += 1
    return ImportSummary(statement.id, counts)


def _check_currency(uow, statement: camt.Statement) -> None:
    currencies = {statement.currency} | {t.currency for t in statement.transactions}
    foreign = sorted(currencies - set(uow.settings.currencies))
    if foreign:
        raise camt.StatementError(f"The statement is in {', '.join(foreign)}; this provider books "
                                  f"{', '.join(uow.settings.currencies)}. Nothing was booked.")


def _already_imported(uow, external_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(external_ids), 1000):
        chunk = external_ids[start:start + 1000]
        found.update(uow.session.scalars(select(Payment.external_id).where(Payment.external_id.in_(chunk))))
    return found


def _book(uow, transaction: camt.Transaction, external_id: str, statement_id: str) -> str:
    status, note, invoice, matched_by = _classify(uow, transaction)
    payment = Payment(external_id=external_id, method="bank_transfer", amount_cents=transaction.amount_cents,
                      currency=transaction.currency, booked_on=transaction.booked_on,
                      payer_name=transaction.payer_name, payer_iban=transaction.payer_iban,
                      remittance=(transaction.structured_reference or transaction.text or None),
                      statement_id=statement_id, created_at=uow.now(), status=status, note=note,
                      matched_by=matched_by, invoice_id=invoice.id if invoice else None,
                      merchant_id=invoice.scope.merchant_id if invoice else None,
                      livemode=invoice.scope.livemode if invoice else None)
    uow.session.add(payment)
    if status == BOOKED:
        uow.session.flush()
        invoices.apply_payment(uow, scope=invoice.scope, invoice_id=invoice.id, payment_id=payment.id,
                               method="direct_debit" if transaction.is_return else "bank_transfer",
                               amount=transaction.amount_cents, paid_on=transaction.booked_on)
    return status


def _classify(uow, transaction: camt.Transaction):
    """(status, note, invoice, matched_by) for one transaction of a statement."""
    if transaction.amount_cents < 0 and not transaction.is_return:
        return IGNORED, "money out (a refund or payout), not a consumer payment", None, None
    invoice, matched_by = _match(uow, transaction)
    if invoice is None:
        return UNMATCHED, "no invoice reference or number found", None, None
    if transaction.amount_cents < 0 and invoice.paid_cents < -transaction.amount_cents:
        return UNMATCHED, "a returned payment that was never booked on this invoice", None, None
    if matched_by == "amount_and_name":
        return PROPOSED, "same amount and name: a person confirms", invoice, matched_by
    return BOOKED, None, invoice, matched_by


def _match(uow, transaction: camt.Transaction):
    """The invoice a transaction pays, and how we know: reference, number, or a proposal."""
    reference = _compact(transaction.structured_reference)
    if reference and (invoice := invoices.find_payable(uow, payment_reference=reference)):
        return invoice, "reference"
    text = transaction.text.upper()
    for found in RF_IN_TEXT.findall(text):
        for candidate in _rf_candidates(_compact(found)):
            if invoice := invoices.find_payable(uow, payment_reference=candidate):
                return invoice, "reference"
    for found in NUMBER_IN_TEXT.findall(text):
        if invoice := invoices.find_payable(uow, number=found):
            return invoice, "invoice_number"
    if transaction.amount_cents > 0 and transaction.payer_name:
        named = [c for c in invoices.payable_candidates(uow, balance=transaction.amount_cents)
                 if _same_name(c.billed_name, transaction.payer_name)]
        if len(named) == 1:
            return named[0], "amount_and_name"
    return None, None


def _rf_candidates(found: str) -> list[str]:
    """The valid RF references a match can be, longest first: the grouped form can swallow
    the next word ("RF19 TEST 2026 0000 01 BEDANKT"); the check digits tell where it ends."""
    return [found[:end] for end in range(len(found), 4, -1) if iso11649.is_valid(found[:end])]


def _compact(reference: str | None) -> str | None:
    return re.sub(r"\s", "", reference).upper() if reference else None


def _same_name(billed: str, payer: str) -> bool:
    """Loosely: every word of the billed name appears in the payer's name, in any order
    ("Sanne de Vries" matches "DE VRIES SANNE" and "S. Sanne de Vries", not "DE VRIES S")."""
    payer_words = set(re.findall(r"\w+", payer.lower()))
    return bool(payer_words) and all(word in payer_words for word in re.findall(r"\w+", billed.lower()) if len(word) > 1)


def list_payments(uow: UnitOfWork, *, status: str, limit: int = 100) -> list[Payment]:
    if status not in (BOOKED, PROPOSED, UNMATCHED, IGNORED):
        raise InvalidInput({"status": ["One of booked, proposed, unmatched, ignored."]})
    return list(uow.session.scalars(select(Payment).where(Payment.status == status)
                                    .order_by(Payment.booked_on, Payment.id).limit(limit)))
