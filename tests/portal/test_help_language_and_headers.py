"""Help (channels with their promised answer times, a searchable FAQ), the language of the
pages (the reader's choice, else their browser's, else Dutch) and what every page keeps to:
security headers, a strict Content-Security-Policy, no scripts or inline styles, CSRF tokens."""
from __future__ import annotations

import dataclasses
import re

import pytest

from tests.disputes.cases import open_case
from tests.portal.conftest import Browser, text


def test_help_shows_each_channel_with_its_promised_answer_time(browser, services):
    services.settings = dataclasses.replace(
        services.settings, support=dataclasses.replace(services.settings.support, phone="+31 30 765 4321"))

    page = text(browser.get("/portal/help"))  # no sign-in needed

    assert "support@bnpl.example" in page and "We answer within one working day." in page
    assert "+31 30 765 4321" in page and "Answered within 2 minutes, Monday to Friday 09:00-17:00." in page
    assert "A mediator decides within 30 days, with written reasons." in page


def test_the_faq_is_searched_by_words_in_question_or_answer(browser):
    everything = text(browser.get("/portal/help"))
    assert "How do I pay my invoice?" in everything and "Can I withdraw a dispute?" in everything

    found = browser.get("/portal/help?q=TRACKING+code")
    page = text(found)
    assert "One answer found for “TRACKING code”." in page
    assert "I sent something back. Do I still have to pay?" in page and "How do I pay my invoice?" not in page
    assert "<details open>" in found.get_data(as_text=True)

    assert "No answer matches your search." in text(browser.get("/portal/help?q=bitcoin"))


def test_the_faq_states_the_configured_numbers(browser, services):
    services.settings = dataclasses.replace(services.settings, consumer_extension_days=10)
    assert "move it once by 10 days" in text(browser.get("/portal/help?q=more+time"))


def test_the_faq_is_searched_in_the_readers_language(browser):
    page = text(browser.get("/portal/help?lang=nl&q=retour"))
    assert "Ik heb iets teruggestuurd. Moet ik nog betalen?" in page


@pytest.mark.parametrize("language, query, question", [
    ("nl", "terugbetaling", "Wanneer krijg ik mijn geld terug?"),
    ("nl", "annuleren", "Mijn bestelling is geannuleerd. Moet ik betalen?"),
    ("nl", "aanmaning", "Waarom kreeg ik deze brief?"),
    ("en", "refund", "When do I get my money back?"),
    ("en", "cancel", "My order was cancelled. Do I have to pay?"),
    ("de", "erstattung", "Wann bekomme ich mein Geld zurück?"),
    ("de", "stornieren", "Meine Bestellung wurde storniert. Muss ich zahlen?"),
])
def test_the_faq_finds_the_words_consumers_search_with(browser, language, query, question):
    assert question in text(browser.get(f"/portal/help?lang={language}&q={query}"))


