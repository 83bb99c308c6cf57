"""The questions queue in the back office: sorted by the moment we promised, with the office
time left in words; a question's page names whose it is and where; the answer's button too."""
from html import unescape

from bnpl.support import service
from tests import factories
from tests.disputes.cases import act, consumer_of
from tests.payments.flows import ship


def ask(services, invoice, *, about=True, subject="Where is my parcel?"):
    return act(services, service.ask, consumer_id=consumer_of(services, invoice["id"]), subject=subject,
               message="I paid but nothing arrived yet.", invoice_id=invoice["id"] if about else None).id


def page(browser, path) -> str:
    r = browser.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return unescape(r.get_data(as_text=True))


def test_the_queue_lists_questions_by_due_moment_with_time_left(signed_in, services, clock, api, other_api):
    general = ask(services, ship(api), about=False, subject="How do I pay by bank transfer?")
    clock.advance(hours=1)
    ask(services, ship(other_api, consumer=factories.consumer(email="pieter@example.nl", name="Pieter Bakker")),
        subject="Wrong size delivered")
    html = page(signed_in, "/staff/questions")
    assert html.index("How do I pay by bank transfer?") < html.index("Wrong size delivered")
    assert "7 h left" in html and "8 h left" in html
    assert "Boekhandel Groningen" in html and "General question" in html and "Pieter Bakker" in html
    assert f'href="/staff/questions/{general}"' in html


def test_answering_names_consumer_and_webshop_and_empties_the_queue(signed_in, services, api):
    thread_id = ask(services, ship(api))
    html = page(signed_in, f"/staff/questions/{thread_id}")
    assert 'class="tenant-banner"' in html and "Fietsenwinkel Utrecht" in html
    assert "Send the answer to Sanne de Vries about Fietsenwinkel Utrecht" in html
    r = signed_in.submit(f"/staff/questions/{thread_id}", f"/staff/questions/{thread_id}/answer",
                         {"answer-message": "Your parcel is with the carrier and arrives tomorrow."})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "arrives tomorrow" in page(signed_in, f"/staff/questions/{thread_id}")
    assert "No questions are waiting" in page(signed_in, "/staff/questions")


def test_an_empty_answer_is_refused_at_its_field(signed_in, services, api):
    thread_id = ask(services, ship(api))
    r = signed_in.submit(f"/staff/questions/{thread_id}", f"/staff/questions/{thread_id}/answer",
                         {"answer-message": ""})
    assert r.status_code == 422 and 'id="answer-message-error"' in r.get_data(as_text=True)


def test_the_questions_need_a_signed_in_member(browser, services, api):
    thread_id = ask(services, ship(api))
    for path in ("/staff/questions", f"/staff/questions/{thread_id}"):
        assert browser.get(path).status_code == 303


def test_the_page_shows_promises_kept_per_week_and_the_median_first_answer(signed_in, services, clock, api):
    thread_id = ask(services, ship(api))
    clock.advance(hours=2)
    act(services, service.answer, thread_id=thread_id, staff_id="stf_anna", staff_name="Anna", message="Done.")
    html = page(signed_in, "/staff/questions")
    assert "Promises kept" in html and "23-11-2026" in html and "100 %" in html and "2 h" in html


def test_a_question_about_a_purchase_is_passed_to_its_webshop(signed_in, services, api):
    thread_id = ask(services, ship(api))
    html = page(signed_in, f"/staff/questions/{thread_id}")
    assert "Pass the question of Sanne de Vries to Fietsenwinkel Utrecht" in html
    r = signed_in.submit(f"/staff/questions/{thread_id}", f"/staff/questions/{thread_id}/pass", {})
    assert r.status_code == 303
    assert [item["id"] for item in api.get("/conversations").json["items"]] == [thread_id]
    assert "Passed to Fietsenwinkel Utrecht" in page(signed_in, f"/staff/questions/{thread_id}")
