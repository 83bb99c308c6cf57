"""Reading a CAMT.053 bank statement (bnpl/payments/camt.py): what each booking becomes,
and which files are refused before anything is booked."""
from __future__ import annotations

from datetime import date

import pytest

from bnpl.payments import camt
from bnpl.payments.camt import StatementError
from tests.payments import camt_files as files

RF = "RF19TEST2026000001"


def only(data: bytes) -> camt.Transaction:
    [transaction] = camt.parse(data).transactions
    return transaction


# --- what a statement holds ---------------------------------------------------------------

def test_a_credit_transfer_with_a_structured_reference():
    entry = files.payment(1999, rf=RF, booked_on=date(2026, 11, 20))
    data = files.statement(entry, statement_id="STMT-2026-321")

    parsed = camt.parse(data)

    assert (parsed.id, parsed.account_iban, parsed.currency) == ("STMT-2026-321", files.OWN_IBAN, "EUR")
    assert parsed.transactions == [camt.Transaction(
        reference=entry.transactions[0].reference, amount_cents=1999, currency="EUR",
        booked_on=date(2026, 11, 20), payer_name=files.PAYER_NAME, payer_iban=files.PAYER_IBAN,
        structured_reference=RF, text="", is_return=False, return_reason=None,
        end_to_end_id=entry.transactions[0].end_to_end)]


def test_a_credit_transfer_with_free_text_split_over_several_lines():
    text = "Factuur TEST-2026-000001 bestelling WEB-00042 " + "x" * 120 + " dank u wel"
    transaction = only(files.statement(files.payment(4250, text=text)))

    assert transaction.structured_reference is None
    assert transaction.text == f"{text[:140].strip()} {text[140:].strip()}"
    assert "TEST-2026-000001" in transaction.text and transaction.amount_cents == 4250


def test_the_newer_layout_001_08_reads_the_same():
    entry = files.payment(1999, rf=RF)

    transaction = only(files.statement(entry, version=8))

    assert (transaction.reference, transaction.amount_cents, transaction.structured_reference) == (
        entry.transactions[0].reference, 1999, RF)
    assert (transaction.payer_name, transaction.payer_iban) == (files.PAYER_NAME, files.PAYER_IBAN)


def test_a_batch_entry_gives_each_transaction_its_own_amount_and_reference():
    txs = [files.Tx(1999, rf=RF, name="Sanne de Vries"),
           files.Tx(4250, text="Factuur TEST-2026-000002", name="Jan Jansen", iban="NL69INGB0123456789"),
           files.Tx(75, text="Factuur TEST-2026-000003", name="Fatima el Amrani", iban="NL44RABO0123456789")]
    entry = files.batch(*txs)

    parsed = camt.parse(files.statement(entry)).transactions

    assert [t.amount_cents for t in parsed] == [1999, 4250, 75]
    assert [t.reference for t in parsed] == [tx.reference for tx in txs]
    assert len({t.reference for t in parsed} | {entry.reference}) == 4
    assert [t.payer_name for t in parsed] == ["Sanne de Vries", "Jan Jansen", "Fatima el Amrani"]
    assert [t.structured_reference for t in parsed] == [RF, None, None]


def test_a_batch_whose_transactions_carry_no_reference_of_their_own_numbers_them_under_the_entry():
    entry = files.batch(files.Tx(100, reference=None), files.Tx(200, reference=None))

    parsed = camt.parse(files.statement(entry)).transactions

    assert [t.reference for t in parsed] == [f"{entry.reference}/0", f"{entry.reference}/1"]
    assert [t.amount_cents for t in parsed] == [100, 200]


def test_a_pending_entry_is_not_money_yet_and_is_skipped():
    booked = files.payment(1999, rf=RF)
    data = files.statement(files.payment(5000, text="nog onderweg", status="PDNG"), booked)

    assert [t.reference for t in camt.parse(data).transactions] == [booked.transactions[0].reference]


def test_a_pending_entry_in_the_newer_layout_is_skipped_too():
    data = files.statement(files.payment(5000, status="PDNG"), version=8)

    assert camt.parse(data).transactions == []


def test_a_debit_is_money_out_with_a_negative_amount():
    transaction = only(files.statement(files.debit(12_500)))

    assert transaction.amount_cents == -12_500
    assert transaction.payer_name == "Fietsenwinkel Utrecht"  # the party paid
    assert transaction.is_return is False


def test_a_returned_direct_debit_is_flagged_with_its_reason():
    transaction = only(files.statement(files.returned(1999, rf=RF, reason="AM04")))

    assert (transaction.amount_cents, transaction.is_return, transaction.return_reason) == (-1999, True, "AM04")
    assert transaction.structured_reference == RF


def test_a_reversal_indicator_marks_a_return_without_return_information():
    entry = files.debit(1999, text=f"Storno {RF}", reversal=True)

    transaction = only(files.statement(entry))

    assert (transaction.is_return, transaction.return_reason) == (True, None)


# --- files that are refused ---------------------------------------------------------------

def test_malformed_xml_is_refused():
    data = files.statement(files.payment(1999, rf=RF)).replace(b"</Ntry>", b"</Entry>", 1)

    with pytest.raises(StatementError, match="Not well-formed XML"):
        camt.parse(data)


def test_a_truncated_file_is_refused():
    data = files.statement(files.payment(1999, rf=RF), files.payment(2500, text="TEST-2026-000002"))

    with pytest.raises(StatementError, match="Not well-formed XML"):
        camt.parse(data[: len(data) * 2 // 3])


def test_an_empty_file_is_refused():
    with pytest.raises(StatementError):
        camt.parse(b"")


@pytest.mark.parametrize("data", [files.as_camt054(files.statement(files.payment(1999, rf=RF))), files.pain_001()],
                         ids=["camt.054", "pain.001"])
def test_another_iso_20022_message_is_not_a_statement(data):
    with pytest.raises(StatementError, match="Not a CAMT.053 statement"):
        camt.parse(data)


@pytest.mark.parametrize("amount", ["19.999", "-19.99", "0.00", "0", "19,99", "", "EUR 19.99",
                                    "NaN",
                                    "Infinity"])
def test_an_amount_that_is_not_a_positive_number_of_cents_is_refused(amount):
    data = files.statement(files.payment(1999, rf=RF), files.payment(amount, rf=RF))

    with pytest.raises(StatementError, match="amount"):
        camt.parse(data)


def test_an_entry_without_a_bank_reference_is_refused():
    entry = files.payment(1999, rf=RF, reference=None, entry_reference=None)
    data = files.statement(files.payment(2500, rf=RF), entry)
    assert b"NtryRef" in data  # the other entry has one

    with pytest.raises(StatementError, match="reference"):
        camt.parse(data)


def test_an_entry_without_a_booking_date_is_refused():
    data = files.statement(files.payment(1999, rf=RF)).replace(b"<Dt>2026-11-23</Dt>\n        </BookgDt>",
                                                                 b"<Dt>23-11-2026</Dt>\n        </BookgDt>")
    assert b"23-11-2026" in data

    with pytest.raises(StatementError, match="booking date"):
        camt.parse(data)
