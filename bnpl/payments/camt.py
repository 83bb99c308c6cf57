"""Reading ISO 20022 bank-to-customer messages with lxml: CAMT.053 statements and CAMT.054
debit/credit notifications, versions .001.02 to .001.08, which share the paths read here.

Every statement (Stmt) or notification (Ntfctn) of a file is read, each entry as the parser
reaches it and then dropped from the tree, so a file of 100,000 entries never sits in memory
whole. A batch entry gives one transaction per TxDtls that carries its own amount. An entry
that cannot be read (no amount, no booking date) comes back with its problem, so the others
are still booked; only a file that is not such a message at all raises ``StatementError``.
"""
from __future__ import annotations

import io
import pyexpat
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from bnpl.payments.statements import Fingerprints, Statement, StatementError, StatementPart, Transaction

__all__ = ["Statement", "StatementError", "StatementPart", "Transaction", "check_well_formed", "parse", "read"]

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05([34])\.001\.0[2-8]$")
# Ten million: beyond any payment for a purchase, within what the amount columns hold in cents,
# and never so long that rounding to cents overflows (1E+30 did, and stopped the whole file).
MAX_AMOUNT = Decimal("10000000")
_REPORTS = {"3": ("c:BkToCstmrStmt", "Stmt", "camt.053"), "4": ("c:BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054")}


def parse(data: bytes) -> list[Statement]:
    """Every statement of the file, in the order the bank wrote them."""
    statements: dict[int, Statement] = {}
    for part in read(data):
        statements[part.number] = part.statement  # one part each
    return list(statements.values())


def read(data: bytes, batch: int | None = None) -> Iterator[StatementPart]:
    """The file's statements as the parser reaches them, each in parts of `batch` transactions
    (a few more where a batch entry ends a part: an entry is never split; None: one part
    each). A file cut off raises StatementError only where it ends: check_well_formed tells
    before anything is read."""
    entries = _elements(data, tag="{*}Ntry")
    reader = _Reader(batch)
    try:
        for _, entry in entries:
            yield from reader.add(entry)
            _drop(entry)
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"Not well-formed XML: {exc}") from None
    yield from reader.finish(entries.root)


def check_well_formed(data: bytes) -> None:
    """Raises StatementError unless the whole file is well-formed XML with its namespaces
    declared (a file cut off is not). Expat reads it without building anything, in a tenth of
    the time the parse takes; it loads no external entity and stops entity expansions that
    blow up. What expat refuses is read once more by lxml, the parser the import uses, which
    has the last word (expat knows no multi-byte encoding such as Shift_JIS)."""
    parser = pyexpat.ParserCreate(namespace_separator=" ")  # with a separator, namespaces are checked
    try:
        parser.Parse(data, True)
    except (pyexpat.ExpatError, ValueError):  # ValueError: an encoding expat does not know
        _check_with_lxml(data)


def _check_with_lxml(data: bytes) -> None:
    try:
        for _, element in _elements(data):
            element.clear()
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"Not well-formed XML: {exc}") from None


def _elements(data: bytes, tag: str | None = None):
    """The file's elements (those of `tag`) as lxml reaches their ends: no entity of the file
    expanded, nothing fetched from the network, no limit on a long text."""
    return etree.iterparse(io.BytesIO(data), events=("end",), tag=tag, resolve_entities=False, no_network=True,
                           huge_tree=True)


class _Reader:
    """Collects entries per statement (a new parent element is a new statement) and hands them
    on a part at a time."""

    def __init__(self, batch: int | None):
        self.batch = batch
        self.kind = None
        self.reading: _OpenStatement | None = None
        self.read: list = []  # the statement elements with entries (kept: their ids stay theirs)

    def add(self, entry) -> list[StatementPart]:
        parent = entry.getparent()
        parts = []
        if self.reading is None or self.reading.element is not parent:
            self.kind = self.kind or _kind(entry.getroottree().getroot())
            if parent.tag != f"{{{self.kind.ns['c']}}}{self.kind.element}":
                return parts  # an Ntry somewhere else is no entry of a statement
            if self.reading is not None:
                parts.append(self.reading.part(last=True))
            self.reading = _OpenStatement(_Header(parent, self.kind.ns), len(self.read), self.kind.format)
            self.read.append(parent)
        self.reading.transactions.extend(_entry(entry, self.kind.ns))
        if self.batch and len(self.reading.transactions) >= self.batch:
            parts.append(self.reading.part(last=False))
        return parts

    def finish(self, root) -> Iterator[StatementPart]:
        kind = self.kind or _kind(root)
        if self.reading is not None:
            yield self.reading.part(last=True)
        read = {id(element) for element in self.read}
        empty = [s for s in root.findall(f"{kind.path}/c:{kind.element}", kind.ns) if id(s) not in read]
        if not self.read and not empty:
            raise StatementError(f"The file has no statement ({kind.path[2:]}/{kind.element}).")
        for number, element in enumerate(empty, start=len(self.read)):
            yield _OpenStatement(_Header(element, kind.ns), number, kind.format).part(last=True)


class _OpenStatement:
    """A statement being read: its header, and its transactions not handed on yet."""

    def __init__(self, header: "_Header", number: int, format: str):
        self.header, self.number, self.format = header, number, format
        self.element = header.element
        self.currency = header.currency
        self.fingerprints = Fingerprints(header.account)
        self.transactions: list[Transaction] = []

    def part(self, *, last: bool) -> StatementPart:
        transactions, self.transactions = self.transactions, []
        if not self.currency:  # the account's, else its first entry's
            self.currency = transactions[0].currency if transactions else "EUR"
        statement = Statement(id=self.header.id, account_iban=self.header.account, currency=self.currency,
                              transactions=self.fingerprints.keyed(transactions), format=self.format)
        return StatementPart(self.number, statement, last)


