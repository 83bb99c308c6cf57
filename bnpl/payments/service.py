"""Use cases for payments: book money against invoices, and import a bank statement."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from sqlalchemy import func, select
from stdnum import iso11649

from bnpl.clock import local_date
from bnpl.db import among, insert_rows, new_id
from bnpl.errors import Conflict, InvalidInput, NotFound
from bnpl.i18n import said
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import queries as invoice_queries
from bnpl.invoices import service as invoices
from bnpl.money import Money
from bnpl.payments import camt, mt940, sepa, states
from bnpl.risk import service as risk
from bnpl.payments.models import (BOOKED, IGNORED, PROPOSED, UNMATCHED, DirectDebit, Mandate, Payment, Refund,
                                  StatementImport)
from bnpl.payments.statements import Statement, StatementError, StatementPart, Transaction
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# An RF reference in free text, perhaps written in groups ("RF19 TEST 2026 0000 01").
RF_IN_TEXT = re.compile(r"\bRF\s?\d{2}(?:\s?[A-Z0-9]){1,21}")
RF_RUN_ON = re.compile(r"RF\d{2}[A-Z0-9]{1,21}")  # in lines run together: no word breaks
NUMBER_IN_TEXT = re.compile(r"\b(?:TEST-)?\d{4}-\d{6}\b")
NUMBER_RUN_ON = re.compile(r"(?<!\d)(?:TEST-)?\d{4}-\d{6}(?!\d)")  # in lines run together: no word breaks


@dataclass
class StatementSummary:
    """What became of every entry of one statement, and why for those not booked."""

    statement_id: str
    account: str | None = None
    format: str = "camt.053"
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # "ignored: …" and "refused: …", one per entry

    ORDER = ("booked", "proposed", "refund owed", "unmatched", "ignored", "refused", "already imported")

    def add(self, other: "StatementSummary") -> None:
        self.counts += other.counts
        self.notes += other.notes

    def __str__(self) -> str:
        head = (f"Statement {self.statement_id or '(no id)'} ({self.format}, {self.account or 'account not named'}): "
                + ", ".join(f"{self.counts[k]} {k}" for k in self.ORDER))
        return "\n".join([head] + [f"  {note}" for note in self.notes])


@dataclass
class ImportSummary:
    statements: list[StatementSummary]
    error: str | None = None  # why the file could not be read at all
    cut_short: str | None = None  # why reading stopped partway (what was read before is booked)

    @property
    def counts(self) -> Counter:
        return sum((s.counts for s in self.statements), Counter())

    @property
    def nothing_read(self) -> bool:
        """The file could not be read, or it holds entries and every one was refused."""
        counts = self.counts
        return self.error is not None or (sum(counts.values()) > 0 and counts["refused"] == sum(counts.values()))

    @property
    def failed(self) -> bool:
        """Nothing was read, or reading stopped partway: a person must look at the file (what
        was booked stays; the file, once mended, books just the rest)."""
        return self.nothing_read or self.cut_short is not None

    def __str__(self) -> str:
        if self.error:
            return f"Nothing was read: {self.error}"
        lines = [str(s) for s in self.statements]
        if self.cut_short:
            lines.append(f"Reading stopped partway, the rest of the file is not booked: {self.cut_short}")
        return "\n".join(lines) or "The file holds no statement."


def import_statement(uow: UnitOfWork, *, data: bytes) -> ImportSummary:
    """Book every statement of a file (CAMT.053, CAMT.054 or MT940) in the caller's transaction
    (jobs.import_statement_file books a large one in chunks). Raises StatementError, booking
    nothing, on a file that cannot be read at all."""
    summaries = []
    for statement in read_statements(uow, data=data):
        summaries.append(book_transactions(uow, statement=statement, transactions=statement.transactions))
        record_import(uow, statement=statement)
    return ImportSummary(summaries)


def record_import(uow: UnitOfWork, *, statement: Statement) -> None:
    """Note that a statement was read in full (dunning checks how recent the newest is)."""
    read = StatementRead(statement.id)
    read.add(statement.transactions)
    record_read(uow, read=read)


@dataclass
class StatementRead:
    """What is noted of a statement read in full, gathered as its parts are read."""
    statement_id: str
    entries: int = 0
    latest_booking_on: date | None = None

    def add(self, transactions: list[Transaction]) -> None:
        self.entries += len(transactions)
        days = [t.booked_on for t in transactions if t.booked_on and not t.pending]
        self.latest_booking_on = max(days + [self.latest_booking_on] if self.latest_booking_on else days, default=None)


def record_read(uow: UnitOfWork, *, read: StatementRead) -> None:
    uow.session.add(StatementImport(statement_id=read.statement_id[:140], entries=read.entries,
                                    latest_booking_on=read.latest_booking_on, imported_at=uow.now()))


def statements_known_through(uow: UnitOfWork) -> date | None:
    """The newest day a bank statement covers: its latest booking, or for a statement without
    bookings the day it was read. An old statement read today says nothing about today."""
    booked = uow.session.scalar(select(func.max(StatementImport.latest_booking_on)))
    empty_read = uow.session.scalar(select(func.max(StatementImport.imported_at))
                                    .where(StatementImport.latest_booking_on.is_(None)))
    days = [booked, empty_read and local_date(empty_read, uow.settings.timezone)]
    return max((d for d in days if d), default=None)


def invoices_with_proposals(uow: UnitOfWork, *, invoice_ids: list[str]) -> set[str]:
    """Of these invoices, those a received payment is proposed for (waiting for a person)."""
    found: set[str] = set()
    for start in range(0, len(invoice_ids), 1000):
        found.update(uow.session.scalars(select(Payment.invoice_id).where(
            among(uow.session, Payment.invoice_id, invoice_ids[start:start + 1000]), Payment.status == PROPOSED)))
    return found


def read_statements(uow: UnitOfWork, *, data: bytes) -> list[Statement]:
    """Every statement of a file, whichever of the formats banks send it is in."""
    if _is_xml(data):
        return camt.parse(data)
    if mt940.looks_like(data):
        return mt940.parse(data)
    raise StatementError("Not a bank statement: a CAMT.053, CAMT.054 or MT940 file was expected.")


def statement_parts(data: bytes, *, batch: int) -> Iterator[StatementPart]:
    """read_statements a part of about `batch` transactions at a time, to book a large file
    while the rest is read. A CAMT file is first checked whole, so that one cut off or broken
    raises StatementError here, before anything is booked; what else makes it no statement
    shows at its first entry, or at its end when it holds none."""
    if _is_xml(data):
        camt.check_well_formed(data)
        return camt.read(data, batch)
    return _in_parts(read_statements(None, data=data), batch)


def _is_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _in_parts(statements: list[Statement], batch: int) -> Iterator[StatementPart]:
    for number, statement in enumerate(statements):
        starts = range(0, len(statement.transactions), batch) or range(1)
        for start in starts:
            yield StatementPart(number, replace(statement, transactions=statement.transactions[start:start + batch]),
                                last=start + batch >= len(statement.transactions))


def book_transactions(uow: UnitOfWork, *, statement: Statement,
                      transactions: list[Transaction]) -> StatementSummary:
    """Match each credit to its invoice (RF reference, then the invoice number in the text),
    propose a match by amount and name for a person to confirm, keep the rest unmatched;
    what was imported before is recognised by its fingerprint and booked no second time.
    An entry that cannot be booked is refused with why; the others are booked all the same.
    Lookups and writes go per batch, not per entry: a statement has 100,000 of them."""
    booking = Booking(uow, statement=statement, transactions=transactions)
    booking.write()
    return booking.summary


class Booking:
    """book_transactions in two steps: deciding what becomes of each entry (reads and Python
    only, nothing written), then writing it all. Between the two a caller may write an
    earlier chunk on another connection (jobs.import_statement_file does): what this one read
    is then checked against what that one wrote (depends_on)."""

    def __init__(self, uow, *, statement: Statement, transactions: list[Transaction]):
        self.summary = summary = StatementSummary(statement.id, statement.account_iban, statement.format)
        bookable = [t for t in transactions if not _set_aside(uow, statement, t, summary)]
        self.keys_read = {key for t in bookable for key in _known_as(t)}
        fresh = _not_yet_imported(uow, bookable, summary.counts)
        self.batch = batch = _Batch(uow, statement.id, fresh)
        for transaction in fresh:
            status = batch.book(transaction)
            summary.counts[status] += 1
            if status == IGNORED:
                summary.notes.append(f"ignored: {transaction.describe()}: {batch.payments[-1]['note']}")

    def write(self) -> None:
        self.batch.write()

    def depends_on(self, earlier: "Booking") -> bool:
        """Whether what this booking read may have changed by the earlier one's writes: a
        payment it stored (the same entry twice), an invoice it paid (now owing less, or
        now owing an amount this one looked for), a direct debit or refund it moved on."""
        wrote, read = earlier.batch, self.batch
        return bool(self.keys_read & {p["external_id"] for p in wrote.payments}
                    or read.matches.invoice_ids & set(wrote.owing_after)
                    or read.matches.amounts & set(wrote.owing_after.values())
                    or (read.matches.amounts and None in wrote.owing_after.values())
                    or read.end_to_end & wrote.end_to_end)


def _set_aside(uow, statement: Statement, transaction: Transaction, summary: StatementSummary) -> bool:
    """Entries that are not money to book, each counted with why."""
    why = transaction.problem or _foreign(uow, statement, transaction)
    if why:
        summary.counts["refused"] += 1
        summary.notes.append(f"refused: {transaction.describe()}: {why}")
    elif transaction.pending:
        summary.counts["ignored"] += 1
        summary.notes.append(f"ignored: {transaction.describe()}: pending at the bank, not booked yet")
    return bool(why) or transaction.pending


def _foreign(uow, statement: Statement, transaction: Transaction) -> str | None:
    books = uow.settings.currencies
    for currency, what in ((statement.currency, "the account is"), (transaction.currency, "the amount is")):
        if currency not in books:
            return f"{what} in {currency or 'no currency'}; this provider books {', '.join(books)} (not converted)"
    return None


def _not_yet_imported(uow, transactions: list[Transaction], counts: Counter) -> list[Transaction]:
    seen = _already_imported(uow, [key for t in transactions for key in _known_as(t)])
    fresh = []
    for transaction in transactions:
        if any(key in seen for key in _known_as(transaction)):
            counts["already imported"] += 1
        else:
            seen.add(transaction.identity)
            fresh.append(transaction)
    return fresh


def _known_as(transaction: Transaction) -> tuple[str, ...]:
    """The fingerprint, and what an import before fingerprints stored: the bank's reference."""
    legacy = f"camt:{transaction.reference}" if transaction.reference else None
    return (transaction.identity, legacy) if legacy and legacy != transaction.identity else (transaction.identity,)


