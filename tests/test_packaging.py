"""A wheel (`pip install .`, a Docker image) carries everything the service reads at run time,
and bnpl runs from it without the checkout around it.

The repository keeps templates/ at its top level; the wheel carries it as bnpl/templates
(setup.py, setup.cfg), and bnpl/resources.py is the one place that knows which of the two to
read. The wheel is built as an operator's `pip install .` builds it, from a copy of the
checkout (an in-tree build would leave build/ and an egg-info behind), with this environment's
setuptools and no network, and installed into a folder of its own.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bnpl"
# What the build reads: setup.cfg's long_description is README.md.
SOURCES = ("bnpl", "templates", "setup.py", "setup.cfg", "pyproject.toml", "README.md")

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="what a wheel carries does not depend on the database: "
                                                    "the SQLite run checks it")


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--no-deps", "--no-index", "--quiet"],
                          cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("checkout")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-build-isolation", "--wheel-dir", str(out), str(source), cwd=out)
    (built,) = out.glob("bnpl-*.whl")
    return built


def test_the_wheel_carries_the_templates_migrations_and_catalogues(wheel):
    carried = set(zipfile.ZipFile(wheel).namelist())

    def files(folder: Path, pattern: str = "*") -> set[str]:
        return {path.relative_to(folder).as_posix() for path in folder.rglob(pattern)
                if path.is_file() and "__pycache__" not in path.parts}

    templates = files(ROOT / "templates")
    assert {"pdf/invoice.html", "pdf/style.css", "pdf/fonts/Inter-Regular-latin.otf", "pdf/fonts/OFL.txt",
            "portal/static/portal.css", "staff/static/staff.css", "email/invoice_issued.txt"} <= templates
    assert {f"bnpl/templates/{name}" for name in templates} - carried == set()
    migrations = files(PACKAGE / "migrations", "*.py") | {"script.py.mako"}
    assert "versions/0001_core.py" in migrations
    assert {f"bnpl/migrations/{name}" for name in migrations} - carried == set()
    catalogues = files(PACKAGE / "translations", "*.po")
    assert {"nl/LC_MESSAGES/messages.po", "de/LC_MESSAGES/messages.po", "nl/LC_MESSAGES/staff.po"} <= catalogues
    assert {f"bnpl/translations/{name}" for name in catalogues} - carried == set()
    # Nothing lands beside bnpl in site-packages (a top-level "templates" would be anyone's).
    assert {name.split("/")[0] for name in carried} == {"bnpl", wheel.name.split("-py3")[0] + ".dist-info"}


# Run with the installed bnpl first on the path; the checkout is there only for the test's own
# sample invoice (tests/), and the script checks that bnpl itself came from the installed copy.
INSTALLED = """
import sys
from pathlib import Path

import bnpl
from bnpl.resources import TEMPLATES

target, pdf = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(bnpl.__file__).resolve().is_relative_to(target), bnpl.__file__
assert TEMPLATES == target / "bnpl" / "templates", TEMPLATES

from bnpl.app import create_app
from bnpl.documents.pdf import render_pdf
from tests.documents.test_einvoice import view

client = create_app().test_client()
staff = client.get("/staff/login", headers={"Accept-Language": "nl"})
assert staff.status_code == 200 and "Wachtwoord" in staff.text, staff.text
portal = client.get("/portal/sign-in", headers={"Accept-Language": "de"})
assert portal.status_code == 200 and "Anmelden" in portal.text, portal.text
assert client.get("/portal/static/portal.css").status_code == 200
pdf.write_bytes(render_pdf(view(language="nl", is_business=False)))
"""


def test_an_installed_wheel_migrates_serves_pages_and_renders_a_dutch_invoice(wheel, tmp_path):
    target = tmp_path / "site-packages"
    _pip("install", "--target", str(target), str(wheel), cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing is found by accident
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)]),
           "BNPL_INSTANCE_PATH": str(tmp_path / "instance"),
           "BNPL_DATABASE_URL": f"sqlite:///{tmp_path / 'bnpl.sqlite3'}", "BNPL_SECRET_KEY": "test-secret"}

    migrated = subprocess.run([str(target / "bin" / "bnpl"), "init-db"], cwd=elsewhere, env=env,
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    pdf = tmp_path / "invoice.pdf"
    ran = subprocess.run([sys.executable, "-c", INSTALLED, str(target), str(pdf)], cwd=elsewhere, env=env,
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr

    reader = PdfReader(pdf)
    assert "Factuur" in reader.pages[0].extract_text()
    fonts = {font.get_object()["/BaseFont"].split("+")[-1] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts == {"Inter", "Inter-Semi-Bold"}


def test_no_module_reaches_outside_the_package_for_its_files():
    """A path climbing out of bnpl/ from a module's own place (parents[2], .parent.parent)
    finds the checkout and nothing in an installed wheel; bnpl/resources.py is the one place
    that knows both shapes."""
    climbing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "resources.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            climbs = (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                      and node.value.attr == "parents") or \
                     (isinstance(node, ast.Attribute) and node.attr == "parent"
                      and isinstance(node.value, ast.Attribute) and node.value.attr == "parent")
            if climbs and "__file__" in ast.unparse(node):
                climbing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert climbing == []
