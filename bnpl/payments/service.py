"""Use cases for payments: book money against invoices, and import a bank statement."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from sqlalchemy import select
from stdnum import iso11649

from bnpl.db import new_id
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.invoices import service as invoices
from bnpl.payments import camt, sepa
from bnpl.payments.models import BOOKED, IGNORED, PROPOSED, UNMATCHED, DirectDebit, Mandate, Payment, Refund
from bnpl.tenancy import Scope
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
    """Book a CAMT.053 statement in the caller's transaction (jobs.import_statement_file
    books a large one in chunks). Raises camt.StatementError, booking nothing, on a bad file."""
    statement = read_statement(uow, data=data)
    return ImportSummary(statement.id, book_transactions(uow, statement=statement,
                                                         transactions=statement.transactions))


def read_statement(uow: UnitOfWork, *, data: bytes) -> camt.Statement:
    """Parse and check a whole statement before anything of it is booked."""
    statement = camt.parse(data)
    _check_currency(uow, statement)
    return statement


def book_transactions(uow: UnitOfWork, *, statement: camt.Statement,
                      transactions: list[camt.Transaction]) -> Counter:
    """Match each credit to its invoice (RF reference, then the invoice number in the text),
    propose a match by amount and name for a person to confirm, keep the rest unmatched;
    what was imported before is recognised by its bank reference and booked no second time."""
    counts: Counter = Counter()
    seen = _already_imported(uow, [f"camt:{t.reference}" for t in transactions])
    for transaction in transactions:
        external_id = f"camt:{transaction.reference}"
        if external_id in seen:
            counts["already imported"] += 1
            continue
        seen.add(external_id)
        counts[_book(uow, transaction, external_id, statement.id)] += 1
    return counts


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
    if transaction.amount_cents < 0 and not transaction.is_return:
        return _book_money_out(uow, transaction, external_id, statement_id)
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
        debit = _our_debit(uow, transaction)
        if debit is not None:  # our own collection coming in, or its payer's bank sending it back
            debit.status = "returned" if transaction.is_return else "collected"
        method = "direct_debit" if debit is not None or transaction.is_return else "bank_transfer"
        payment.method = method
        invoices.apply_payment(uow, scope=invoice.scope, invoice_id=invoice.id, payment_id=payment.id,
                               method=method, amount=transaction.amount_cents, paid_on=transaction.booked_on)
    return status


def _our_debit(uow, transaction: camt.Transaction) -> DirectDebit | None:
    if not transaction.end_to_end_id:
        return None
    return uow.session.scalar(select(DirectDebit).where(DirectDebit.end_to_end_id == transaction.end_to_end_id))


def _book_money_out(uow, transaction: camt.Transaction, external_id: str, statement_id: str) -> str:
    """Money leaving the provider's account: a refund we sent is now paid; anything else
    (a payout, bank costs) is not a consumer's payment and is kept as ignored."""
    refund = transaction.end_to_end_id and uow.session.scalar(
        select(Refund).where(Refund.end_to_end_id == transaction.end_to_end_id, Refund.status == "submitted"))
    payment = Payment(external_id=external_id, method="refund" if refund else "bank_transfer",
                      amount_cents=transaction.amount_cents, currency=transaction.currency,
                      booked_on=transaction.booked_on, payer_name=transaction.payer_name,
                      payer_iban=transaction.payer_iban, remittance=transaction.text or None,
                      statement_id=statement_id, created_at=uow.now(),
                      status=BOOKED if refund else IGNORED, matched_by="refund" if refund else None,
                      invoice_id=refund.invoice_id if refund else None,
                      merchant_id=refund.merchant_id if refund else None, livemode=refund.livemode if refund else None,
                      note=None if refund else "money out (a payout or bank costs), not a consumer payment")
    uow.session.add(payment)
    if not refund:
        return IGNORED
    uow.session.flush()
    refund.status, refund.paid_at = "paid", uow.now()
    invoices.apply_payment(uow, scope=Scope(refund.merchant_id, refund.livemode), invoice_id=refund.invoice_id,
                           payment_id=payment.id, method="refund", amount=transaction.amount_cents,
                           paid_on=transaction.booked_on)
    return BOOKED


