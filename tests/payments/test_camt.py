"""Reading CAMT.053 statements and CAMT.054 notifications (bnpl/payments/camt.py): what each
booking becomes, which single entries are refused (the others still read), and which files
are refused whole."""
from __future__ import annotations

import io
from datetime import date

import pytest
from lxml import etree

from bnpl.payments import camt
from bnpl.payments.camt import StatementError
from tests.payments import camt_files as files

RF = "RF19TEST2026000001"


def transactions(data: bytes) -> list[camt.Transaction]:
    return [t for statement in camt.parse(data) for t in statement.transactions]


def only(data: bytes) -> camt.Transaction:
    [transaction] = transactions(data)
    return transaction


# --- what a statement holds ---------------------------------------------------------------

def test_a_credit_transfer_with_a_structured_reference():
    entry = files.payment(1999, rf=RF, booked_on=date(2026, 11, 20))
    data = files.statement(entry, statement_id="STMT-2026-321")

    [parsed] = camt.parse(data)

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

    parsed = transactions(files.statement(entry))

    assert [t.amount_cents for t in parsed] == [1999, 4250, 75]
    assert [t.reference for t in parsed] == [tx.reference for tx in txs]
    assert len({t.reference for t in parsed} | {entry.reference}) == 4
    assert [t.payer_name for t in parsed] == ["Sanne de Vries", "Jan Jansen", "Fatima el Amrani"]
    assert [t.structured_reference for t in parsed] == [RF, None, None]


def test_a_batch_whose_transactions_carry_no_reference_of_their_own_numbers_them_under_the_entry():
    entry = files.batch(files.Tx(100, reference=None), files.Tx(200, reference=None))

    parsed = transactions(files.statement(entry))

    assert [t.reference for t in parsed] == [f"{entry.reference}/0", f"{entry.reference}/1"]
    assert [t.amount_cents for t in parsed] == [100, 200]


def test_a_pending_entry_is_read_as_not_money_yet():
    booked = files.payment(1999, rf=RF)
    data = files.statement(files.payment(5000, text="nog onderweg", status="PDNG"), booked)

    assert [(t.amount_cents, t.pending) for t in transactions(data)] == [(5000, True), (1999, False)]


def test_a_pending_entry_in_the_newer_layout_is_read_as_pending_too():
    data = files.statement(files.payment(5000, status="PDNG"), version=8)

    assert only(data).pending is True


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


@pytest.mark.parametrize("broken", [
    lambda data: data.replace(b"</Ntry>", b"</Entry>", 1),  # malformed
    lambda data: data[: data.rindex(b"</Ntry>")],  # cut off after its first entry
    lambda data: b"",
])
def test_the_check_before_booking_refuses_what_the_parser_refuses(broken):
    data = broken(files.statement(files.payment(1999, rf=RF), files.payment(2500, text="TEST-2026-000002")))

    with pytest.raises(StatementError, match="Not well-formed XML"):
        camt.check_well_formed(data)
    with pytest.raises(StatementError):
        camt.parse(data)


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><a>x</a>",  # a byte order mark
    b"\n  <a>x</a>",  # whitespace before the root, no declaration
    "<?xml version='1.0' encoding='ISO-8859-1'?><a>\u00e9</a>".encode("latin-1"),
    b"<a>x</a>\n\n",
    b"\n<?xml version='1.0' encoding='UTF-8'?><a>x</a>",  # the declaration not first
    b"<a>&undefined;</a>",
    b"<a>x</a>trailing",
    b"<a><x:b/></a>",  # a prefix never declared
    b"<a x:c='1'/>",
    b"<a xmlns:p='u' xmlns:q='u' p:c='1' q:c='2'/>",  # one attribute twice, under two prefixes
    b"<a xmlns:p=''/>",
    "<?xml version='1.0' encoding='Shift_JIS'?><a>\u5186</a>".encode("shift_jis"),  # a multi-byte encoding
])
def test_the_check_before_booking_refuses_exactly_what_lxml_refuses(data):
    def refused(check) -> bool:
        try:
            check()
        except (StatementError, etree.XMLSyntaxError):
            return True
        return False

    by_lxml = refused(lambda: list(etree.iterparse(io.BytesIO(data), resolve_entities=False, no_network=True)))
    assert refused(lambda: camt.check_well_formed(data)) == by_lxml


