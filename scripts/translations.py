"""Refresh the message catalogues: extract from code and templates, merge into the languages.

    .venv/bin/python scripts/translations.py

Two catalogues: ``messages`` (what consumers and webshops read: nl and de, from babel.cfg) and
``staff`` (the back office: nl only, from babel-staff.cfg). Existing translations are kept; new
messages appear untranslated (empty msgstr) and `tests/test_i18n.py` fails until someone
translates them. A service's sentences made with ``bnpl.i18n.said("...")`` are extracted too.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "bnpl" / "translations"
BIN = Path(sys.executable).parent
DOMAINS = {"messages": ("babel.cfg", ("nl", "de")), "staff": ("babel-staff.cfg", ("nl",))}

for domain, (mapping, languages) in DOMAINS.items():
    template = CATALOGUES / f"{domain}.pot"
    subprocess.run([BIN / "pybabel", "extract", "-F", mapping, "-o", template, "-k", "said",
                    "--no-location", "--omit-header", "--sort-output", "."], cwd=ROOT, check=True)
    for language in languages:
        po = CATALOGUES / language / "LC_MESSAGES" / f"{domain}.po"
        command = "update" if po.exists() else "init"
        subprocess.run([BIN / "pybabel", command, "-i", template, "-d", CATALOGUES, "-D", domain,
                        "-l", language, "--no-wrap",
                        *(["--omit-header", "--no-fuzzy-matching"] if command == "update" else [])],
                       cwd=ROOT, check=True)
