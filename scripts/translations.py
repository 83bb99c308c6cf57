"""Refresh the message catalogues: extract from code and templates, merge into nl and de.

    .venv/bin/python scripts/translations.py

Existing translations are kept; new messages appear untranslated (empty msgstr) and
`tests/test_i18n.py` fails until someone translates them.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "bnpl" / "translations"
BIN = Path(sys.executable).parent

subprocess.run([BIN / "pybabel", "extract", "-F", "babel.cfg", "-o", CATALOGUES / "messages.pot",
                "--no-location", "--omit-header", "--sort-output", "."], cwd=ROOT, check=True)
for language in ("nl", "de"):
    po = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    command = "update" if po.exists() else "init"
    subprocess.run([BIN / "pybabel", command, "-i", CATALOGUES / "messages.pot", "-d", CATALOGUES,
                    "-l", language, "--no-wrap", *(["--omit-header", "--no-fuzzy-matching"] if command == "update" else [])],
                   cwd=ROOT, check=True)
