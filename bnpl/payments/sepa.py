"""SEPA files with sepaxml, which validates each against its XSD before handing it over:
pain.008 (Core direct debits) and pain.001 (credit transfers for refunds).

Amounts are integer cents here as everywhere; sepaxml takes them that way too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sepaxml import SepaDD, SepaTransfer


@dataclass(frozen=True)
class Debit:
    account_holder: str
    iban: str
    bic: str
    amount_cents: int
    mandate_reference: str
    mandate_signed_on: date
    end_to_end_id: str
    remittance: str  # the invoice's RF reference: a return then matches its invoice


@dataclass(frozen=True)
class Transfer:
    account_holder: str
    iban: str
    bic: str | None
    amount_cents: int
    end_to_end_id: str
    remittance: str


def direct_debits(provider, debits: list[Debit], *, collection_date: date, message_id: str) -> bytes:
    """A pain.008.001.02 file: one batch of Core recurring collections."""
    file = SepaDD({"name": provider.name, "IBAN": provider.iban, "BIC": provider.bic, "batch": True,
                   "creditor_id": provider.creditor_id, "currency": "EUR"}, schema="pain.008.001.02")
    file.msg_id = message_id  # ours, so the file can be found from its debits
    for debit in debits:
        file.add_payment({
            "name": debit.account_holder, "IBAN": debit.iban, "BIC": debit.bic, "amount": debit.amount_cents,
            # RCUR for every collection: the rulebook no longer asks for FRST (since 2016).
            "type": "RCUR", "collection_date": collection_date, "mandate_id": debit.mandate_reference,
            "mandate_date": debit.mandate_signed_on, "description": debit.remittance,
            "endtoend_id": debit.end_to_end_id})
    return file.export(validate=True)


def credit_transfers(provider, transfers: list[Transfer], *, execution_date: date, message_id: str) -> bytes:
    """A pain.001.001.03 file: one batch of credit transfers from the provider's account."""
    file = SepaTransfer({"name": provider.name, "IBAN": provider.iban, "BIC": provider.bic, "batch": True,
                         "currency": "EUR"}, schema="pain.001.001.03")
    file.msg_id = message_id
    for transfer in transfers:
        payment = {"name": transfer.account_holder, "IBAN": transfer.iban, "amount": transfer.amount_cents,
                   "execution_date": execution_date, "description": transfer.remittance,
                   "endtoend_id": transfer.end_to_end_id}
        if transfer.bic:
            payment["BIC"] = transfer.bic
        file.add_payment(payment)
    return file.export(validate=True)
