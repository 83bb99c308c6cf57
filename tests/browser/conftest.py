"""Browser tests: the app served on loopback from a thread, driven by Debian's Chromium through
Playwright.

Playwright never downloads a browser here: it launches the system's ``chromium``, which
scripts/system-deps installs (``make test`` runs it). Without one the browser tests are skipped
on a developer's machine and fail in CI (CI set), so a missing install step can't pass unseen.

Each test can save screenshots with ``shot(page, "step")``: test-artifacts/screenshots/<test>-<step>.png
at the repository root, for a person to look at the pages after a run.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000  # a page of ours answers in well under a second; fail fast, not after 30 s


def system_chromium() -> str | None:
    """Debian's chromium launcher, or None."""
    found = shutil.which("chromium")
    if found:
        return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if os.access(fallback, os.X_OK) else None


def _unavailable(message: str):
    """Fail in CI (a missing install step must show), skip elsewhere."""
    message += " Install it with scripts/system-deps (Debian: apt-get install chromium)."
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="package")
def chromium():
    """One headless Chromium for the browser tests (starting one takes seconds), closed after
    them, so Playwright's event loop is gone before any other test runs; each test gets its own
    context, so no cookie or storage carries over between tests."""
    executable = system_chromium()
    if executable is None:
        _unavailable("The browser tests need Debian's chromium, and there is none on PATH or at /usr/bin/chromium.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The browser tests need the playwright package (pip install -e '.[test]').")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            # root (CI, containers) can't use Chromium's sandbox; anyone else keeps it
            args=["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app (its services, database and FixedClock) served on 127.0.0.1 at a free port,
    from a background thread; the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def browser_context(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                   locale="en-GB", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves a full-page screenshot as <test>-<step>.png; its path."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def save(page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
