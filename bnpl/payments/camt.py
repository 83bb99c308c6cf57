"""Reading a CAMT.053 bank statement (ISO 20022 BankToCustomerStatement) with lxml.

Only what booking needs is read: each credited or debited transaction with its amount,
booking date, the bank's reference (our key against importing it twice), the payer, and the
remittance information (a structured creditor reference, or free text). Versions .001.02
to .001.08 share these paths. A file that is not a readable statement raises
``StatementError`` before anything is booked.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0[2-8]$")


class StatementError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Transaction:
    reference: str  # unique per bank account: the key against importing twice
    amount_cents: int  # positive: money in; negative: money out
    currency: str
    booked_on: date
    payer_name: str | None
    payer_iban: str | None
    structured_reference: str | None
    text: str
    is_return: bool  # a direct debit the payer's bank sent back (an R-transaction)
    return_reason: str | None = None
    end_to_end_id: str | None = None  # ours, on our own debits and transfers


@dataclass(frozen=True)
class Statement:
    id: str
    account_iban: str | None
    currency: str
    transactions: list[Transaction]


def parse(data: bytes) -> Statement:
    """Read the first statement of the file. Entries are read as the parser reaches them and
    then dropped from the tree, so a statement of 100,000 entries never sits in memory whole."""
    entries = etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}Ntry", resolve_entities=False,
                              no_network=True, huge_tree=True)
    statement, transactions = None, []
    try:
        for _, entry in entries:
            if statement is None:
                statement = _statement(entry.getroottree().getroot())
            if entry.getparent() is statement.element:
                transactions += _entry(entry, statement.ns)
            _drop(entry)
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"Not well-formed XML: {exc}") from None
    statement = statement or _statement(entries.root)
    currency = statement.currency or (transactions[0].currency if transactions else "EUR")
    return Statement(id=statement.id, account_iban=statement.account_iban, currency=currency,
                     transactions=transactions)


@dataclass(frozen=True)
class _Header:
    element: object  # the first Stmt: entries of any later one are not read
    ns: dict
    id: str
    account_iban: str | None
    currency: str | None


def _statement(root) -> _Header:
    """The statement's own fields, read when its first entry is complete (they come before it)."""
    namespace = etree.QName(root).namespace or ""
    if not NAMESPACE.match(namespace):
        raise StatementError(f"Not a CAMT.053 statement (namespace {namespace or 'none'}).")
    ns = {"c": namespace}
    statement = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    if statement is None:
        raise StatementError("The file has no statement (BkToCstmrStmt/Stmt).")
    return _Header(element=statement, ns=ns, id=_text(statement, "c:Id", ns) or "",
                   account_iban=_text(statement, "c:Acct/c:Id/c:IBAN", ns), currency=_text(statement, "c:Acct/c:Ccy", ns))


def _drop(entry) -> None:
    """Free what was read: the entry's content, and the entries read before it."""
    entry.clear()
    parent = entry.getparent()
    while entry.getprevious() is not None:
        del parent[0]


def _entry(entry, ns) -> list[Transaction]:
    """An entry is one booking; a batch entry carries several transactions (TxDtls)."""
    if (_text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns) or "BOOK") != "BOOK":
        return []  # pending or informational: not money yet
    booked_on = _date(_text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns, 10))
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    entry_reference = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    if not details:
        details = [entry]
    batch = len(details) > 1
    return [_transaction(entry, detail, ns, booked_on, batch=batch,
                         reference=_text(detail, "c:Refs/c:AcctSvcrRef", ns)
                         or (f"{entry_reference}/{i}" if batch else entry_reference))
            for i, detail in enumerate(details)]


def _amount(entry, detail, ns, *, batch: bool):
    """A transaction's own amount; the entry's amount only when the entry is that transaction."""
    node = detail.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
    if node is None and detail is not entry:
        node = detail.find("c:Amt", ns)
    if node is None and not batch:
        node = entry.find("c:Amt", ns)
    return node


def _transaction(entry, detail, ns, booked_on: date, *, batch: bool, reference: str | None) -> Transaction:
    amount_node = _amount(entry, detail, ns, batch=batch)
    if amount_node is None or not reference:
        raise StatementError(f"An entry lacks its amount or reference (entry {reference or '?'}).")
    credit = (_text(detail, "c:CdtDbtInd", ns) or _text(entry, "c:CdtDbtInd", ns)) == "CRDT"
    reversal = _text(entry, "c:RvslInd", ns) == "true"
    cents = _cents(amount_node.text)
    is_return = detail.find("c:RtrInf", ns) is not None or reversal
    party = "c:RltdPties/c:Dbtr" if credit else "c:RltdPties/c:Cdtr"
    account = "c:RltdPties/c:DbtrAcct" if credit else "c:RltdPties/c:CdtrAcct"
    return Transaction(
        reference=reference, amount_cents=cents if credit else -cents,
        currency=amount_node.get("Ccy", ""), booked_on=booked_on,
        payer_name=_text(detail, f"{party}/c:Nm", ns) or _text(detail, f"{party}/c:Pty/c:Nm", ns),
        payer_iban=_text(detail, f"{account}/c:Id/c:IBAN", ns),
        structured_reference=_text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns),
        text=" ".join(t.text.strip() for t in detail.findall("c:RmtInf/c:Ustrd", ns) if t.text),
        is_return=is_return, return_reason=_text(detail, "c:RtrInf/c:Rsn/c:Cd", ns),
        end_to_end_id=_end_to_end(_text(detail, "c:Refs/c:EndToEndId", ns)))


def _end_to_end(value: str | None) -> str | None:
    return None if value in (None, "", "NOTPROVIDED") else value  # banks write NOTPROVIDED for none


def _text(node, path: str, ns, length: int | None = None) -> str | None:
    found = node.find(path, ns)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value[:length] if length else value


def _date(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise StatementError(f"An entry has no valid booking date ({value!r}).") from None


def _cents(value: str | None) -> int:
    try:
        amount = Decimal((value or "").strip())
    except InvalidOperation:
        raise StatementError(f"Not an amount: {value!r}.") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise StatementError(f"Not an amount in cents: {value!r}.")
    return int(amount * 100)
