"""Where the templates are: the one place that knows, in a checkout and in an installed wheel.

The repository keeps templates/ at its top level, beside bnpl/. An installed bnpl has no
checkout around it, so the wheel carries the same folder inside the package, as
bnpl/templates (setup.py and setup.cfg map it there). Pages, e-mails and PDFs take their
templates, stylesheets and fonts from ``TEMPLATES``. The migrations and translations live
inside bnpl/ in both shapes and are found beside the modules that read them.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def templates_folder(package: Path = _PACKAGE) -> Path:
    installed = package / "templates"
    if installed.is_dir():
        return installed
    checkout = package.parent
    # Only beside setup.cfg is it our checkout: from an installed bnpl, package.parent is
    # site-packages, where a folder called templates would be another project's.
    if (checkout / "setup.cfg").is_file() and (checkout / "templates").is_dir():
        return checkout / "templates"
    raise RuntimeError(f"bnpl's templates are missing: not in {installed} (an installed wheel) "
                       f"nor in {checkout / 'templates'} (a checkout); the wheel was built without them")


TEMPLATES = templates_folder()
