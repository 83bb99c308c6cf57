"""What stays in the back office: a mediator's internal notes (and the mediators' talk about a
proposed decision) never reach the merchant or the consumer, by any road: the API, the event
log, a webhook or e-mail in the outbox, or the consumer's view of the case; and evidence
kept with a staff-only entry is not served to the merchant."""
import json
from hashlib import sha256

import pytest

from bnpl.disputes import service
from bnpl.disputes.models import STAFF_ONLY, Evidence
from bnpl.errors import NotFound
from tests import factories
from tests.disputes.cases import MEDIATOR, PDF, SECOND, act, consumer_of, open_case, pdf_file, shipped_invoice
from tests.disputes.support import decide, dispute, entries, outbox, rejected

NOTES = ("NOTE-1 the consumer sounded rehearsed on the phone",
         "NOTE-2 same story as a case at another shop last month",
         "NOTE-4 after the decision: keep an eye on this address")
SENT_BACK = "NOTE-3 I do not agree, the photos look staged"
SHARED = "MESSAGE-1 we are looking into your case"


def merchant_can_read(api, dispute_id: str) -> str:
    """Everything the merchant can fetch about the case, as one text."""
    pages, cursor = [], None
    while True:
        r = api.get("/events?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.json
        pages.append(r.get_data(as_text=True))
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    return "\n".join([api.get(f"/disputes/{dispute_id}").get_data(as_text=True),
                      api.get("/disputes").get_data(as_text=True), *pages])


def what_left_the_house(services) -> str:
    """Every webhook and e-mail written to the outbox, as one text."""
    return "\n".join(json.dumps(message.payload) for message in outbox(services))


def consumer_sees(services, consumer_id: str, dispute_id: str) -> str:
    case = act(services, service.get_consumer_dispute, consumer_id=consumer_id, dispute_id=dispute_id)
    listed = act(services, service.consumer_disputes, consumer_id=consumer_id)
    return "\n".join(f"{entry.kind} {entry.message} {json.dumps(entry.data)}"
                     for each in (case, *listed) for entry in each.shared_entries())


@pytest.fixture
def worked_case(api, services):
    """A case of EUR 600 worked through to the end, with internal notes along the way and a
    proposed decision sent back between two mediators before a second one is approved. The
    merchant listens to webhooks."""
    assert api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}).status_code == 201
    inv = shipped_invoice(api, lines=[factories.line("BIKE", 1, 60000, 21)])
    consumer_id = consumer_of(services, inv["id"])
    dispute_id = open_case(services, inv["id"], evidence=[pdf_file()])
    act(services, service.add_note, dispute_id=dispute_id, actor=MEDIATOR, message=NOTES[0])
    rejected(api, dispute_id)
    act(services, service.add_note, dispute_id=dispute_id, actor=SECOND, message=NOTES[1])
    act(services, service.post_message, dispute_id=dispute_id, actor=MEDIATOR, message=SHARED)
    act(services, service.ask, dispute_id=dispute_id, actor=MEDIATOR, party="consumer", message="A photo, please.")
    act(services, service.consumer_reply, consumer_id=consumer_id, dispute_id=dispute_id, message="Attached.",
        evidence=(pdf_file("photo.pdf"),))
    decide(services, dispute_id, "merchant", reasons="PROPOSAL-1 the carrier's signature matches the consumer's.")
    act(services, service.send_back, dispute_id=dispute_id, actor=SECOND, message=SENT_BACK)
    decide(services, dispute_id, "partial", amount=20000,
           reasons="DECISION the frame arrived bent; the webshop credits a third of the price.")
    act(services, service.approve, dispute_id=dispute_id, actor=SECOND)
    act(services, service.add_note, dispute_id=dispute_id, actor=MEDIATOR, message=NOTES[2])
    return dispute_id, consumer_id


def test_the_notes_are_on_the_case_for_staff(services, worked_case):
    dispute_id, _ = worked_case
    staff_only = {entry.message for entry in entries(services, dispute_id) if entry.visibility == STAFF_ONLY}
    assert {*NOTES, SENT_BACK} <= staff_only
    case = act(services, service.get_case, dispute_id=dispute_id)
    assert case.status == "decided" and [e.author for e in case.entries if e.message == NOTES[1]] == ["Bram Mediator"]


def test_no_internal_note_reaches_the_merchant_through_the_api_or_the_event_log(api, worked_case):
    dispute_id, _ = worked_case
    readable = merchant_can_read(api, dispute_id)
    assert SHARED in readable and "DECISION the frame arrived bent" in readable  # what is shared does arrive
    for secret in (*NOTES, SENT_BACK, "NOTE-", "PROPOSAL-1", "stf_anna", "stf_bram"):
        assert secret not in readable
    timeline = dispute(api, dispute_id)["timeline"]
    assert {"note", "decision_proposed", "decision_sent_back", "decision_approved"}.isdisjoint(
        entry["kind"] for entry in timeline)


