"""The admin's pages: webshops (taken on with their legal details, approved for live keys),
the changes of money settings waiting for a decision, staff accounts, and the audit log."""
from __future__ import annotations

import re
from html import unescape

import pytest

from bnpl.staff import accounts
from bnpl.uow import unit_of_work
from tests import factories
from tests.conftest import ApiClient
from tests.staff.conftest import StaffBrowser, make_member

ADMIN = "erik@bnpl.example"
ONBOARDING = {"name": "Boekhandel Het Ezelsoor", "email": "info@ezelsoor.example",
              "legal_name": "Het Ezelsoor V.O.F.", "street": "Vismarkt", "house_number": "44",
              "postal_code": "9711KT", "city": "Groningen", "country": "NL", "vat_number": "NL004495445B01",
              "coc_number": "30123456"}


@pytest.fixture
def admin(browser, services) -> StaffBrowser:
    make_member(services, ADMIN, role="admin", name="Erik Admin")
    assert browser.login(ADMIN).status_code == 303
    return browser


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.mark.parametrize("path", ["/staff/merchants", "/staff/merchants/new", "/staff/changes",
                                  "/staff/accounts", "/staff/audit"])
def test_only_an_admin_sees_the_admin_pages(signed_in, path):
    assert signed_in.get(path).status_code == 403


def test_the_navigation_shows_the_admin_pages_to_an_admin(admin):
    html = admin.get("/staff/statistics").get_data(as_text=True)
    for path in ("/staff/merchants", "/staff/changes", "/staff/accounts", "/staff/audit"):
        assert f'href="{path}"' in html


# --- changes of money settings -------------------------------------------------------------

def test_an_admin_approves_a_higher_order_limit_on_the_changes_page(admin, api):
    change_id = api.patch("/merchant", json={"order_limit": 400_000}).json["pending_changes"][0]["id"]
    page = text(admin.get("/staff/changes"))
    assert "Fietsenwinkel Utrecht" in page and "order limit" in page and "€4,000.00" in page
    r = admin.submit("/staff/changes", f"/staff/changes/{change_id}/decision",
                     {f"{change_id}-outcome": "approve", f"{change_id}-reason": ""})
    assert r.status_code == 303, text(r)
    assert api.get("/merchant").json["order_limit"] == 400_000
    assert "No change is waiting" in text(admin.get("/staff/changes"))


def test_a_refusal_without_a_reason_is_sent_back_and_with_one_it_is_kept(admin, api):
    change_id = api.patch("/merchant", json={"payout_iban": "NL91ABNA0417164300"}).json["pending_changes"][0]["id"]
    r = admin.submit("/staff/changes", f"/staff/changes/{change_id}/decision",
                     {f"{change_id}-outcome": "refuse", f"{change_id}-reason": ""})
    assert r.status_code == 422 and "Say why" in text(r)
    r = admin.submit("/staff/changes", f"/staff/changes/{change_id}/decision",
                     {f"{change_id}-outcome": "refuse", f"{change_id}-reason": "Not the company's account."})
    assert r.status_code == 303
    assert api.get("/merchant").json["pending_changes"] == []
    assert "Not the company's account." in text(admin.get("/staff/audit"))


# --- webshops: taking one on, approving it ---------------------------------------------------

def test_taking_on_a_webshop_shows_its_test_key_once(admin, app):
    r = admin.submit("/staff/merchants/new", data=ONBOARDING)
    assert r.status_code == 200, text(r)
    [key] = re.findall(r"bnpl_test_\w{32}", r.get_data(as_text=True))
    account = ApiClient(app.test_client(), key).get("/merchant").json
    assert (account["legal_name"], account["vat_number"], account["approved"]) == (
        "Het Ezelsoor V.O.F.", "NL004495445B01", False)
    assert account["language"] == "nl"  # no language chosen: the default
    assert "Boekhandel Het Ezelsoor" in text(admin.get("/staff/merchants"))


def test_approval_gives_the_first_live_key(admin, app):
    page = admin.submit("/staff/merchants/new", data=ONBOARDING).get_data(as_text=True)
    merchant_id = re.search(r"(mer_\w+)", page).group(1)
    r = admin.submit(f"/staff/merchants/{merchant_id}", f"/staff/merchants/{merchant_id}/approval")
    assert r.status_code == 200, text(r)
    [live] = re.findall(r"bnpl_live_\w{32}", r.get_data(as_text=True))
    client = ApiClient(app.test_client(), live)
    assert client.get("/merchant").json["approved"] is True
    assert client.post("/orders", json=factories.order()).status_code == 201


def test_a_webshop_without_legal_details_is_not_approved(admin, api):
    r = admin.submit(f"/staff/merchants/{api.merchant_id}", f"/staff/merchants/{api.merchant_id}/approval")
    assert r.status_code == 409 and "legal_name, address, vat_number" in text(r)
    assert api.get("/merchant").json["approved"] is False


# --- staff accounts --------------------------------------------------------------------------

def test_an_admin_makes_an_account_and_deactivates_another(admin, app, services, mediator):
    r = admin.submit("/staff/accounts", data={"email": "piet@bnpl.example", "name": "Piet", "role": "risk"})
    assert r.status_code == 200, text(r)
    password = re.search(r'<code class="secret">([^<]+)</code>', r.get_data(as_text=True)).group(1)
    assert StaffBrowser(app.test_client()).login("piet@bnpl.example", password).status_code == 303

    anna = StaffBrowser(app.test_client())
    assert anna.login().status_code == 303
    r = admin.submit("/staff/accounts", f"/staff/accounts/{mediator}/deactivation")
    assert r.status_code == 303
    assert anna.get("/staff/").status_code == 303  # signed out at once
    assert "inactive" in text(admin.get("/staff/accounts"))