def _classify(uow, transaction: camt.Transaction):
    """(status, note, invoice, matched_by) for one transaction of a statement."""
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


def confirm_proposal(uow: UnitOfWork, *, payment_id: str) -> Payment:
    """A person agrees with a proposed match (same amount and name): book it."""
    payment = uow.session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise NotFound(f"No payment {payment_id}.")
    if payment.status != PROPOSED:
        raise Conflict(f"Payment {payment_id} is {payment.status}, not proposed.")
    payment.status = BOOKED
    invoices.apply_payment(uow, scope=Scope(payment.merchant_id, payment.livemode), invoice_id=payment.invoice_id,
                           payment_id=payment.id, method=payment.method, amount=payment.amount_cents,
                           paid_on=payment.booked_on)
    return payment


def reject_proposal(uow: UnitOfWork, *, payment_id: str) -> Payment:
    """A person disagrees with a proposed match: the payment waits, unmatched, for another."""
    payment = uow.session.get(Payment, payment_id, with_for_update=True)
    if payment is None or payment.status != PROPOSED:
        raise Conflict(f"Payment {payment_id} is not a proposal.")
    payment.status, payment.note = UNMATCHED, "proposal rejected"
    payment.invoice_id = payment.merchant_id = payment.livemode = payment.matched_by = None
    return payment


def list_payments(uow: UnitOfWork, *, status: str, limit: int = 100) -> list[Payment]:
    if status not in (BOOKED, PROPOSED, UNMATCHED, IGNORED):
        raise InvalidInput({"status": ["One of booked, proposed, unmatched, ignored."]})
    return list(uow.session.scalars(select(Payment).where(Payment.status == status)
                                    .order_by(Payment.booked_on, Payment.id).limit(limit)))


# --- SEPA direct debit -----------------------------------------------------------------------

def create_mandate(uow: UnitOfWork, *, scope: Scope, invoice_id: str, account_holder: str, iban: str,
                   signed_on: date) -> Mandate:
    """The consumer of this invoice authorises collections from their account (Core scheme).
    The IBAN is checked and its BIC derived; a closed invoice needs no mandate."""
    invoice = invoices.get_invoice(uow, scope=scope, invoice_id=invoice_id)
    if invoice.is_closed:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}: there is nothing to collect.")
    account = _account(iban)
    if signed_on > uow.today():
        raise InvalidInput({"signed_on": ["A mandate cannot be signed in the future."]})
    mandate = Mandate(reference=f"BNPL-{new_id('m')[2:].upper()}"[:35], consumer_id=invoice.consumer_id,
                      livemode=scope.livemode, account_holder=account_holder.strip()[:70], iban=account.compact,
                      bic=str(account.bic), signed_on=signed_on, status="active", created_at=uow.now())
    uow.session.add(mandate)
    uow.session.flush()
    return mandate


def _account(iban: str) -> IBAN:
    try:
        account = IBAN(iban)
    except SchwiftyException as exc:
        raise InvalidInput({"iban": [f"Not a valid IBAN: {exc}"]}) from None
    if account.bic is None:
        raise InvalidInput({"iban": ["No BIC is known for this bank; direct debit needs one."]})
    return account


@dataclass(frozen=True)
class DebitFile:
    message_id: str
    xml: bytes
    count: int
    total_cents: int


