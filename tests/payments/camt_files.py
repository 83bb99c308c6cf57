"""Bank statements as a Dutch bank sends them: CAMT.053 (ISO 20022 BankToCustomerStatement),
version .001.02 as ABN AMRO, ING and Rabobank deliver it, and .001.08 for the newer layout.

Build entries with ``payment``, ``debit``, ``returned`` and ``batch`` and wrap them with
``statement``; every entry and transaction gets a fresh bank reference unless one is given,
so a statement built twice is two different statements, and one built once and imported
twice is the same statement. Amounts are cents (formatted as the bank writes them) or a
string written into the file as it is (to build broken files).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

NS = {2: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
      8: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
XSI = "http://www.w3.org/2001/XMLSchema-instance"

OWN_IBAN = "NL91ABNA0417164300"  # the provider's account the statement is about
OWN_BIC = "ABNANL2A"
PAYER_NAME = "Sanne de Vries"
PAYER_IBAN = "NL20INGB0001234567"
PAYER_BIC = "INGBNL2A"
BOOKED_ON = date(2026, 11, 23)

_sequence = itertools.count(1)


def bank_reference() -> str:
    """A reference in the style banks use for AcctSvcrRef: unique per booking."""
    return f"0123{BOOKED_ON:%Y%m%d}{next(_sequence):08d}"


@dataclass
class Tx:
    """One transaction (TxDtls) within an entry."""

    amount: int | str  # cents, or the literal text of <Amt>
    credit: bool = True
    name: str | None = PAYER_NAME  # Dbtr (money in) or Cdtr (money out)
    iban: str | None = PAYER_IBAN
    bic: str | None = PAYER_BIC
    rf: str | None = None  # structured creditor reference (SCOR)
    text: str | None = None  # unstructured remittance (Ustrd)
    reference: str | None = field(default_factory=bank_reference)  # Refs/AcctSvcrRef; None: omitted
    end_to_end: str = "NOTPROVIDED"
    mandate: str | None = None  # MndtId of a direct debit
    return_reason: str | None = None  # RtrInf/Rsn/Cd of a returned direct debit
    currency: str = "EUR"


@dataclass
class Entry:
    """One booking (Ntry) on the account; a batch entry carries several transactions."""

    transactions: list[Tx]
    credit: bool = True
    status: str = "BOOK"  # BOOK | PDNG | INFO
    booked_on: date = BOOKED_ON
    reference: str | None = field(default_factory=bank_reference)  # the entry's AcctSvcrRef
    reversal: bool = False  # RvslInd
    domain: tuple[str, str, str] = ("PMNT", "RCDT", "ESCT")  # BkTxCd Domn/Cd, Fmly/Cd, SubFmlyCd
    proprietary: str = "N541"  # the bank's own transaction code
    currency: str = "EUR"
    amount: int | str | None = None  # the entry's <Amt>; the sum of its transactions by default

    @property
    def total(self) -> int | str:
        if self.amount is not None:
            return self.amount
        amounts = [t.amount for t in self.transactions]
        return sum(amounts) if all(isinstance(a, int) for a in amounts) else amounts[0]


# --- entries ------------------------------------------------------------------------------

def payment(amount: int | str, *, rf: str | None = None, text: str | None = None, name: str | None = PAYER_NAME,
            iban: str | None = PAYER_IBAN, reference: str | None = "auto", entry_reference: str | None = "auto",
            currency: str = "EUR", **entry) -> Entry:
    """A SEPA credit transfer received (PMNT/RCDT/ESCT)."""
    tx = Tx(amount, rf=rf, text=text, name=name, iban=iban, currency=currency,
            end_to_end=f"E2E-{next(_sequence):06d}", **_ref(reference))
    return Entry([tx], currency=currency, **_ref(entry_reference), **entry)


def collected(amount: int | str, *, rf: str, mandate: str = "MNDT-0001", **entry) -> Entry:
    """A SEPA core direct debit we collected from the consumer (PMNT/RDDT/ESDD)."""
    tx = Tx(amount, rf=rf, mandate=mandate, end_to_end=f"SDD-{next(_sequence):06d}")
    return Entry([tx], domain=("PMNT", "RDDT", "ESDD"), proprietary="N522", **entry)


def returned(amount: int | str, *, rf: str | None, reason: str = "MD06", mandate: str = "MNDT-0001",
             name: str = PAYER_NAME, **entry) -> Entry:
    """A direct debit the consumer's bank sent back (an R-transaction, PMNT/RDDT/UPDD):
    money out, with the original remittance and the reason code (MD06: refund request by
    the debtor, AM04: insufficient funds, MS02: refused by the debtor)."""
    tx = Tx(amount, credit=False, rf=rf, mandate=mandate, name=name, return_reason=reason,
            end_to_end=f"SDD-{next(_sequence):06d}")
    return Entry([tx], credit=False, domain=("PMNT", "RDDT", "UPDD"), proprietary="N595", **entry)


def debit(amount: int | str, *, name: str = "Fietsenwinkel Utrecht", iban: str = "NL44RABO0123456789",
          text: str = "Uitbetaling november 2026", **entry) -> Entry:
    """Money out: a payout to a merchant or a refund (PMNT/ICDT/ESCT)."""
    tx = Tx(amount, credit=False, name=name, iban=iban, bic="RABONL2U", text=text)
    return Entry([tx], credit=False, domain=("PMNT", "ICDT", "ESCT"), proprietary="N658", **entry)


def batch(*transactions: Tx, **entry) -> Entry:
    """Several credit transfers booked as one entry (a bank's batch booking)."""
    return Entry(list(transactions), domain=("PMNT", "RCDT", "ESCT"), **entry)


def _ref(value: str | None) -> dict:
    return {} if value == "auto" else {"reference": value}


# --- the document -------------------------------------------------------------------------

def statement(*entries: Entry, statement_id: str | None = None, currency: str = "EUR", iban: str = OWN_IBAN,
              version: int = 2) -> bytes:
    """A complete camt.053 document (one page, one statement) with the given entries."""
    ns = NS[version]
    e = _Maker(ns)
    number = next(_sequence)
    stmt_id = statement_id or f"{BOOKED_ON:%Y%m%d}-{number:05d}"
    opening = 125_000
    closing = opening + sum(_signed(entry) for entry in entries if entry.status == "BOOK")

    root = e("Document", nsmap={None: ns, "xsi": XSI})
    report = e.sub(root, "BkToCstmrStmt")
    header = e.sub(report, "GrpHdr")
    e.sub(header, "MsgId", f"CAMT053-{BOOKED_ON:%Y%m%d}-{number:05d}")
    e.sub(header, "CreDtTm", f"{BOOKED_ON}T06:15:00+01:00")
    paging = e.sub(header, "MsgPgntn")
    e.sub(paging, "PgNb", "1")
    e.sub(paging, "LastPgInd", "true")

    stmt = e.sub(report, "Stmt")
    e.sub(stmt, "Id", stmt_id)
    e.sub(stmt, "ElctrncSeqNb", str(number))
    e.sub(stmt, "CreDtTm", f"{BOOKED_ON}T06:15:00+01:00")
    period = e.sub(stmt, "FrToDt")
    e.sub(period, "FrDtTm", f"{BOOKED_ON}T00:00:00+01:00")
    e.sub(period, "ToDtTm", f"{BOOKED_ON}T23:59:59+01:00")
    account = e.sub(stmt, "Acct")
    e.sub(e.sub(account, "Id"), "IBAN", iban)
    e.sub(account, "Ccy", currency)
    owner = e.sub(account, "Ownr")
    e.sub(owner, "Nm", "BNPL Betaaldiensten B.V.")
    e.sub(e.sub(e.sub(account, "Svcr"), "FinInstnId"), "BICFI" if version >= 8 else "BIC", OWN_BIC)
    _balance(e, stmt, "OPBD", opening, currency)
    _balance(e, stmt, "CLBD", closing, currency)
    summary = e.sub(e.sub(stmt, "TxsSummry"), "TtlNtries")
    e.sub(summary, "NbOfNtries", str(len(entries)))
    for entry in entries:
        _entry(e, stmt, entry, version)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _signed(entry: Entry) -> int:
    total = entry.total
    return 0 if not isinstance(total, int) else (total if entry.credit else -total)


def _balance(e, stmt, code: str, cents: int, currency: str) -> None:
    balance = e.sub(stmt, "Bal")
    e.sub(e.sub(e.sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
    e.sub(balance, "Amt", _amount(abs(cents)), Ccy=currency)
    e.sub(balance, "CdtDbtInd", "CRDT" if cents >= 0 else "DBIT")
    e.sub(e.sub(balance, "Dt"), "Dt", BOOKED_ON.isoformat())


def _entry(e, stmt, entry: Entry, version: int) -> None:
    node = e.sub(stmt, "Ntry")
    if entry.reference:
        e.sub(node, "NtryRef", entry.reference[-8:])
    e.sub(node, "Amt", _amount(entry.total), Ccy=entry.currency)
    e.sub(node, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
    if entry.reversal:
        e.sub(node, "RvslInd", "true")
    if version >= 8:
        e.sub(e.sub(node, "Sts"), "Cd", entry.status)
    else:
        e.sub(node, "Sts", entry.status)
    e.sub(e.sub(node, "BookgDt"), "Dt", entry.booked_on.isoformat())
    e.sub(e.sub(node, "ValDt"), "Dt", entry.booked_on.isoformat())
    if entry.reference:
        e.sub(node, "AcctSvcrRef", entry.reference)
    _bank_code(e, node, entry)
    details = e.sub(node, "NtryDtls")
    if len(entry.transactions) > 1:
        group = e.sub(details, "Btch")
        e.sub(group, "NbOfTxs", str(len(entry.transactions)))
        e.sub(group, "TtlAmt", _amount(entry.total), Ccy=entry.currency)
        e.sub(group, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
    for tx in entry.transactions:
        _transaction(e, details, tx, version)


def _bank_code(e, parent, entry: Entry) -> None:
    code = e.sub(parent, "BkTxCd")
    domain = e.sub(code, "Domn")
    e.sub(domain, "Cd", entry.domain[0])
    family = e.sub(domain, "Fmly")
    e.sub(family, "Cd", entry.domain[1])
    e.sub(family, "SubFmlyCd", entry.domain[2])
    own = e.sub(code, "Prtry")
    e.sub(own, "Cd", entry.proprietary)
    e.sub(own, "Issr", "ABNAMRO")


def _transaction(e, details, tx: Tx, version: int) -> None:
    node = e.sub(details, "TxDtls")
    refs = e.sub(node, "Refs")
    if tx.reference:
        e.sub(refs, "AcctSvcrRef", tx.reference)
    e.sub(refs, "EndToEndId", tx.end_to_end)
    if tx.mandate:
        e.sub(refs, "MndtId", tx.mandate)
    if version >= 8:
        e.sub(node, "Amt", _amount(tx.amount), Ccy=tx.currency)
        e.sub(node, "CdtDbtInd", "CRDT" if tx.credit else "DBIT")
    amounts = e.sub(node, "AmtDtls")
    e.sub(e.sub(amounts, "InstdAmt"), "Amt", _amount(tx.amount), Ccy=tx.currency)
    e.sub(e.sub(amounts, "TxAmt"), "Amt", _amount(tx.amount), Ccy=tx.currency)
    if tx.name or tx.iban:
        parties = e.sub(node, "RltdPties")
        role = "Dbtr" if tx.credit else "Cdtr"
        if tx.name:
            party = e.sub(parties, role)
            if version >= 8:
                party = e.sub(party, "Pty")
            e.sub(party, "Nm", tx.name)
        if tx.iban:
            e.sub(e.sub(e.sub(parties, f"{role}Acct"), "Id"), "IBAN", tx.iban)
    if tx.bic:
        agents = e.sub(node, "RltdAgts")
        e.sub(e.sub(e.sub(agents, "DbtrAgt" if tx.credit else "CdtrAgt"), "FinInstnId"),
              "BICFI" if version >= 8 else "BIC", tx.bic)
    if tx.rf or tx.text:
        remittance = e.sub(node, "RmtInf")
        if tx.text:
            # A bank splits long free text over several Ustrd of at most 140 characters.
            for start in range(0, len(tx.text), 140):
                e.sub(remittance, "Ustrd", tx.text[start:start + 140])
        if tx.rf:
            creditor = e.sub(e.sub(remittance, "Strd"), "CdtrRefInf")
            kind = e.sub(creditor, "Tp")
            e.sub(e.sub(kind, "CdOrPrtry"), "Cd", "SCOR")
            e.sub(kind, "Issr", "ISO")
            e.sub(creditor, "Ref", tx.rf)
    if tx.return_reason:
        info = e.sub(node, "RtrInf")
        e.sub(e.sub(info, "Rsn"), "Cd", tx.return_reason)
        e.sub(info, "AddtlInf", "Terugboeking incasso")


def _amount(value: int | str) -> str:
    if isinstance(value, str):
        return value
    return str((Decimal(value) / 100).quantize(Decimal("0.01")))


class _Maker:
    def __init__(self, ns: str):
        self.ns = ns

    def __call__(self, tag: str, nsmap=None) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{tag}", nsmap=nsmap)

    def sub(self, parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
        node = etree.SubElement(parent, f"{{{self.ns}}}{tag}", **attrs)
        if text is not None:
            node.text = text
        return node


def combined(*documents: bytes) -> bytes:
    """One file holding the statements of several (a bank's export of a period: one
    statement per day)."""
    first = etree.fromstring(documents[0])
    report = first[0]
    for other in documents[1:]:
        for stmt in etree.fromstring(other)[0].findall("{*}Stmt"):
            report.append(stmt)
    return etree.tostring(first, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- files that are not a statement -------------------------------------------------------

def as_camt054(data: bytes) -> bytes:
    """The same bookings as a debit/credit notification (camt.054), not a statement."""
    return (data.replace(b"camt.053.001.02", b"camt.054.001.02")
            .replace(b"BkToCstmrStmt>", b"BkToCstmrDbtCdtNtfctn>")
            .replace(b"<Stmt>", b"<Ntfctn>").replace(b"</Stmt>", b"</Ntfctn>"))


def pain_001() -> bytes:
    """A credit transfer initiation (what a customer sends its bank), not a statement."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">
  <CstmrCdtTrfInitn>
    <GrpHdr><MsgId>PAIN-1</MsgId><CreDtTm>2026-11-23T09:00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
      <InitgPty><Nm>BNPL Betaaldiensten B.V.</Nm></InitgPty></GrpHdr>
    <PmtInf><PmtInfId>PMT-1</PmtInfId><PmtMtd>TRF</PmtMtd><ReqdExctnDt>2026-11-24</ReqdExctnDt>
      <Dbtr><Nm>BNPL Betaaldiensten B.V.</Nm></Dbtr><DbtrAcct><Id><IBAN>{OWN_IBAN}</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BIC>{OWN_BIC}</BIC></FinInstnId></DbtrAgt>
      <CdtTrfTxInf><PmtId><EndToEndId>PAYOUT-1</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">100.00</InstdAmt></Amt>
        <Cdtr><Nm>Fietsenwinkel Utrecht</Nm></Cdtr><CdtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></CdtrAcct>
        <RmtInf><Ustrd>Uitbetaling</Ustrd></RmtInf></CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>""".encode()


def spaced(reference: str) -> str:
    """A reference as a person types it from the paper invoice: groups of four."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))
