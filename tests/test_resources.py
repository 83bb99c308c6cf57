"""The templates folder: inside the package when installed from a wheel, beside it in a checkout,
and never some other project's folder beside an installed bnpl."""
from pathlib import Path

import pytest

from bnpl import resources


def test_this_run_reads_the_checkouts_templates():
    assert resources.TEMPLATES == Path(__file__).resolve().parents[1] / "templates"
    assert (resources.TEMPLATES / "pdf" / "invoice.html").is_file()


def test_an_installed_wheel_reads_the_templates_inside_the_package(tmp_path):
    (tmp_path / "bnpl" / "templates").mkdir(parents=True)
    assert resources.templates_folder(tmp_path / "bnpl") == tmp_path / "bnpl" / "templates"


def test_a_checkout_reads_the_templates_beside_the_package(tmp_path):
    (tmp_path / "bnpl").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "setup.cfg").touch()
    assert resources.templates_folder(tmp_path / "bnpl") == tmp_path / "templates"


def test_a_wheel_without_templates_says_so_instead_of_reading_a_templates_folder_in_site_packages(tmp_path):
    (tmp_path / "bnpl").mkdir()
    (tmp_path / "templates").mkdir()  # another project's, in site-packages
    with pytest.raises(RuntimeError, match="the wheel was built without them"):
        resources.templates_folder(tmp_path / "bnpl")