def _external_id(transaction: Transaction) -> str:
    return transaction.identity


def _already_imported(uow, external_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(external_ids), 1000):
        chunk = external_ids[start:start + 1000]
        found.update(uow.session.scalars(select(Payment.external_id).where(among(uow.session, Payment.external_id, chunk))))
    return found


class _Batch:
    """Booking a batch of transactions: everything they may match is read up front, and the
    payments written, applied and announced together at the end."""

    def __init__(self, uow, statement_id: str, transactions: list[Transaction]):
        self.uow, self.statement_id, self.now = uow, statement_id, uow.now()
        money_in = [t for t in transactions if t.amount_cents > 0 or t.is_return]
        self.matches = _Matches(uow, money_in)
        self.end_to_end = {t.end_to_end_id for t in transactions if t.end_to_end_id}
        end_to_end = sorted(self.end_to_end)
        self.debits = {d.end_to_end_id: d for d in _in_chunks(uow, DirectDebit, DirectDebit.end_to_end_id, end_to_end)}
        self.refunds = {r.end_to_end_id: r for r in _in_chunks(uow, Refund, Refund.end_to_end_id, end_to_end)
                        if r.status == states.REFUND_SUBMITTED}
        self.payments: list[dict] = []
        self.to_apply: list[invoice_ledger.PaymentToApply] = []
        self.owing: dict[str, int] = {}  # what each matched invoice still owes, this batch included
        self.consumers: dict[str, str] = {}  # invoice id -> consumer id, of the invoices booked on
        self.owing_after: dict[str, int | None] = {}  # what each invoice paid on owes after (None: not read)

    def _paid(self, invoice) -> int:
        """Paid on the invoice so far, this batch included (a collection and its return
        can be on one statement)."""
        return invoice.paid_cents + sum(p.amount for p in self.to_apply if p.invoice_id == invoice.id)

    def book(self, transaction: Transaction) -> str:
        if transaction.amount_cents < 0 and not transaction.is_return:
            return self._money_out(transaction)
        status, note, invoice, matched_by = self._classify(transaction)
        method = self._method(transaction) if status == BOOKED else "bank_transfer"
        excess = self._excess(invoice, transaction) if status == BOOKED else None
        if transaction.is_return and status == BOOKED:
            note = f"sent back by the payer's bank, reason {transaction.return_reason or 'not given'}"
        self._payment(transaction, status=status, note=excess or note, invoice=invoice, matched_by=matched_by,
                      method=method, remittance=transaction.structured_reference or transaction.text or None)
        return "refund owed" if excess else status

    def _method(self, transaction: Transaction) -> str:
        """How booked money came: our own direct debit collected (or sent back, which moves the
        debit on too), another's returned debit, or a transfer."""
        debit = self.debits.get(transaction.end_to_end_id)
        if debit is not None:
            debit.status = states.DEBIT.next(debit.status, "return" if transaction.is_return else "collect",
                                             subject=f"Direct debit {debit.end_to_end_id}")
        return "direct_debit" if debit is not None or transaction.is_return else "bank_transfer"

    def _excess(self, invoice, transaction: Transaction) -> str | None:
        """Money beyond what the invoice still owes (paid twice, paid too much, paid after it was
        credited) is a refund owed: the refunds export pays it back to the payer's account."""
        owing = self.owing.get(invoice.id, invoice.balance_cents)
        self.owing[invoice.id] = max(owing - transaction.amount_cents, 0)
        excess = transaction.amount_cents - owing
        if excess <= 0:
            return None
        return f"{Money(excess, transaction.currency).format()} more than invoice {invoice.number} owed: a refund is owed"

    def _classify(self, transaction: Transaction):
        """(status, note, invoice, matched_by) for one transaction of a statement."""
        invoice, matched_by = self.matches.of(transaction)
        if invoice is None:
            return UNMATCHED, "no invoice reference or number found", None, None
        if transaction.amount_cents < 0 and self._paid(invoice) < -transaction.amount_cents:
            return UNMATCHED, "a returned payment that was never booked on this invoice", None, None
        if matched_by == "amount_and_name":
            return PROPOSED, "same amount and name: a person confirms", invoice, matched_by
        return BOOKED, None, invoice, matched_by

    def _money_out(self, transaction: Transaction) -> str:
        """Money leaving the provider's account: a refund we sent is now paid; anything else
        (a payout, bank costs) is not a consumer's payment and is kept as ignored."""
        refund = self.refunds.pop(transaction.end_to_end_id, None)
        if refund is None:
            self._payment(transaction, status=IGNORED, method="bank_transfer", remittance=transaction.text or None,
                          note="money out (a payout or bank costs), not a consumer payment")
            return IGNORED
        refund.status = states.REFUND.next(refund.status, "pay", subject=f"Refund {refund.end_to_end_id}")
        refund.paid_at = self.now
        self._payment(transaction, status=BOOKED, method="refund", matched_by="refund",
                      remittance=transaction.text or None, invoice_id=refund.invoice_id,
                      scope=Scope(refund.merchant_id, refund.livemode))
        return BOOKED

    def _payment(self, transaction: Transaction, *, status: str, method: str, remittance: str | None,
                 note: str | None = None, matched_by: str | None = None, invoice=None,
                 invoice_id: str | None = None, scope: Scope | None = None) -> None:
        invoice_id, scope = (invoice.id, invoice.scope) if invoice else (invoice_id, scope)
        if invoice is not None:
            self.consumers[invoice.id] = invoice.consumer_id
        payment_id = new_id("pay")
        self.payments.append(dict(
            id=payment_id, external_id=_external_id(transaction), method=method,
            amount_cents=transaction.amount_cents, currency=transaction.currency, booked_on=transaction.booked_on,
            payer_name=transaction.payer_name, payer_iban=transaction.payer_iban, remittance=remittance,
            statement_id=self.statement_id, created_at=self.now, status=status, note=note, matched_by=matched_by,
            invoice_id=invoice_id, merchant_id=scope.merchant_id if scope else None,
            livemode=scope.livemode if scope else None))
        if status == BOOKED:
            owed = invoice.balance_cents - invoice.refund_owed_cents if invoice else None
            before = self.owing_after.get(invoice_id, owed)
            self.owing_after[invoice_id] = None if before is None else before - transaction.amount_cents
            self.to_apply.append(invoice_ledger.PaymentToApply(invoice_id, payment_id, method, transaction.amount_cents,
                                                               transaction.booked_on))

    def write(self) -> None:
        insert_rows(self.uow.session, Payment.__table__, self.payments)
        self.uow.session.flush()  # the debits and refunds marked
        invoice_ledger.apply_payments(self.uow, payments=self.to_apply)
        self._note_payer_accounts()

    def _note_payer_accounts(self) -> None:
        """The account a consumer paid from links them like a mandate does (risk's person links);
        whose invoice it is is known from the match."""
        risk.note_ibans(self.uow, paid=[
            risk.PaidFrom(self.consumers[p["invoice_id"]], p["livemode"], p["payer_iban"], p["merchant_id"])
            for p in self.payments if p["status"] == BOOKED and p["payer_iban"] and p["invoice_id"] in self.consumers])


