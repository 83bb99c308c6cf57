"""Something on every page of the back office an admin reaches, for the tests that read them all
(in Dutch and English: tests/staff/test_languages.py; axe-core: tests/browser/test_staff_accessibility.py)."""
from __future__ import annotations

from bnpl.support import service as support
from tests import factories
from tests.disputes.cases import act, consumer_of, open_case
from tests.payments.flows import ship
from tests.staff.test_reviews import declined_with_review

# What the fixtures' people wrote, in Dutch: their words are theirs, never translated.
COMPLAINT = "Het pakket is nooit aangekomen."
QUESTION = "Waar blijft mijn pakket?"


def something_on_every_page(services, api, other_api) -> dict:
    """A case the webshop answered, a question about it, a credit review at another webshop,
    a change of a setting waiting for an admin."""
    invoice = ship(api, lines=factories.three_lines())
    case_id = open_case(services, invoice["id"], description=COMPLAINT)
    assert api.post(f"/disputes/{case_id}/responses", json={"message": "Bezorgd bij de buren.",
                                                            "proposal": "reject"}).status_code == 201
    thread = act(services, support.ask, consumer_id=consumer_of(services, invoice["id"]), invoice_id=invoice["id"],
                 subject=QUESTION, message="Ik heb betaald maar er kwam niets.")
    review = declined_with_review(other_api, services, email="pieter@example.nl", name="Pieter Bakker",
                                  message="Ik heb de schuld vorige week betaald.")
    assert api.patch("/merchant", json={"order_limit": 400000}).status_code == 202
    return {"invoice": invoice, "case_id": case_id, "thread_id": thread.id, "review_id": review["review_id"],
            "merchant_id": api.merchant_id}


def every_page(made: dict, *, call: str) -> list[str]:
    """The addresses of the back office's pages with ``made`` on them; ``call``: a phone call's page."""
    return ["/staff/", "/staff/?closed=1", "/staff/questions", f"/staff/questions/{made['thread_id']}",
            "/staff/statistics", "/staff/cases/new", call, f"/staff/cases/{made['case_id']}",
            "/staff/reviews", f"/staff/reviews/{made['review_id']}", "/staff/policy", "/staff/changes",
            "/staff/merchants", "/staff/merchants/new", f"/staff/merchants/{made['merchant_id']}",
            "/staff/accounts", "/staff/audit"]
