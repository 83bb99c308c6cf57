"""The API reference at /docs works without internet: its viewer comes from files installed with
the package (flask-swagger-ui's Swagger UI dist), and no page names another host."""
from __future__ import annotations

import re

from tests.payments.flows import ship
from tests.portal.conftest import Browser as PortalBrowser, sign_in
from tests.staff.conftest import StaffBrowser, make_member

EXTERNAL = re.compile(r"""(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost)(?::\d+)?""")
# What a page may name without loading it: the base URL's host, and XML namespaces (SVG).
OUR_HOSTS = {"127.0.0.1", "localhost", "www.w3.org"}


def html_pages(app) -> list[str]:
    """Every page that needs no id in its address and answers GET."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static")


def test_docs_loads_the_viewer_and_the_document_from_this_server(app):
    client = app.test_client()
    page = client.get("/docs")

    assert page.status_code == 200 and page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert assets and all(a.startswith("/docs/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_viewer_is_told_where_the_document_is_and_to_validate_nothing_elsewhere(app):
    page = app.test_client().get("/docs").get_data(as_text=True)
    script = app.test_client().get("/docs/init.js").get_data(as_text=True)
    assert 'data-document="/openapi.json"' in page
    assert "validatorUrl: null" in script  # else Swagger UI sends the document to validator.swagger.io


def test_the_viewers_licence_is_served_beside_it(app):
    assert "Apache License" in app.test_client().get("/docs/static/LICENSE").get_data(as_text=True)


def crawl(client, starts: list[str], limit: int = 60) -> dict[str, str]:
    """The HTML of each page reachable from ``starts`` by this site's own links."""
    seen, queue = {}, list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        r = client.get(path)
        seen[path] = r.get_data(as_text=True) if r.content_type.startswith("text/html") else ""
        queue += [link for link in re.findall(r'href="(/[^"#?]*)', seen[path]) if "/static/" not in link]
    return {path: html for path, html in seen.items() if html}


def assert_only_our_hosts(pages: dict[str, str]) -> None:
    for path, html in pages.items():
        hosts = set(EXTERNAL.findall(html)) - OUR_HOSTS
        assert not hosts, f"{path} names {hosts}"


def test_no_page_a_visitor_sees_names_a_host_other_than_ours(app):
    pages = crawl(app.test_client(), html_pages(app))
    assert {"/docs", "/portal/sign-in", "/staff/login"} <= set(pages)
    assert_only_our_hosts(pages)


def test_no_page_staff_or_a_consumer_sees_names_a_host_other_than_ours(app, api, services):
    ship(api)
    staff = StaffBrowser(app.test_client())
    make_member(services, role="admin")
    staff.login()
    consumer = sign_in(PortalBrowser(app.test_client()), services)

    pages = {**crawl(staff.client, ["/staff/"]), **crawl(consumer.client, ["/portal/"])}

    assert len([p for p in pages if p.startswith("/staff/")]) > 5, sorted(pages)
    assert len([p for p in pages if p.startswith("/portal/")]) > 3, sorted(pages)
    assert_only_our_hosts(pages)