def _in_chunks(uow, model, column, values: list):
    for start in range(0, len(values), 1000):
        yield from uow.session.scalars(select(model).where(among(uow.session, column, values[start:start + 1000])))


class _Matches:
    """The invoice each transaction pays, and how we know: its RF reference, else an RF
    reference or invoice number in its text, else a proposal by amount and name. Every
    invoice they name is read at once."""

    def __init__(self, uow, transactions: list[Transaction]):
        self.references = {t.identity: _references_in(t) for t in transactions}
        self.numbers = {t.identity: _numbers_in(t) for t in transactions}
        self.named = invoice_queries.payable_invoices(
            uow, references=[r for found in self.references.values() for r in found],
            numbers=[n for found in self.numbers.values() for n in found])
        unnamed = [t for t in transactions if not self._named(t)[0] and t.amount_cents > 0 and t.payer_name]
        self.amounts = {t.amount_cents for t in unnamed}
        by_amount: dict[int, list] = {}
        for candidate in invoice_queries.payable_by_amount(uow, amounts=self.amounts):
            by_amount.setdefault(candidate.balance_cents, []).append(candidate)
        self.proposable = {t.identity: [c for c in by_amount.get(t.amount_cents, ())
                                        if _same_name(c.billed_name, t.payer_name)] for t in unnamed}
        # What the matches rest on: an invoice of the same amount under another name decides
        # nothing, so an earlier chunk paying it does not make this one read again.
        self.invoice_ids = ({invoice.id for invoice in self.named.values()}
                            | {c.id for found in self.proposable.values() for c in found})

    def of(self, transaction: Transaction):
        invoice, matched_by = self._named(transaction)
        if invoice is None:
            named = self.proposable.get(transaction.identity, ())
            if len(named) == 1:
                return named[0], "amount_and_name"
        return invoice, matched_by

    def _named(self, transaction: Transaction):
        for reference in self.references[transaction.identity]:
            if reference in self.named:
                return self.named[reference], "reference"
        for number in self.numbers[transaction.identity]:
            if number in self.named:
                return self.named[number], "invoice_number"
        return None, None