def test_without_a_choice_the_browser_language_is_used_else_dutch(app):
    client = app.test_client()
    assert '<html lang="nl">' in client.get("/portal/sign-in").get_data(as_text=True)
    german = client.get("/portal/sign-in", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in german.get_data(as_text=True) and "Anmelden" in text(german)
    french = client.get("/portal/sign-in", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="nl">' in french.get_data(as_text=True)


def test_the_language_chosen_is_kept_in_a_cookie(app):
    client = app.test_client()
    r = client.get("/portal/help?lang=de&q=")
    assert '<html lang="de">' in r.get_data(as_text=True) and "Hilfe und Kontakt" in text(r)
    cookie = next(value for value in r.headers.getlist("Set-Cookie") if value.startswith("bnpl_portal_language="))
    assert "bnpl_portal_language=de;" in cookie and "Path=/portal" in cookie and "HttpOnly" in cookie
    later = client.get("/portal/sign-in", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in later.get_data(as_text=True)


def test_every_page_offers_the_three_languages_as_links_to_itself(signed_in, invoice):
    html = signed_in.page(f"/portal/invoices/{invoice['id']}/pay")
    links = re.findall(r'<a href="([^"]+)" lang="(\w\w)" hreflang="\w\w"', html)
    assert [code for _, code in links] == ["nl", "en", "de"]
    assert all(href == f"/portal/invoices/{invoice['id']}/pay?lang={code}" for href, code in links)
    assert "Rechnung" in text(signed_in.get(links[2][0]))


def test_the_sign_in_mail_is_written_in_the_readers_language(browser, services, invoice):
    from tests.outbox import deliver_outbox  # the renderer's pass, then the outbox's

    browser.get("/portal/sign-in?lang=de")
    browser.submit("/portal/sign-in", "/portal/sign-in/email", {"link-email": "sanne.devries@example.nl"})
    deliver_outbox(services)
    import email
    import email.policy

    def plain(message) -> str:
        return next(part for part in message.walk() if part.get_content_type() == "text/plain").get_content()

    [message] = [m for m in (email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
                             for eml in (services.settings.instance_path / "outbox").glob("*.eml"))
                 if "/portal/sign-in/" in plain(m)]
    body = plain(message)
    assert "Anmeldelink" in message["Subject"] and "/portal/sign-in/" in body and "15 Minuten" in body


def test_every_page_keeps_to_the_content_security_policy(app, signed_in, services, invoice):
    case_id = open_case(services, invoice["id"])
    for path in ("/portal/", f"/portal/invoices/{invoice['id']}", f"/portal/invoices/{invoice['id']}/pay",
                 f"/portal/invoices/{invoice['id']}/return", f"/portal/invoices/{invoice['id']}/extension",
                 f"/portal/invoices/{invoice['id']}/plan?instalments=2", f"/portal/invoices/{invoice['id']}/dispute",
                 f"/portal/cases/{case_id}", f"/portal/cases/{case_id}/withdraw", "/portal/address", "/portal/help",
                 "/portal/sign-in", "/portal/sign-in/sent", "/portal/sign-in/some-token"):
        r = (Browser(app.test_client()) if path == "/portal/sign-in" else signed_in).get(path)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", path
        csp = r.headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'"), path
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, path
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY", path
        assert "<script" not in html and "<style" not in html and "style=" not in html, path
        assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html, path  # no CDN
        forms = re.findall(r'<form [^>]*method="post".*?</form>', html, re.S)
        assert all(re.search(r'csrf_token" type="hidden"', form) for form in forms), path
        for tag in re.findall(r'<(?:input|select|textarea) [^>]*>', html):
            if 'type="hidden"' not in tag:  # every field has its label
                field_id = re.search(r'id="([^"]+)"', tag).group(1)
                assert f'for="{field_id}"' in html, (path, tag)


def test_the_stylesheet_is_served_and_may_be_cached(browser):
    r = browser.get("/portal/static/portal.css")
    assert r.status_code == 200 and r.mimetype == "text/css" and "no-store" not in r.headers.get("Cache-Control", "")
    assert "@media (min-width: 640px)" in r.get_data(as_text=True) and ":focus-visible" in r.get_data(as_text=True)


def test_an_unknown_portal_address_is_a_page_and_the_api_keeps_its_problems(browser, api):
    r = browser.get("/portal/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html" and "There is nothing at this address." in text(r)
    assert "Content-Security-Policy" in r.headers
    assert browser.client.delete("/portal/help").status_code == 405
    assert api.get("/nothing-here").mimetype == "application/problem+json"
    assert browser.get("/staff/no-such-page").mimetype == "text/html"


def test_an_upload_larger_than_the_limit_is_a_page_that_says_so(signed_in, services, invoice):
    import io

    services.settings = dataclasses.replace(services.settings, disputes=dataclasses.replace(
        services.settings.disputes, evidence_max_files=1, evidence_max_bytes=1000))
    page = f"/portal/invoices/{invoice['id']}/dispute"
    r = signed_in.submit(page, data={"dispute-reason": "damaged", "dispute-description": "Bent frame, see photo.",
                                     "dispute-evidence": (io.BytesIO(b"x" * 400_000), "huge.pdf")},
                         content_type="multipart/form-data")
    assert r.status_code == 413 and r.mimetype == "text/html"
    assert "The files are larger than we accept." in text(r)


@pytest.mark.parametrize("language, subject, sentence", [
    ("nl", "Uw inloglink voor bnpl demo B.V.", "De link werkt één keer en 15 minuten lang."),
    ("en", "Your sign-in link for bnpl demo B.V.", "The link works once and for 15 minutes."),
    ("de", "Ihr Anmeldelink für bnpl demo B.V.", "Der Link funktioniert einmal und 15 Minuten lang."),
])
def test_the_sign_in_mail_exists_in_every_language(settings, language, subject, sentence):
    from datetime import datetime, timezone

    from bnpl.notifications import mail

    link = "http://127.0.0.1:8000/portal/sign-in/abc"
    message = mail.compose(kind="portal_sign_in", language=language, to="sanne@example.nl", sender=settings.mail_from,
                           message_id="msg_1", attachments=[], sent_at=datetime(2026, 11, 23, tzinfo=timezone.utc),
                           context={"name": None, "shop": None, "language": language, "provider": settings.provider,
                                    "payload": {"link": link, "minutes": 15}, "portal_url": "x"})
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    assert message["Subject"] == subject
    assert sentence in plain and link in plain and f'href="{link}"' in html and f'lang="{language}"' in html


def test_the_link_only_refusal_reads_in_dutch(api, services, app):
    from types import SimpleNamespace

    from flask import g

    from bnpl.i18n import said
    from bnpl.portal import service, words
    with pytest.raises(service.NeedsLinkSignIn) as refused:
        service._whole_account(SimpleNamespace(whole_account=False))  # signed in with an invoice number
    assert refused.value.detail == ("For this, sign in with the link we e-mail you: an invoice number and postcode "
                                    "only open that one invoice.")  # the API's and the log's English
    with app.test_request_context():
        g.language = "nl"
        assert words.refusal(refused.value.detail).startswith("Log hiervoor in")
        assert words.refusal(said("Between 1 and %(left)s (not yet credited).", left=2)) == \
            "Tussen 1 en 2 (nog niet gecrediteerd)."
