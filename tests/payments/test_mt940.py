"""Reading MT940 statements (bnpl/payments/mt940.py, with the mt-940 library): one statement
per :20: block, a transaction per :61: line described by its :86:, the counterparty and the
remittance taken from the SEPA subfields Dutch banks write there."""
from __future__ import annotations

from datetime import date

import pytest

from bnpl.payments import mt940, service
from bnpl.payments.statements import StatementError
from bnpl.uow import unit_of_work
from tests.payments.flows import invoice, ship


def mt940_file(*lines: str, statement: str = "STMT-1", account: str = "NL91ABNA0417164300") -> bytes:
    head = [f":20:{statement}", f":25:{account}", ":28C:00001", ":60F:C261120EUR1000,00"]
    return ("\r\n".join(head + list(lines) + [":62F:C261123EUR1000,00", "-"]) + "\r\n").encode()


def test_a_rabobank_credit_with_sepa_subfields_names_payer_account_and_remittance():
    data = mt940_file(":61:2611231123C42,50N541EREF//CH123",
                      ":86:/EREF/E2E-0001/ORDP//NAME/SANNE DE VRIES/ADDR/UTRECHT/IBAN/NL20INGB0001234567",
                      "/REMI/Factuur TEST-2026-000001 bedankt")

    [statement] = mt940.parse(data)

    [t] = statement.transactions
    assert (statement.id, statement.account_iban, statement.format) == ("STMT-1", "NL91ABNA0417164300", "mt940")
    assert (t.amount_cents, t.currency, t.booked_on) == (4250, "EUR", date(2026, 11, 23))
    assert (t.payer_name, t.payer_iban, t.text) == ("SANNE DE VRIES", "NL20INGB0001234567",
                                                   "Factuur TEST-2026-000001 bedankt")
    assert t.end_to_end_id == "E2E-0001" and t.key.startswith("fp:")


def test_an_ing_counterparty_block_gives_the_payer():
    data = mt940_file(":61:2611231123C10,00NTRFNONREF",
                      ":86:/CNTP/NL20INGB0001234567/INGBNL2A/J JANSEN/UTRECHT/REMI/USTD//RF18539007547034/")

    [t] = mt940.parse(data)[0].transactions

    assert (t.payer_iban, t.payer_name) == ("NL20INGB0001234567", "J JANSEN")
    assert "RF18539007547034" in t.text


def test_a_debit_is_money_out_and_a_reversed_credit_a_return():
    data = mt940_file(":61:2611231123D12,00NTRFNONREF", ":86:Uitbetaling",
                      ":61:2611231123RC5,00NTRFNONREF", ":86:/RTRN/AM04/REMI/Storno")

    out, back = mt940.parse(data)[0].transactions

    assert (out.amount_cents, out.is_return) == (-1200, False)
    assert (back.is_return, back.return_reason) == (True, "AM04")


def test_every_statement_of_a_file_is_read():
    data = mt940_file(":61:2611231123C1,00NTRFNONREF", ":86:een", statement="DAY-1") + mt940_file(
        ":61:2611241124C2,00NTRFNONREF", ":86:twee", statement="DAY-2")

    assert [(s.id, [t.amount_cents for t in s.transactions]) for s in mt940.parse(data)] == [
        ("DAY-1", [100]), ("DAY-2", [200])]


def test_a_file_without_a_statement_is_refused():
    with pytest.raises(StatementError):
        mt940.parse(b"hello bank")


def test_an_mt940_payment_books_its_invoice(api, services):
    inv = ship(api)
    amount = f"{inv['total'] // 100},{inv['total'] % 100:02d}"
    data = mt940_file(f":61:2611231123C{amount}NTRFNONREF",
                      f":86:/NAME/SANNE DE VRIES/IBAN/NL20INGB0001234567/REMI/{inv['payment_reference']}")

    with unit_of_work(services) as uow:
        summary = service.import_statement(uow, data=data)

    assert dict(+summary.counts) == {"booked": 1}
    assert invoice(api, inv["id"])["status"] == "paid"