def test_an_account_currency_left_blank_is_taken_from_the_first_entry():
    data = files.statement(files.payment(1999, rf=RF)).replace(b"<Ccy>EUR</Ccy>", b"<Ccy> </Ccy>", 1)
    assert b"<Ccy> </Ccy>" in data

    [statement] = camt.parse(data)

    assert statement.currency == "EUR"


def test_the_check_before_booking_lets_a_well_formed_statement_through():
    camt.check_well_formed(files.statement(files.payment(1999, rf=RF)))


def test_an_empty_file_is_refused():
    with pytest.raises(StatementError):
        camt.parse(b"")


def test_another_iso_20022_message_is_not_a_statement():
    with pytest.raises(StatementError, match="Not a CAMT.053 statement or CAMT.054 notification"):
        camt.parse(files.pain_001())


# --- single entries that cannot be read: refused, the others read --------------------------

@pytest.mark.parametrize("amount", ["19.999", "-19.99", "0.00", "0", "19,99", "", "EUR 19.99",
                                    "NaN",
                                    "Infinity", "1E+30", "99999999999999999999999999999.00", "10000000.00"])
def test_an_amount_that_is_not_a_positive_number_of_cents_is_refused_and_the_other_entry_read(amount):
    data = files.statement(files.payment(1999, rf=RF), files.payment(amount, rf=RF))

    good, bad = transactions(data)

    assert (good.amount_cents, good.problem) == (1999, None)
    assert "amount" in bad.problem


def test_an_entry_without_a_booking_date_is_refused_and_the_other_entry_read():
    data = files.statement(files.payment(1999, rf=RF), files.payment(2500, rf=RF, booked_on=date(2026, 11, 24)))
    data = data.replace(b"<Dt>2026-11-23</Dt>\n        </BookgDt>", b"<Dt>23-11-2026</Dt>\n        </BookgDt>")
    assert b"23-11-2026" in data

    bad, good = transactions(data)

    assert "booking date" in bad.problem and good.problem is None


# --- what banks really send --------------------------------------------------------------

def test_entries_without_any_bank_reference_are_read_each_with_its_own_fingerprint():
    data = files.statement(files.payment(2500, rf=RF, reference=None, entry_reference=None),
                           files.payment(2500, rf=RF, reference=None, entry_reference=None),
                           files.payment(1999, text="Factuur TEST-2026-000002", reference=None, entry_reference=None))
    assert b"NtryRef" not in data and b"AcctSvcrRef" not in data

    read = transactions(data)

    assert [t.amount_cents for t in read] == [2500, 2500, 1999]
    assert len({t.key for t in read}) == 3  # two identical payments on one statement stay two


def test_every_statement_of_a_file_is_read():
    first = files.statement(files.payment(1000, rf=RF), statement_id="DAY-1")
    second = files.statement(files.payment(2000, rf=RF), files.payment(3000, rf=RF), statement_id="DAY-2")

    read = camt.parse(files.combined(first, second))

    assert [(s.id, [t.amount_cents for t in s.transactions]) for s in read] == [
        ("DAY-1", [1000]), ("DAY-2", [2000, 3000])]


def test_a_camt054_notification_is_read_like_a_statement():
    [notification] = camt.parse(files.as_camt054(files.statement(files.payment(1999, rf=RF), statement_id="NTF-1")))

    assert (notification.id, notification.format) == ("NTF-1", "camt.054")
    assert [(t.amount_cents, t.structured_reference) for t in notification.transactions] == [(1999, RF)]


def test_a_batch_whose_parts_carry_no_amount_is_one_transaction_of_the_entry_amount():
    data = files.statement(files.batch(files.Tx(1000, text="Factuur TEST-2026-000001"),
                                       files.Tx(500, text="Factuur TEST-2026-000002")))
    data = data.replace(b"<AmtDtls>", b"<!--").replace(b"</AmtDtls>", b"-->")

    transaction = only(data)

    assert transaction.amount_cents == 1500
    assert transaction.text == "Factuur TEST-2026-000001 Factuur TEST-2026-000002"


def test_an_entry_in_another_currency_is_read_with_its_currency():
    transaction = only(files.statement(files.payment(1999, rf=RF, currency="USD")))

    assert (transaction.amount_cents, transaction.currency) == (1999, "USD")
