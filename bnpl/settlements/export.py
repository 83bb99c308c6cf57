"""A settlement's entries as CSV, for a webshop's bookkeeping: amounts in cents and as exact
decimal strings (never floats), and a total row that equals the payable amount."""
from __future__ import annotations

import io
from decimal import Decimal

from bnpl import spreadsheet
from bnpl.money import MINOR_UNITS

HEADER = ["kind", "number", "date", "amount_cents", "amount", "currency", "invoice_number"]


def decimal_amount(cents: int, currency: str) -> str:
    """12345 EUR -> "123.45"; -5 EUR -> "-0.05"; exact, from the integer."""
    exponent = MINOR_UNITS.get(currency, 2)
    return f"{Decimal(cents).scaleb(-exponent):.{exponent}f}"


def entries_csv(statement) -> str:
    settlement, entries = statement.settlement, statement.entries
    out = io.StringIO()
    writer = spreadsheet.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    currency = settlement.currency
    for entry in entries:
        writer.writerow([entry.kind, entry.number, entry.date.isoformat(), entry.amount_cents,
                         decimal_amount(entry.amount_cents, currency), currency, entry.invoice_number or ""])
    total = statement.total_cents
    writer.writerow(["total", settlement.id, settlement.period_end.isoformat(), total,
                     decimal_amount(total, currency), currency, ""])
    return out.getvalue()
