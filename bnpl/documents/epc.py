"""The EPC069-12 ("GiroCode") QR a banking app reads to fill in a transfer: the invoice PDF
prints it, the portal's pay page shows it. Light on imports (segno only), so a page that shows
it does not load the PDF renderer."""
from __future__ import annotations

from decimal import Decimal

import segno
import segno.helpers


def epc_qr(*, name: str, iban: str, bic: str | None, amount_cents: int, currency: str, reference: str):
    """The QR (a segno code) for paying ``amount_cents`` to the payee with the RF reference;
    None when nothing is left to pay or the currency is not the euro (EPC knows only euros)."""
    if amount_cents <= 0 or currency != "EUR":
        return None
    return segno.helpers.make_epc_qr(name=name[:70], iban=iban, bic=bic, amount=Decimal(amount_cents).scaleb(-2),
                                     reference=reference)
