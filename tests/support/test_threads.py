"""A consumer's question as a thread: asked in general or about a purchase (its webshop and
invoice fixed by where it was asked), with the moment we promised to answer by; the staff queue
sorted by that moment with the time left; an answer that keeps (or misses) the promise."""
from datetime import datetime, timedelta, timezone

import pytest

from bnpl.errors import InvalidInput, NotFound
from bnpl.support import service
from tests import factories
from tests.disputes.cases import act, consumer_of
from tests.payments.flows import ship

# NOW is Monday 23 November 2026, 11:00 in Amsterdam; e-mail and the portal promise 1 working day.
TOMORROW_SAME_TIME = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
STAFF = ("stf_anna", "Anna de Vries")


@pytest.fixture
def inv(api):
    return ship(api)


def ask(services, consumer_id, *, invoice_id=None, subject="Where is my parcel?",
        message="I paid but nothing arrived yet."):
    return act(services, service.ask, consumer_id=consumer_id, invoice_id=invoice_id, subject=subject,
               message=message)


def test_a_question_about_a_purchase_names_its_webshop_and_gets_a_promise(services, api, inv):
    thread = ask(services, consumer_of(services, inv["id"]), invoice_id=inv["id"])
    assert (thread.merchant_id, thread.invoice_id) == (api.merchant_id, inv["id"])
    assert thread.status == "waiting_for_us" and thread.due_at == TOMORROW_SAME_TIME


def test_a_general_question_belongs_to_no_webshop(services, inv):
    thread = ask(services, consumer_of(services, inv["id"]))
    assert thread.merchant_id is None and thread.invoice_id is None and thread.due_at == TOMORROW_SAME_TIME


def test_a_question_about_someone_elses_invoice_is_not_found(services, api, inv):
    stranger = ship(api, consumer=factories.consumer(email="vreemde@example.nl"))
    with pytest.raises(NotFound):
        ask(services, consumer_of(services, inv["id"]), invoice_id=stranger["id"])


def test_an_empty_question_is_refused(services, inv):
    with pytest.raises(InvalidInput) as refused:
        ask(services, consumer_of(services, inv["id"]), subject=" ", message="")
    assert set(refused.value.extra["errors"]) == {"subject", "message"}


def test_the_queue_is_sorted_by_the_promised_moment_and_shows_the_time_left(services, clock, api, other_api, inv):
    later_consumer = consumer_of(services, inv["id"])
    first = ask(services, later_consumer)
    clock.advance(hours=2)
    other = ship(other_api, consumer=factories.consumer(email="pieter@example.nl", name="Pieter Bakker"))
    second = ask(services, consumer_of(services, other["id"]), invoice_id=other["id"])
    rows = act(services, service.queue)
    assert [row.thread.id for row in rows] == [first.id, second.id]
    assert rows[0].left == timedelta(hours=6) and not rows[0].overdue  # 8 office hours, 2 gone
    assert rows[1].webshop == "Boekhandel Groningen" and rows[0].webshop is None
    assert rows[1].consumer_name == "Pieter Bakker"


def test_an_answer_in_time_keeps_the_promise_and_leaves_the_queue(services, clock, inv):
    thread = ask(services, consumer_of(services, inv["id"]))
    clock.advance(hours=3)
    answered = act(services, service.answer, thread_id=thread.id, staff_id=STAFF[0], staff_name=STAFF[1],
                   message="Your parcel is with the carrier; it arrives tomorrow.")
    assert answered.status == "answered" and answered.first_answer_at is not None
    assert answered.messages[-1].kept is True
    assert act(services, service.queue) == []


def test_a_late_answer_is_marked_as_a_promise_missed(services, clock, inv):
    thread = ask(services, consumer_of(services, inv["id"]))
    clock.advance(days=2)
    answered = act(services, service.answer, thread_id=thread.id, staff_id=STAFF[0], staff_name=STAFF[1],
                   message="Sorry for the wait: your parcel arrives tomorrow.")
    assert answered.messages[-1].kept is False


def test_the_consumer_writing_again_starts_a_new_promise(services, clock, inv):
    consumer = consumer_of(services, inv["id"])
    thread = ask(services, consumer)
    act(services, service.answer, thread_id=thread.id, staff_id=STAFF[0], staff_name=STAFF[1], message="On its way.")
    clock.advance(days=1)  # Tuesday 11:00
    again = act(services, service.reply, consumer_id=consumer, thread_id=thread.id, message="Still nothing.")
    assert again.status == "waiting_for_us" and again.due_at == TOMORROW_SAME_TIME + timedelta(days=1)


def test_a_consumer_cannot_write_in_someone_elses_thread(services, api, inv):
    thread = ask(services, consumer_of(services, inv["id"]))
    stranger = ship(api, consumer=factories.consumer(email="vreemde@example.nl"))
    with pytest.raises(NotFound):
        act(services, service.reply, consumer_id=consumer_of(services, stranger["id"]), thread_id=thread.id,
            message="Hello")


def test_the_answer_is_also_e_mailed_in_the_consumers_language_with_a_link_to_the_thread(services, inv):
    from tests.disputes.support import outbox
    thread = ask(services, consumer_of(services, inv["id"]), invoice_id=inv["id"])
    act(services, service.answer, thread_id=thread.id, staff_id=STAFF[0], staff_name=STAFF[1],
        message="Your parcel is with the carrier; it arrives tomorrow.")
    [mail] = [m for m in outbox(services) if m.kind == "support_answer"]
    assert (mail.recipient, mail.language) == ("sanne.devries@example.nl", "nl")
    written = compose(mail)
    assert written["Subject"] == "Antwoord op uw vraag: Where is my parcel?"
    assert "Anna de Vries van bnpl demo B.V. heeft uw vraag" in written.get_body(("plain",)).get_content()
    body = written.get_body(("plain",)).get_content()
    assert "it arrives tomorrow" in body and f"http://bnpl.example/portal/questions/{thread.id}" in body


def compose(message):
    """The e-mail as the outbox worker puts it together (notifications.service._context's keys)."""
    from bnpl.config import Provider
    from bnpl.notifications import mail

    return mail.compose(kind=message.kind, language=message.language, to=message.recipient,
                        sender="bnpl <no-reply@bnpl.example>", message_id=message.id, attachments=[],
                        context={"payload": message.payload, "provider": Provider(), "language": message.language,
                                 "portal_url": "http://bnpl.example/portal", "shop": None},
                        sent_at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