def _references_in(transaction: Transaction) -> list[str]:
    """The RF references a transaction may carry, in order of trust: the structured one,
    then those written in its text."""
    found = [_compact(transaction.structured_reference)] if transaction.structured_reference else []
    for written in RF_IN_TEXT.findall(transaction.text.upper()) + RF_RUN_ON.findall(transaction.unbroken_text.upper()):
        found += _rf_candidates(_compact(written))
    return list(dict.fromkeys(found))


def _numbers_in(transaction: Transaction) -> list[str]:
    """Invoice numbers in the text, also where a payer's bank broke one over two lines."""
    found = NUMBER_IN_TEXT.findall(transaction.text.upper())
    found += NUMBER_RUN_ON.findall(transaction.unbroken_text.upper())
    return list(dict.fromkeys(found))


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
    payment.status = states.PAYMENT.next(payment.status, "confirm", subject=f"Payment {payment_id}")
    invoice_ledger.apply_payment(uow, scope=Scope(payment.merchant_id, payment.livemode),
                                 invoice_id=payment.invoice_id, payment_id=payment.id, method=payment.method,
                                 amount=payment.amount_cents, paid_on=payment.booked_on)
    return payment


def reject_proposal(uow: UnitOfWork, *, payment_id: str) -> Payment:
    """A person disagrees with a proposed match: the payment waits, unmatched, for another."""
    payment = uow.session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise Conflict(f"Payment {payment_id} is not a proposal.")
    payment.status = states.PAYMENT.next(payment.status, "reject", subject=f"Payment {payment_id}")
    payment.note = "proposal rejected"
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
        raise Conflict(said("Invoice %(number)s is %(status)s: there is nothing to collect.", number=invoice.number,
                            status=invoice.status))
    account = _account(iban)
    if signed_on > uow.today():
        raise InvalidInput({"signed_on": ["A mandate cannot be signed in the future."]})
    mandate = Mandate(reference=f"BNPL-{new_id('m')[2:].upper()}"[:35], consumer_id=invoice.consumer_id,
                      livemode=scope.livemode, account_holder=account_holder.strip()[:70], iban=account.compact,
                      bic=str(account.bic), signed_on=signed_on, status="active", created_at=uow.now())
    uow.session.add(mandate)
    uow.session.flush()
    risk.note_iban(uow, consumer_id=invoice.consumer_id, livemode=scope.livemode, iban=account.compact,
                   merchant_id=scope.merchant_id)
    return mandate


