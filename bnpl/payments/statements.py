"""What a bank statement says, whatever its format (CAMT.053, CAMT.054, MT940): statements of
one account, each a list of transactions, and the key that makes importing twice harmless.

The key is a fingerprint of what the bank reports about a transaction (account, booking day,
amount with its sign and currency, counterparty, remittance) plus how many identical ones came
before it in the same statement. Many banks leave out their own references, and an export of
the same day again, or of an overlapping period, carries other statement ids: the fingerprint
is the same in each. The limit is in tests/payments/data/README.md: two identical payments on
one day reported in two different files look like one.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date


class StatementError(ValueError):
    """The file cannot be read: nothing of it is booked, unless the parser gives up only
    partway (import_statement_file then keeps what it booked and says so)."""


@dataclass(frozen=True, slots=True)
class Transaction:
    reference: str | None  # the bank's own reference, where it gives one
    amount_cents: int  # positive: money in; negative: money out
    currency: str
    booked_on: date | None
    payer_name: str | None  # the counterparty: who paid, or whom we paid
    payer_iban: str | None
    structured_reference: str | None
    text: str
    is_return: bool  # a direct debit the payer's bank sent back (an R-transaction), or a reversal
    return_reason: str | None = None
    end_to_end_id: str | None = None  # ours, on our own debits and transfers
    pending: bool = False  # reported, not booked yet: not money yet
    problem: str | None = None  # why this one entry cannot be booked (the others still are)
    key: str | None = field(default=None, compare=False)  # the fingerprint, set by keyed()
    # The free text as the lines run on, without the breaks a bank put in ("TEST-2026-00" /
    # "0001"): references are looked for here too.
    unbroken_text: str = field(default="", compare=False)

    @property
    def identity(self) -> str:
        """The key against importing twice: the fingerprint, or for a transaction built by
        hand without one, the bank's reference (as before fingerprints)."""
        return self.key or f"camt:{self.reference}"

    def describe(self) -> str:
        """One line an operator recognises the entry by."""
        sign = "-" if self.amount_cents < 0 else ""
        cents = abs(self.amount_cents)
        who = self.payer_name or self.payer_iban or "?"
        what = self.structured_reference or self.text[:40]
        return f"{self.booked_on or '?'} {sign}{cents // 100}.{cents % 100:02d} {self.currency} {who} {what}".strip()


@dataclass(frozen=True)
class Statement:
    id: str
    account_iban: str | None
    currency: str
    transactions: list[Transaction]
    format: str = "camt.053"


@dataclass(frozen=True)
class StatementPart:
    """Some of a statement's transactions as the file is read (import_statement_file books a
    large statement while the rest is still being read): `number` tells the file's statements
    apart, `last` ends one."""
    number: int
    statement: Statement  # its header, with these transactions only
    last: bool


def keyed(account: str | None, transactions: list[Transaction]) -> list[Transaction]:
    """Give each transaction of one statement its fingerprint."""
    return Fingerprints(account).keyed(transactions)


class Fingerprints:
    """The fingerprints of one statement's transactions, given in their order, perhaps a part
    at a time. An entry the bank repeats with the same reference keeps one key; otherwise the
    n-th identical entry gets the n-th key."""

    def __init__(self, account: str | None):
        self.account = account
        self.counted: Counter = Counter()
        self.by_reference: dict[tuple[str, str], str] = {}

    def keyed(self, transactions: list[Transaction]) -> list[Transaction]:
        result = []
        for transaction in transactions:
            identity = _identity(self.account, transaction)
            repeated = self.by_reference.get((identity, transaction.reference or ""))
            if repeated and transaction.reference:
                result.append(replace(transaction, key=repeated))
                continue
            self.counted[identity] += 1
            key = "fp:" + hashlib.sha256(f"{identity}|{self.counted[identity]}".encode()).hexdigest()[:40]
            self.by_reference[(identity, transaction.reference or "")] = key
            result.append(replace(transaction, key=key))
        return result


def _identity(account: str | None, t: Transaction) -> str:
    counterparty = f"{_compact(t.payer_iban)} {_words(t.payer_name)}"
    remittance = _compact(t.structured_reference) or _words(t.text)
    return "|".join((_compact(account), str(t.booked_on), t.currency, str(t.amount_cents), counterparty, remittance))


def _compact(value: str | None) -> str:
    return re.sub(r"\s", "", value or "").upper()


def _words(value: str | None) -> str:
    """Text as two exports of one bank may differ in it: case, spacing, line breaks."""
    return " ".join(re.findall(r"\w+", (value or "").upper()))