class _Kind:
    def __init__(self, namespace: str, number: str):
        self.ns = {"c": namespace}
        self.path, self.element, self.format = _REPORTS[number]


def _kind(root) -> _Kind:
    namespace = etree.QName(root).namespace or ""
    found = NAMESPACE.match(namespace)
    if not found:
        raise StatementError(f"Not a CAMT.053 statement or CAMT.054 notification (namespace {namespace or 'none'}).")
    return _Kind(namespace, found.group(1))


class _Header:
    def __init__(self, element, ns):
        self.element = element
        self.id = _text(element, "c:Id", ns) or ""
        self.account = _text(element, "c:Acct/c:Id/c:IBAN", ns) or _text(element, "c:Acct/c:Id/c:Othr/c:Id", ns)
        self.currency = _text(element, "c:Acct/c:Ccy", ns)


def _drop(entry) -> None:
    """Free what was read: the entry's content, and the entries read before it."""
    entry.clear()
    parent = entry.getparent()
    while entry.getprevious() is not None:
        del parent[0]


def _entry(entry, ns) -> list[Transaction]:
    """An entry is one booking; a batch entry carries several transactions (TxDtls)."""
    pending = (_text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns) or "BOOK") != "BOOK"
    booked_on, problem = _booking_date(entry, ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    entry_reference = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    if len(details) > 1 and all(_own_amount(d, ns) is not None for d in details):
        return [_transaction(entry, detail, ns, booked_on, pending, problem, amount=_own_amount(detail, ns),
                             reference=_text(detail, "c:Refs/c:AcctSvcrRef", ns)
                             or (f"{entry_reference}/{i}" if entry_reference else None))
                for i, detail in enumerate(details)]
    # One transaction, or a batch whose parts carry no amount: the entry is the transaction,
    # with what was booked on the account (a detail's amount may be the one instructed).
    detail = details[0] if len(details) == 1 else entry
    return [_transaction(entry, detail, ns, booked_on, pending, problem, amount=entry.find("c:Amt", ns),
                         reference=_text(detail, "c:Refs/c:AcctSvcrRef", ns) or entry_reference,
                         texts=details if len(details) > 1 else None)]


def _own_amount(detail, ns):
    node = detail.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
    return node if node is not None else detail.find("c:Amt", ns)


def _booking_date(entry, ns) -> tuple[date | None, str | None]:
    value = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns, 10)
    try:
        return date.fromisoformat(value or ""), None
    except ValueError:
        return None, f"no valid booking date ({value!r})"


def _transaction(entry, detail, ns, booked_on, pending: bool, problem: str | None, *, amount,
                 reference: str | None, texts=None) -> Transaction:
    credit = (_text(detail, "c:CdtDbtInd", ns) or _text(entry, "c:CdtDbtInd", ns)) == "CRDT"
    cents, amount_problem = _cents(amount.text if amount is not None else None)
    party, account = ("c:RltdPties/c:Dbtr", "c:RltdPties/c:DbtrAcct") if credit else (
        "c:RltdPties/c:Cdtr", "c:RltdPties/c:CdtrAcct")
    return Transaction(
        reference=reference, amount_cents=cents if credit else -cents,
        currency=amount.get("Ccy", "") if amount is not None else "", booked_on=booked_on,
        payer_name=_text(detail, f"{party}/c:Nm", ns) or _text(detail, f"{party}/c:Pty/c:Nm", ns),
        payer_iban=_text(detail, f"{account}/c:Id/c:IBAN", ns),
        structured_reference=_text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns),
        text=_remittance(entry, texts or [detail], ns), unbroken_text=_unbroken(texts or [detail], ns),
        is_return=detail.find("c:RtrInf", ns) is not None or _text(entry, "c:RvslInd", ns) in ("true", "1"),
        return_reason=_text(detail, "c:RtrInf/c:Rsn/c:Cd", ns) or _text(detail, "c:RtrInf/c:Rsn/c:Prtry", ns),
        end_to_end_id=_end_to_end(_text(detail, "c:Refs/c:EndToEndId", ns)),
        pending=pending, problem=problem or amount_problem)


def _remittance(entry, details, ns) -> str:
    """The free text: the Ustrd lines as the payer split them, else what the bank added."""
    lines = [t.text.strip() for d in details for t in d.findall("c:RmtInf/c:Ustrd", ns) if t.text]
    if not lines:
        lines = [t for t in (*(_text(d, "c:AddtlTxInf", ns) for d in details), _text(entry, "c:AddtlNtryInf", ns)) if t]
    return " ".join(lines)


def _unbroken(details, ns) -> str:
    return "".join(t.text.replace("\n", "") for d in details for t in d.findall("c:RmtInf/c:Ustrd", ns) if t.text)


def _end_to_end(value: str | None) -> str | None:
    return None if value in (None, "", "NOTPROVIDED") else value  # banks write NOTPROVIDED for none


def _text(node, path: str, ns, length: int | None = None) -> str | None:
    found = node.find(path, ns)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value[:length] if length else value


def _cents(value: str | None) -> tuple[int, str | None]:
    """(cents, None), or (0, why) for what is not a positive amount in cents."""
    try:
        amount = Decimal((value or "").strip())
    except InvalidOperation:
        return 0, f"not an amount: {value!r}"
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        return 0, f"not an amount in cents: {value!r}"
    return int(amount * 100), None