@dataclass(frozen=True)
class Collection:
    """How an invoice will be collected by direct debit: on a known date (submitted), or from
    its due date on (an active mandate; the next export collects it)."""
    iban: str
    on: date | None  # None: not submitted yet
    amount_cents: int | None


def collections(uow: UnitOfWork, *, consumer_ids: list[str], invoice_ids: list[str],
                livemode: bool) -> tuple[dict[str, Collection], str | None]:
    """The debits submitted for these invoices, and the account of the consumers' newest
    active mandate (which collects the rest)."""
    if not invoice_ids:
        return {}, None
    mandates = {m.id: m for m in uow.session.scalars(select(Mandate).where(
        among(uow.session, Mandate.consumer_id, consumer_ids), Mandate.livemode == livemode))}
    submitted = uow.session.scalars(select(DirectDebit).where(
        among(uow.session, DirectDebit.invoice_id, invoice_ids), DirectDebit.status == states.SUBMITTED))
    debits = {d.invoice_id: Collection(mandates[d.mandate_id].iban if d.mandate_id in mandates else "",
                                       d.collection_date, d.amount_cents) for d in submitted}
    active = sorted((m for m in mandates.values() if m.status == "active"), key=lambda m: m.created_at)
    return debits, active[-1].iban if active else None


def short_account(iban: str) -> str:
    """Enough of an account number to recognise it, not enough to use it: NL.. ..12."""
    return f"{iban[:2]}.. ..{iban[-2:]}"


