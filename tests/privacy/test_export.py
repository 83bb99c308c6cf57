"""`bnpl consumers export EMAIL -o FILE`: everything we hold about the person behind an
e-mail address, at every webshop: a zip with data.json and the PDFs."""
from __future__ import annotations

import json
import zipfile

from click.testing import CliRunner

from bnpl.cli import main
from bnpl.privacy import service as privacy
from bnpl.uow import unit_of_work
from tests.privacy.conftest import EMAIL, IBAN, NAME, PHONE


def test_the_export_holds_every_purchase_at_every_webshop_with_its_pdf(purchases, services, tmp_path, monkeypatch):
    monkeypatch.setenv("BNPL_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("BNPL_SECRET_KEY", "test-secret")
    out = tmp_path / "sanne.zip"

    result = CliRunner().invoke(main, ["consumers", "export", EMAIL.upper(), "-o", str(out)])

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read("data.json"))
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    shops = {order["webshop"] for order in data["orders"]}
    assert shops == {"Fietsenwinkel Utrecht", "Boekhandel Groningen"}
    assert {o["consumer"]["name"] for o in data["orders"]} == {NAME}
    assert {o["consumer"]["phone"] for o in data["orders"]} == {PHONE}
    invoices = {i["number"]: i for i in data["invoices"]}
    assert set(invoices) == {purchases["paid"]["number"], purchases["open"]["number"]}
    assert {i["owed"] for i in invoices.values()} == {0, purchases["open"]["total"]}
    assert [p["payer_iban"] for p in data["payments"]] == [IBAN]
    assert {f"invoices/{number}.pdf" for number in invoices} <= set(pdfs)


def test_an_address_we_do_not_know_exports_nothing_and_says_so(services):
    with unit_of_work(services) as uow:
        assert privacy.export(uow, email="nobody@example.nl").data["orders"] == []
