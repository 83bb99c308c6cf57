"""The send-time gate: the one place that decides, right before a consumer e-mail leaves,
whether it still should. Every consumer message passes it.

- After an order is cancelled, nothing more reaches that consumer about it.
- A message that asks for money (the invoice, "your invoice runs again", "your direct
  debit came back", the notice before the due date, every reminder and letter of dunning) is dropped when
  the invoice was paid, credited or paused in the meantime.
- A message about a pause is dropped once the pause is over.
Confirmations (a credit note, a payment, a registered return) go out regardless: they
tell the consumer that they owe less, which is never wrong to hear.
"""
from __future__ import annotations

from bnpl.invoices.models import OPEN, PAUSED
from bnpl.notifications.models import OutboxMessage
from bnpl.notifications.snapshot import Facts

ASKS_FOR_MONEY = {"invoice_issued", "invoice_resumed", "payment_returned", "invoice_due_soon",
                  "dunning_reminder", "dunning_letter", "dunning_costs", "dunning_handover"}
ABOUT_A_PAUSE = {"invoice_paused"}


def reason_to_drop(message: OutboxMessage, facts: Facts) -> str | None:
    """Why this message must not be sent now, or None to send it. Merchant notices and
    webhooks are no consumer messages: their facts name no order."""
    if facts.order_cancelled:
        return "order cancelled"
    if facts.invoice is None:
        return None
    status = facts.invoice.status
    if message.kind in ASKS_FOR_MONEY and status != OPEN:
        return f"invoice {status}"
    if message.kind in ABOUT_A_PAUSE and status != PAUSED:
        return f"invoice no longer paused ({status})"
    return None