def mandate_accounts(uow: UnitOfWork, *, consumer_ids: list[str]) -> dict[str, str]:
    """The account each of these consumers' newest active mandate collects from."""
    if not consumer_ids:
        return {}
    mandates = uow.session.scalars(select(Mandate).where(among(uow.session, Mandate.consumer_id, consumer_ids),
                                                         Mandate.status == "active").order_by(Mandate.created_at))
    return {mandate.consumer_id: mandate.iban for mandate in mandates}


def _account(iban: str) -> IBAN:
    try:
        account = IBAN(iban)
    except SchwiftyException as exc:
        raise InvalidInput({"iban": [said("Not a valid IBAN: %(reason)s", reason=str(exc))]}) from None
    if account.bic is None:
        raise InvalidInput({"iban": [said("No BIC is known for this bank; direct debit needs one.")]})
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
                            end_to_end_id=f"DD-{invoice.number}"[:35], file_id=message_id,
                            status=states.SUBMITTED, created_at=uow.now())
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
    candidates = invoice_queries.open_due_invoices(uow, consumer_ids=list(mandates), livemode=livemode,
                                                   due_by=collection_date)
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
                        status=states.REFUND_SUBMITTED, created_at=uow.now())
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
    for invoice in invoice_queries.overpaid_invoices(uow, invoice_ids=list(last_payer)):
        in_flight = sum(uow.session.scalars(select(Refund.amount_cents).where(
            Refund.invoice_id == invoice.id, Refund.status == states.REFUND_SUBMITTED)))
        owed = invoice.refund_owed_cents - in_flight
        if owed > 0:
            yield invoice, owed, last_payer[invoice.id]


def consumer_ibans(uow: UnitOfWork, *, consumer_id: str) -> set[str]:
    """The accounts a consumer paid from or gave a mandate for (compact IBANs)."""
    ibans = set(uow.session.scalars(select(Mandate.iban).where(Mandate.consumer_id == consumer_id)))
    invoice_ids = invoice_queries.consumer_invoice_ids(uow, consumer_id=consumer_id)
    if invoice_ids:
        ibans.update(uow.session.scalars(select(Payment.payer_iban).where(
            among(uow.session, Payment.invoice_id, invoice_ids), Payment.payer_iban.is_not(None))))
    return {"".join(iban.split()).upper() for iban in ibans if iban}


def newest_import_at(uow: UnitOfWork):
    """When the newest bank statement was read in (None: never)."""
    return uow.session.scalar(select(func.max(StatementImport.imported_at)))
