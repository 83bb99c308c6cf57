"""Issue 21: /docs in Chromium with nothing but this server reachable shows the operations list.
Screenshot: test-artifacts/screenshots/test_the_api_reference_works_offline-operations.png."""
from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # then the chromium fixture fails these tests in CI and skips them elsewhere
    expect = None


def test_the_api_reference_works_offline(page, shot, live_server):
    elsewhere = []

    def only_this_server(route):
        if route.request.url.startswith(live_server):
            return route.continue_()
        elsewhere.append(route.request.url)
        return route.abort("internetdisconnected")

    page.context.route("**/*", only_this_server)
    page.goto("/docs")

    expect(page.locator(".opblock-summary-path", has_text="/api/v1/orders").first).to_be_visible()
    assert page.locator(".opblock").count() > 20  # every operation, not a stub
    shot(page, "operations")
    assert elsewhere == []