def export_debits(uow: UnitOfWork, *, collection_date: date, livemode: bool = True) -> DebitFile | None:
    """A pain.008 file for every invoice due by the collection date, open (not paused, not
    closed) and with an active mandate, each marked submitted so that it is never collected
    twice. Test-mode invoices only with livemode=False, never in the same file as live ones.
    None when there is nothing to collect."""
    message_id = f"BNPL-DD-{uow.now():%Y%m%d%H%M%S}-{new_id('f')[2:8].upper()}"
    debits = []
    for invoice, mandate in _collectable(uow, collection_date, livemode):
        debit = DirectDebit(invoice_id=invoice.id, mandate_id=mandate.id, merchant_id=invoice.scope.merchant_id,
                            livemode=livemode, amount_cents=invoice.balance_cents, collection_date=collection_date,
                            end_to_end_id=f"DD-{invoice.number}"[:35], file_id=message_id, status="submitted",
                            created_at=uow.now())
        uow.session.add(debit)
        debits.append(sepa.Debit(account_holder=mandate.account_holder, iban=mandate.iban, bic=mandate.bic,
                                 amount_cents=debit.amount_cents, mandate_reference=mandate.reference,
                                 mandate_signed_on=mandate.signed_on, end_to_end_id=debit.end_to_end_id,
                                 remittance=invoice.payment_reference))
    if not debits:
        return None
    uow.session.flush()  # the unique invoice id stops a second export racing this one
    xml = sepa.direct_debits(uow.settings.provider, debits, collection_date=collection_date, message_id=message_id)
    return DebitFile(message_id, xml, len(debits), sum(d.amount_cents for d in debits))


def _collectable(uow, collection_date: date, livemode: bool):
    mandates = {m.consumer_id: m for m in uow.session.scalars(  # the newest active mandate wins
        select(Mandate).where(Mandate.status == "active", Mandate.livemode == livemode).order_by(Mandate.created_at))}
    candidates = invoices.open_due_invoices(uow, consumer_ids=list(mandates), livemode=livemode, due_by=collection_date)
    debited = set(uow.session.scalars(select(DirectDebit.invoice_id)
                                      .where(DirectDebit.invoice_id.in_([c.id for c in candidates]))))
    return [(invoice, mandates[invoice.consumer_id]) for invoice in candidates
            if invoice.id not in debited and invoice.balance_cents > 0]


# --- refunds -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TransferFile:
    message_id: str
    xml: bytes
    count: int
    total_cents: int


def export_refunds(uow: UnitOfWork, *, execution_date: date, livemode: bool = True) -> TransferFile | None:
    """A pain.001 file paying back what consumers paid beyond what they owe, to the account
    the money came from, each refund marked submitted; it is paid when a statement shows it
    leaving. None when nothing is owed (or no paying account is known)."""
    message_id = f"BNPL-RF-{uow.now():%Y%m%d%H%M%S}-{new_id('f')[2:8].upper()}"
    transfers = []
    for invoice, owed, payer in _refunds_owed(uow, livemode):
        refund = Refund(invoice_id=invoice.id, merchant_id=invoice.scope.merchant_id, livemode=livemode,
                        amount_cents=owed, account_holder=(payer.payer_name or invoice.billed_name)[:70],
                        iban=payer.payer_iban, end_to_end_id=f"RF-{new_id('r')[2:18].upper()}", file_id=message_id,
                        status="submitted", created_at=uow.now())
        uow.session.add(refund)
        transfers.append(sepa.Transfer(account_holder=refund.account_holder, iban=refund.iban, bic=None,
                                       amount_cents=owed, end_to_end_id=refund.end_to_end_id,
                                       remittance=f"Refund {invoice.number}"))
    if not transfers:
        return None
    uow.session.flush()
    xml = sepa.credit_transfers(uow.settings.provider, transfers, execution_date=execution_date, message_id=message_id)
    return TransferFile(message_id, xml, len(transfers), sum(t.amount_cents for t in transfers))


def _refunds_owed(uow, livemode: bool):
    """(invoice, amount still to refund, the payment whose account we pay back to)."""
    paying = uow.session.scalars(select(Payment).where(
        Payment.status == BOOKED, Payment.livemode == livemode, Payment.amount_cents > 0,
        Payment.payer_iban.is_not(None)).order_by(Payment.booked_on)).all()
    last_payer = {payment.invoice_id: payment for payment in paying}
    for invoice in invoices.overpaid_invoices(uow, invoice_ids=list(last_payer)):
        in_flight = sum(uow.session.scalars(select(Refund.amount_cents).where(
            Refund.invoice_id == invoice.id, Refund.status == "submitted")))
        owed = invoice.refund_owed_cents - in_flight
        if owed > 0:
            yield invoice, owed, last_payer[invoice.id]
