"""The merchant's contact address hears of every requested change of a money setting and of
its outcome, over real SMTP (the notifications' own test server), in its language (English here)."""
from __future__ import annotations

from bnpl.merchants import changes
from bnpl.uow import unit_of_work
from tests.notifications.test_email import html_of, text_of
from tests.outbox import deliver_outbox

CONTACT = "finance@fietsenwinkel.example"


def to_contact(smtp_server):
    """The mails to CONTACT (the address it replaced hears of its setting too)."""
    return [m for m in smtp_server.messages if m["To"] == CONTACT]


def test_a_request_and_its_refusal_reach_the_contact_address(api, services, smtp_services, smtp_server):
    api.patch("/merchant", json={"email": CONTACT, "language": "en"})
    change_id = api.patch("/merchant", json={"payout_iban": "NL91ABNA0417164300"}).json["pending_changes"][0]["id"]
    with unit_of_work(services) as uow:
        changes.decide(uow, change_id=change_id, approve=False, reason="The account holder is not your company.",
                       decided_by="staff Erik")
    deliver_outbox(smtp_services)
    refused, requested = sorted(to_contact(smtp_server), key=lambda m: m["Subject"])  # sent in any order
    assert (requested["To"], requested["Subject"]) == (CONTACT, "Change of your payout IBAN requested")
    assert "NL91ABNA0417164300" in text_of(requested) and "revoke your API keys" in html_of(requested)
    assert refused["Subject"] == "Change of your payout IBAN refused"
    assert "The account holder is not your company." in text_of(refused)


def test_a_new_contact_address_is_announced_to_the_old_one(api, smtp_services, smtp_server):
    """A stolen key could first point the contact address elsewhere, then ask for a new IBAN:
    the address it replaced hears of it."""
    api.patch("/merchant", json={"email": CONTACT, "language": "en"})
    assert api.patch("/merchant", json={"email": "attacker@evil.example"}).status_code == 200
    deliver_outbox(smtp_services)
    [notice] = to_contact(smtp_server)
    assert (notice["To"], notice["Subject"]) == (CONTACT, "Your contact address was changed")
    assert "attacker@evil.example" in text_of(notice) and "revoke" in text_of(notice)
