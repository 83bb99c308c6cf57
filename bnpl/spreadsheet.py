"""CSV that is safe to open in a spreadsheet: every CSV the product writes goes through here.

A spreadsheet runs a cell that starts with ``= + - @`` (or a tab or carriage return before
one) as a formula: a consumer who names themselves ``=HYPERLINK(…)`` would otherwise reach
the collection agency's or a webshop's spreadsheet (CSV injection). As OWASP recommends,
such a cell is written with a leading apostrophe, which shows it as text. A plain number
(``-5``, ``-0.05``) cannot be a formula and stays a number.
"""
from __future__ import annotations

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def cell(value):
    """The value as it may be written: text that a spreadsheet would run gets an apostrophe."""
    if not isinstance(value, str) or PLAIN_NUMBER.match(value):
        return value
    if value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class _SafeDictWriter(csv.DictWriter):
    def writerow(self, rowdict):
        return super().writerow({key: cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


def writer(out, **options) -> _SafeWriter:
    """csv.writer, every cell made safe."""
    return _SafeWriter(csv.writer(out, **options))


def dict_writer(out, fieldnames, **options) -> csv.DictWriter:
    """csv.DictWriter, every cell made safe (the header is ours)."""
    return _SafeDictWriter(out, fieldnames=fieldnames, **options)
