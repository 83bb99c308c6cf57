"""Asking a question from where you are: on a purchase (its webshop fixed by it) or in general;
then the thread, with when we will answer, the staff's answer, and writing again."""
from __future__ import annotations

from bnpl.support import service as support
from tests.disputes.cases import act
from tests.portal.conftest import text


def ask(browser, path, **fields):
    return browser.submit(path, data={"question-subject": "Where is my parcel?",
                                      "question-message": "I paid but nothing arrived yet.", **fields})


def test_a_question_about_a_purchase_belongs_to_its_webshop_and_says_when_we_answer(signed_in, services, api, invoice):
    r = ask(signed_in, f"/portal/questions/new?invoice={invoice['id']}")
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    page = text(signed_in.get(r.headers["Location"]))
    assert "Where is my parcel?" in page and "Fietsenwinkel Utrecht" in page
    assert "We answer by 24 November 2026 at 11:00" in page  # one working day after Monday 11:00
    [row] = act(services, support.queue)
    assert row.thread.merchant_id == api.merchant_id and row.thread.invoice_id == invoice["id"]


def test_a_general_question_and_the_staff_answer_in_the_thread(signed_in, services):
    r = ask(signed_in, "/portal/questions/new")
    assert r.status_code == 303
    [row] = act(services, support.queue)
    assert row.thread.merchant_id is None
    act(services, support.answer, thread_id=row.thread.id, staff_id="stf_anna", staff_name="Anna",
        message="You can pay by bank transfer to the IBAN on the invoice.")
    page = text(signed_in.get(r.headers["Location"]))
    assert "You can pay by bank transfer" in page and "We answer by" not in page


def test_writing_again_in_the_thread(signed_in, services):
    location = ask(signed_in, "/portal/questions/new").headers["Location"]
    r = signed_in.submit(location, f"{location}/reply", {"reply-message": "I found the tracking code: 3SABC."})
    assert r.status_code == 303
    assert "I found the tracking code" in text(signed_in.get(location))


def test_an_empty_question_is_refused_at_its_fields(signed_in):
    r = ask(signed_in, "/portal/questions/new", **{"question-subject": "", "question-message": ""})
    assert r.status_code == 422 and 'id="question-message-error"' in r.get_data(as_text=True)


def test_someone_elses_purchase_or_thread_is_not_found(signed_in, services, stranger_invoice):
    r = signed_in.get(f"/portal/questions/new?invoice={stranger_invoice['id']}")
    assert r.status_code == 404
    from tests.disputes.cases import consumer_of
    thread = act(services, support.ask, consumer_id=consumer_of(services, stranger_invoice["id"]),
                 subject="Hello", message="Someone else's question.")
    assert signed_in.get(f"/portal/questions/{thread.id}").status_code == 404


def test_the_invoice_page_offers_to_ask_about_it(signed_in, invoice):
    assert f'href="/portal/questions/new?invoice={invoice["id"]}"' in signed_in.page(f"/portal/invoices/{invoice['id']}")


def test_matching_answers_are_shown_before_the_question_is_sent(signed_in, services):
    question = {"question-subject": "How do I pay my invoice?",
                "question-message": "Can I pay by bank transfer with the payment reference?"}
    r = signed_in.submit("/portal/questions/new", data=question)
    assert r.status_code == 200
    page = text(r)
    assert "Always use the payment reference" in page and "Send my question anyway" in page
    assert act(services, support.queue) == []  # most questions end here
    r = signed_in.submit("/portal/questions/new", data={**question, "question-checked": "1"})
    assert r.status_code == 303
    assert len(act(services, support.queue)) == 1


def test_the_help_page_lists_ones_questions_and_offers_to_ask(signed_in, services):
    location = ask(signed_in, "/portal/questions/new").headers["Location"]
    page = signed_in.page("/portal/help")
    assert f'href="{location}"' in page and "Where is my parcel?" in page and "We answer by" in text_of(page)
    assert 'href="/portal/questions/new"' in page


def text_of(html: str) -> str:
    import re
    from html import unescape
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
