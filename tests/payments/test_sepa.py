"""SEPA direct debit and refunds: mandates, the pain.008 and pain.001 files (valid against
their XSD, which sepaxml checks and these tests check again), never collecting twice, and
the statement closing the loop (a collection booked, a return reopening, a refund paid)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sepaxml
from lxml import etree

from bnpl.payments import service
from bnpl.payments.models import DirectDebit, Refund
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories
from tests.payments.flows import ship
from tests.payments import camt_files as files

SCHEMAS = Path(sepaxml.__file__).parent / "schemas"
COLLECT_ON = date(2026, 12, 31)  # after the invoices' due dates (9 December)


def mandate(services, api, invoice, iban="NL91 ABNA 0417 1643 00", signed_on=date(2026, 11, 23)):
    with unit_of_work(services) as uow:
        return service.create_mandate(uow, scope=Scope(api.merchant_id, False), invoice_id=invoice["id"],
                                      account_holder="Sanne de Vries", iban=iban, signed_on=signed_on)


def export_debits(services, collection_date=COLLECT_ON):
    with unit_of_work(services) as uow:
        return service.export_debits(uow, collection_date=collection_date, livemode=False)


def import_statement(services, *entries):
    with unit_of_work(services) as uow:
        return service.import_statement(uow, data=files.statement(*entries)).counts


def valid(xml: bytes, schema: str) -> etree._Element:
    document = etree.fromstring(xml)
    etree.XMLSchema(etree.parse(str(SCHEMAS / f"{schema}.xsd"))).assertValid(document)
    return document


def texts(document, tag: str) -> list[str]:
    return [e.text for e in document.iter(f"{{*}}{tag}")]


def test_a_mandate_checks_the_iban_and_derives_the_bic(api, services):
    made = mandate(services, api, ship(api))
    assert (made.iban, made.bic, made.status) == ("NL91ABNA0417164300", "ABNANL2A", "active")
    assert made.reference.startswith("BNPL-") and len(made.reference) <= 35


@pytest.mark.parametrize("iban, says", [("NL91ABNA0417164301", "Not a valid IBAN"), ("XX00", "Not a valid IBAN")])
def test_a_mandate_with_a_wrong_iban_is_refused(api, services, iban, says):
    from bnpl.errors import InvalidInput
    with pytest.raises(InvalidInput) as refused:
        mandate(services, api, ship(api), iban=iban)
    assert says in refused.value.extra["errors"]["iban"][0]


def test_a_mandate_for_a_closed_invoice_is_refused(api, services):
    from bnpl.errors import Conflict
    invoice = ship(api)
    import_statement(services, files.payment(invoice["total"], rf=invoice["payment_reference"]))
    with pytest.raises(Conflict):
        mandate(services, api, invoice)


def test_due_open_invoices_with_a_mandate_are_collected_once_in_a_valid_pain_008(api, services):
    invoice = ship(api, lines=factories.three_lines())
    mandate(services, api, invoice)

    exported = export_debits(services)
    document = valid(exported.xml, "pain.008.001.02")

    assert (exported.count, exported.total_cents) == (1, invoice["total"])
    assert texts(document, "InstdAmt") == [f"{invoice['total'] / 100:.2f}"]
    assert texts(document, "Ustrd") == [invoice["payment_reference"]]
    assert texts(document, "SeqTp") == ["RCUR"]
    assert export_debits(services) is None  # never collected twice


def test_an_invoice_not_yet_due_or_paused_is_not_collected(api, services):
    due_later, paused = ship(api), ship(api, lines=[factories.line("A"), factories.line("B")])
    api.post(f"/orders/{paused['order_id']}/returns",
             json={"status": "announced", "lines": [{"reference": "A", "quantity": 1}]})
    mandate(services, api, due_later)
    assert export_debits(services, collection_date=date(2026, 12, 1)) is None  # both due on 9 December
    exported = export_debits(services)
    assert exported.count == 1  # only the invoice that is not paused
    with unit_of_work(services) as uow:
        assert [d.invoice_id for d in uow.session.query(DirectDebit)] == [due_later["id"]]


def test_the_collection_on_the_statement_pays_the_invoice_and_a_return_reopens_it(api, services):
    invoice = ship(api)
    mandate(services, api, invoice)
    export_debits(services)
    with unit_of_work(services) as uow:
        debit = uow.session.query(DirectDebit).one()
    collection = files.collected(invoice["total"], rf=invoice["payment_reference"])
    collection.transactions[0].end_to_end = debit.end_to_end_id

    assert import_statement(services, collection)["booked"] == 1
    paid = api.get(f"/invoices/{invoice['id']}").json
    assert (paid["status"], paid["payments"][0]["method"]) == ("paid", "direct_debit")

    back = files.returned(invoice["total"], rf=invoice["payment_reference"])
    back.transactions[0].end_to_end = debit.end_to_end_id
    assert import_statement(services, back)["booked"] == 1
    assert api.get(f"/invoices/{invoice['id']}").json["status"] == "open"
    with unit_of_work(services) as uow:
        assert uow.session.query(DirectDebit).one().status == "returned"


def test_an_overpayment_is_refunded_by_a_valid_pain_001_to_the_paying_account_and_paid_by_the_statement(api, services):
    invoice = ship(api)
    import_statement(services, files.payment(invoice["total"] + 500, rf=invoice["payment_reference"]))
    assert api.get(f"/invoices/{invoice['id']}").json["refund_owed"] == 500

    with unit_of_work(services) as uow:
        exported = service.export_refunds(uow, execution_date=date(2026, 12, 1), livemode=False)
    document = valid(exported.xml, "pain.001.001.03")
    assert (exported.count, exported.total_cents) == (1, 500)
    assert texts(document, "IBAN")[-1] == files.PAYER_IBAN
    with unit_of_work(services) as uow:  # submitted: not refunded a second time
        assert service.export_refunds(uow, execution_date=date(2026, 12, 1), livemode=False) is None
        refund = uow.session.query(Refund).one()

    out = files.debit(500, name=files.PAYER_NAME, iban=files.PAYER_IBAN)
    out.transactions[0].end_to_end = refund.end_to_end_id
    assert import_statement(services, out)["booked"] == 1
    after = api.get(f"/invoices/{invoice['id']}").json
    assert (after["refund_owed"], after["balance"], after["status"]) == (0, 0, "paid")
    with unit_of_work(services) as uow:
        assert uow.session.query(Refund).one().status == "paid"


def test_the_cli_writes_the_debit_file_and_says_what_it_holds(api, services, settings, tmp_path):
    from click.testing import CliRunner
    from bnpl.cli import main

    invoice = ship(api)
    mandate(services, api, invoice)
    env = {"BNPL_DATABASE_URL": settings.database_url, "BNPL_SECRET_KEY": "test",
           "BNPL_INSTANCE_PATH": str(settings.instance_path)}
    target = tmp_path / "debits.xml"
    result = CliRunner().invoke(main, ["sepa", "export-debits", "--test", "--collection-date", "2026-12-31",
                                       "--output", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert "1 debit(s) to collect on 2026-12-31" in result.output
    valid(target.read_bytes(), "pain.008.001.02")
    again = CliRunner().invoke(main, ["sepa", "export-debits", "--test", "--collection-date", "2026-12-31"], env=env)
    assert "Nothing to do" in again.output