def test_the_audit_log_names_who_did_what(admin, api):
    api.put("/risk-policy", json={"minimum_age": 21})
    page = text(admin.get("/staff/audit"))
    assert "Acceptance policy changed" in page and "Fietsenwinkel Utrecht" in page and api.key[:14] in page
    assert "risk_policy.changed" not in page  # the code, as words


def test_the_audit_log_in_dutch_names_actions_and_actors_in_words(app, services, api):
    make_member(services, ADMIN, role="admin", name="Erik Admin")
    make_member(services, "piet@bnpl.example")  # by the operator, on the command line
    with unit_of_work(services) as uow:
        accounts.unlock(uow, email="piet@bnpl.example", actor="operator (command line)")
    api.put("/risk-policy", json={"minimum_age": 21})
    admin = StaffBrowser(app.test_client(), language="nl")
    assert admin.login(ADMIN).status_code == 303
    admin.submit("/staff/accounts", data={"email": "kees@bnpl.example", "name": "Kees", "role": "risk"})

    page = text(admin.get("/staff/audit"))
    assert "Personeelsaccount aangemaakt" in page and "Personeelsaccount ontgrendeld" in page
    assert "Acceptatiebeleid gewijzigd" in page
    assert "beheerder (opdrachtregel)" in page and "operator (command line)" not in page
    assert "medewerker Erik Admin (erik@bnpl.example)" in page
    assert f"webwinkelsleutel {api.key[:14]}" in page


def test_wrong_legal_details_are_shown_at_their_fields(admin, services):
    r = admin.submit("/staff/merchants/new", data={**ONBOARDING, "vat_number": "NL123", "postal_code": "ABC"})
    assert r.status_code == 422, text(r)
    html = r.get_data(as_text=True)
    assert 'id="vat_number-error"' in html and 'id="postal_code-error"' in html
    assert "Boekhandel Het Ezelsoor" not in text(admin.get("/staff/merchants"))


def test_the_form_offers_the_languages_we_write_to_webshops_in(admin):
    html = admin.get("/staff/merchants/new").get_data(as_text=True)
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', html) == [
        ("nl", "Dutch"), ("en", "English"), ("de", "German")]


def test_a_webshop_taken_on_in_german_shows_it_on_its_page_and_in_the_audit_log(admin):
    page = admin.submit("/staff/merchants/new", data={**ONBOARDING, "language": "de"}).get_data(as_text=True)
    merchant_id = re.search(r"(mer_\w+)", page).group(1)
    assert "Language of our mails German" in text(admin.get(f"/staff/merchants/{merchant_id}"))
    assert "language : de" in text(admin.get(f"/staff/audit?merchant={merchant_id}"))  # <code>language</code>: de


@pytest.mark.parametrize("language, said", [
    ("en", "Choose one of the languages we write to webshops in: Dutch, English, German."),
    ("nl", "Kies een van de talen waarin wij webwinkels schrijven: Nederlands, Engels, Duits.")])
def test_a_language_we_do_not_write_in_is_refused_at_its_field(app, services, language, said):
    make_member(services, ADMIN, role="admin", name="Erik Admin")
    admin = StaffBrowser(app.test_client(), language=language)
    assert admin.login(ADMIN).status_code == 303
    r = admin.submit("/staff/merchants/new", data={**ONBOARDING, "language": "fr"})
    assert r.status_code == 422, text(r)
    error = re.search(r'<span class="field-error" id="language-error">([^<]+)</span>', r.get_data(as_text=True))
    assert error and unescape(error.group(1)) == said
    assert "Boekhandel Het Ezelsoor" not in text(admin.get("/staff/merchants"))


def test_an_admin_revokes_a_webshops_key_from_its_page(admin, api):
    [key] = api.get("/api-keys").json["items"]
    page = text(admin.get(f"/staff/merchants/{api.merchant_id}"))
    assert key["prefix"] in page
    r = admin.submit(f"/staff/merchants/{api.merchant_id}", f"/staff/merchants/{api.merchant_id}/keys/{key['id']}/revocation")
    assert r.status_code == 303, text(r)
    assert api.get("/merchant").status_code == 401


def test_accounts_made_on_the_command_line_or_the_page_are_in_the_audit_log(admin, services):
    admin.submit("/staff/accounts", data={"email": "piet@bnpl.example", "name": "Piet", "role": "risk"})
    page = text(admin.get("/staff/audit"))
    assert "Staff account made" in page and "piet@bnpl.example" in page


def test_a_new_password_is_shown_once_and_ends_the_old_sessions(admin, app, mediator):
    anna = StaffBrowser(app.test_client())
    assert anna.login().status_code == 303
    r = admin.submit("/staff/accounts", f"/staff/accounts/{mediator}/password")
    assert r.status_code == 200, text(r)
    password = re.search(r'<code class="secret">([^<]+)</code>', r.get_data(as_text=True)).group(1)
    assert anna.get("/staff/").status_code == 303
    assert StaffBrowser(app.test_client()).login(password=password).status_code == 303


def test_an_admin_cannot_deactivate_their_own_account(admin, services):
    from bnpl.staff.models import StaffMember
    with services.sessionmaker() as session:
        own = session.query(StaffMember).filter_by(email=ADMIN).one().id
    r = admin.submit("/staff/accounts", f"/staff/accounts/{own}/deactivation")
    assert r.status_code == 403 and "another admin" in text(r)