def test_no_internal_note_leaves_in_a_webhook_or_an_email(services, worked_case):
    sent = what_left_the_house(services)
    kinds = {(m.channel, m.kind) for m in outbox(services)}
    assert {("webhook", "dispute.decided"), ("email", "dispute_merchant"), ("email", "dispute_decided")} <= kinds
    assert SHARED in sent and "DECISION the frame arrived bent" in sent
    for secret in (*NOTES, SENT_BACK, "NOTE-", "PROPOSAL-1"):
        assert secret not in sent


def test_no_internal_note_reaches_the_consumer(services, worked_case):
    dispute_id, consumer_id = worked_case
    seen = consumer_sees(services, consumer_id, dispute_id)
    assert SHARED in seen and "DECISION the frame arrived bent" in seen
    for secret in (*NOTES, SENT_BACK, "NOTE-", "PROPOSAL-1"):
        assert secret not in seen


def test_webhooks_sent_while_the_case_runs_carry_no_notes(api, services):
    assert api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}).status_code == 201
    inv = shipped_invoice(api)
    dispute_id = open_case(services, inv["id"])
    act(services, service.add_note, dispute_id=dispute_id, actor=MEDIATOR, message=NOTES[0])
    act(services, service.post_message, dispute_id=dispute_id, actor=MEDIATOR, message=SHARED)
    hooks = [m for m in outbox(services, channel="webhook") if m.kind == "dispute.message_posted"]
    assert len(hooks) == 1
    assert [e["message"] for e in hooks[0].payload["data"]["timeline"]][-1] == SHARED
    assert NOTES[0] not in json.dumps(hooks[0].payload)


def test_evidence_kept_with_a_staff_only_entry_is_not_served_to_the_merchant(api, services):
    inv = shipped_invoice(api)
    dispute_id = open_case(services, inv["id"], evidence=[pdf_file("shared.pdf")])
    act(services, service.add_note, dispute_id=dispute_id, actor=MEDIATOR, message="Carrier's internal report.")
    # The back office keeps a file with its note (no service attaches files to notes yet).
    [note] = entries(services, dispute_id, "note")
    with services.sessionmaker() as session:
        session.add(Evidence(id="evd_staff_only", dispute_id=dispute_id, entry_id=note.id, party="mediator",
                             filename="internal.pdf", content_type="application/pdf", size_bytes=len(PDF),
                             sha256=sha256(PDF).hexdigest(), content=PDF, uploaded_at=note.at))
        session.commit()

    assert api.get(f"/disputes/{dispute_id}/evidence/evd_staff_only").status_code == 404
    listed = [item["id"] for entry in dispute(api, dispute_id)["timeline"] for item in entry["evidence"]]
    assert "evd_staff_only" not in listed and len(listed) == 1
    assert api.get(f"/disputes/{dispute_id}/evidence/{listed[0]}").status_code == 200

    case = act(services, service.get_consumer_dispute, consumer_id=consumer_of(services, inv["id"]),
               dispute_id=dispute_id)
    with pytest.raises(NotFound):
        act(services, service.evidence_file, dispute=case, evidence_id="evd_staff_only")
    assert act(services, service.evidence_file, dispute=case, evidence_id="evd_staff_only", staff=True).filename == \
        "internal.pdf"


def test_evidence_of_one_case_is_not_served_under_another(api, services):
    first = open_case(services, shipped_invoice(api)["id"], evidence=[pdf_file()])
    second = open_case(services, shipped_invoice(api, consumer=factories.consumer(email="b@example.nl"))["id"])
    evidence_id = dispute(api, first)["timeline"][0]["evidence"][0]["id"]
    assert api.get(f"/disputes/{second}/evidence/{evidence_id}").status_code == 404
    assert api.get(f"/disputes/{first}/evidence/{evidence_id}").status_code == 200


def test_a_consumer_sees_only_their_own_cases(api, services):
    mine = shipped_invoice(api)
    theirs = shipped_invoice(api, consumer=factories.consumer(email="ander@example.nl"))
    my_case, their_case = open_case(services, mine["id"]), open_case(services, theirs["id"])
    me = consumer_of(services, mine["id"])
    assert [d.id for d in act(services, service.consumer_disputes, consumer_id=me)] == [my_case]
    with pytest.raises(NotFound):
        act(services, service.get_consumer_dispute, consumer_id=me, dispute_id=their_case)
    with pytest.raises(NotFound):
        act(services, service.consumer_reply, consumer_id=me, dispute_id=their_case, message="Let me in.")
