"""Reading SWIFT MT940 statements (still the default export of several Dutch banks) with the
`mt-940` library. A file holds one statement per :20: block; each :61: line is one
transaction, described by the :86: line after it. Dutch banks write the counterparty and the
remittance in :86: as SEPA subfields (/NAME/…/IBAN/…/REMI/…, or ING's /CNTP/iban/bic/name/);
where they do not, the whole :86: text is the remittance.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import mt940

from bnpl.payments.statements import Statement, StatementError, Transaction, keyed

_BLOCK = re.compile(r"^:20:", re.MULTILINE)
_SUBFIELD = re.compile(r"/(EREF|IBAN|BIC|NAME|REMI|CNTP|RTRN|MARF|CSID|ORDP|BENM|ULTC|ULTD|PURP|ISDT|ADDR|TRCD)/")


def looks_like(data: bytes) -> bool:
    return b":20:" in data[:2000] and b":61:" in data


def parse(data: bytes) -> list[Statement]:
    text = data.decode("utf-8", errors="replace") if _is_utf8(data) else data.decode("latin-1")
    starts = [m.start() for m in _BLOCK.finditer(text)]
    if not starts:
        raise StatementError("Not an MT940 statement (no :20: block).")
    return [_statement(text[start:end]) for start, end in zip(starts, starts[1:] + [len(text)])]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _statement(block: str) -> Statement:
    try:
        parsed = mt940.parse(block)
    except Exception as exc:  # the library raises what it meets: bad tags, dates, amounts
        raise StatementError(f"Not a readable MT940 statement: {exc}") from None
    account = (parsed.data.get("account_identification") or "").strip() or None
    transactions = [_transaction(t.data) for t in parsed]
    currency = _currency(parsed.data) or (transactions[0].currency if transactions else "EUR")
    return Statement(id=str(parsed.data.get("transaction_reference") or ""), account_iban=account,
                     currency=currency, transactions=keyed(account, transactions), format="mt940")


def _currency(data: dict) -> str | None:
    balance = data.get("final_opening_balance") or data.get("final_closing_balance")
    return getattr(getattr(balance, "amount", None), "currency", None)


def _transaction(data: dict) -> Transaction:
    amount = data.get("amount")
    value = Decimal(str(amount.amount)) if amount is not None else Decimal(0)
    cents = int(value * 100)
    details = _details(data.get("transaction_details") or "")
    booked_on = data.get("entry_date") or data.get("date")
    problem = None if cents and value == value.quantize(Decimal("0.01")) else f"not an amount in cents: {value}"
    reference = data.get("bank_reference") or _reference(data.get("customer_reference"))
    return Transaction(
        reference=reference, amount_cents=cents, currency=getattr(amount, "currency", "") or "",
        booked_on=date(booked_on.year, booked_on.month, booked_on.day) if booked_on else None,
        payer_name=details.get("NAME"), payer_iban=details.get("IBAN") or _iban(data.get("extra_details")),
        structured_reference=None, text=details.get("REMI", details.get("text", "")),
        unbroken_text=re.sub(r"\s*\n", "", data.get("transaction_details") or ""),
        is_return=str(data.get("status", "")).startswith("R") or "RTRN" in details,
        return_reason=details.get("RTRN") or None, end_to_end_id=_reference(details.get("EREF")), problem=problem)


def _iban(value) -> str | None:
    """Rabobank writes the counterparty's account after the :61: line's reference."""
    found = re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", (value or "").strip())
    return found.group(0) if found else None


def _reference(value) -> str | None:
    return None if not value or str(value).strip() in ("NONREF", "NOTPROVIDED", "EREF") else str(value).strip()


def _details(text: str) -> dict[str, str]:
    """The SEPA subfields of :86: where the bank writes them, else the text as it is."""
    flat = re.sub(r"\s*\n\s*", "", text) if _SUBFIELD.search(text) else " ".join(text.split())
    parts = _SUBFIELD.split(flat)
    if len(parts) < 3:
        return {"text": flat}
    found = {"text": flat}
    for tag, value in zip(parts[1::2], parts[2::2]):
        found.setdefault(tag, value.strip("/ "))
    if "CNTP" in found and "NAME" not in found:  # ING: /CNTP/iban/bic/name/city/
        iban, _, rest = found["CNTP"].partition("/")
        found["IBAN"], found["NAME"] = iban or None, (rest.split("/") + ["", ""])[1] or None
    return {k: v for k, v in found.items() if v is not None}
