"""Uw bestedingsruimte: a consumer sees what they may have open at once at all webshops, what
is open, what is left, and why, in Dutch, English or German; a declined consumer sees the
reasons and asks a person to look at the decision again (CCD2), once per decision."""
import pytest
from sqlalchemy import select

from bnpl.consumers.models import Consumer
from bnpl.risk import service as risk
from bnpl.risk.models import Review
from bnpl.uow import unit_of_work
from tests import factories
from tests.portal.conftest import EMAIL, POSTCODE, csrf_token, text

WHY = {  # the sentences of bnpl/risk/texts.py ROOM_TEXTS, as each language reads them
    "nl": ("Uw bestedingsruimte", "Wij kennen u nog niet zo lang"),
    "en": ("Your spending room", "We have not known you for long"),
    "de": ("Ihr Ausgaberahmen", "Wir kennen Sie noch nicht lange"),
}


def consumer_id(services, email=EMAIL) -> str:
    with services.sessionmaker() as session:
        return session.scalar(select(Consumer.id).where(Consumer.email == email))


def close_limit(services, email=EMAIL) -> None:
    with unit_of_work(services) as uow:
        risk.close_limit(uow, consumer_id=consumer_id(services, email), livemode=False, because="handed_over")


def declined_order(api, **fields) -> dict:
    r = api.post("/orders", json=factories.order(**fields))
    assert r.status_code == 201 and r.json["status"] == "declined", r.json
    return r.json


@pytest.mark.parametrize("language", ["nl", "en", "de"])
def test_the_room_shows_the_limit_what_is_open_and_what_is_left_and_why(signed_in, invoice, language):
    page = text(signed_in.get(f"/portal/room?lang={language}"))
    heading, why = WHY[language]
    assert heading in page and why in page
    limit = {"nl": "€ 300,00", "en": "€300.00", "de": "300,00 €"}[language]
    left = {"nl": "€ {:,.2f}", "en": "€{:,.2f}", "de": "{:,.2f} €"}[language]
    left_cents = 30_000 - invoice["total"]
    shown_left = left.format(left_cents / 100)
    if language != "en":
        shown_left = shown_left.replace(",", "X").replace(".", ",").replace("X", ".")
    assert limit in page and shown_left in page


def test_the_purchases_page_links_to_the_room(signed_in):
    assert 'href="/portal/room"' in signed_in.page("/portal/")


def test_the_room_grows_with_invoices_paid_on_time(signed_in, services):
    with unit_of_work(services) as uow:
        risk.invoice_paid(uow, consumer_id=consumer_id(services), livemode=False, on_time=True, paid_on=uow.today())
    page = text(signed_in.get("/portal/room?lang=en"))
    assert "You paid 1 invoices on time" in page and "€400.00" in page


@pytest.mark.parametrize("on_time, because", [(False, "After a late payment your room does not grow"),
                                              (None, "Your room is closed after a hand-over")])
def test_the_room_says_when_it_is_held_or_closed(signed_in, services, on_time, because):
    with unit_of_work(services) as uow:
        if on_time is None:
            risk.close_limit(uow, consumer_id=consumer_id(services), livemode=False, because="handed_over")
        else:
            risk.invoice_paid(uow, consumer_id=consumer_id(services), livemode=False, on_time=False,
                              paid_on=uow.today())
    assert because in text(signed_in.get("/portal/room?lang=en"))


def test_one_invoice_opened_by_number_and_postcode_does_not_show_the_room(browser, invoice):
    r = browser.submit("/portal/sign-in", "/portal/sign-in/invoice",
                       {"invoice-number": invoice["number"], "invoice-postal_code": POSTCODE})
    assert r.status_code == 303
    r = browser.get("/portal/room")
    assert r.status_code == 403 and "sign in with the link" in text(r)


def test_a_declined_order_is_listed_with_its_reasons_and_can_be_reviewed(signed_in, services, api):
    close_limit(services)
    decision_id = declined_order(api)["decision"]["id"]
    page = text(signed_in.get("/portal/room?lang=nl"))
    assert "Een onbetaalde factuur van u is uit handen gegeven aan een incassobureau." in page  # the reason
    assert "Uw bestedingsruimte is gesloten na een overdracht aan een incassobureau" in page  # the room's why
    assert f'/portal/room/declined/{decision_id}/review' in signed_in.page("/portal/room")

    review_page = f"/portal/room/declined/{decision_id}/review"
    r = signed_in.submit(review_page, data={"review-message": "The collection agency was paid in full last week."})
    assert r.status_code == 303 and r.headers["Location"].endswith("/portal/room")
    with services.sessionmaker() as session:
        review = session.scalar(select(Review).where(Review.decision_id == decision_id))
    assert (review.status, review.message) == ("requested", "The collection agency was paid in full last week.")
    assert "You asked for a review on" in text(signed_in.get("/portal/room?lang=en"))


def test_a_second_request_for_the_same_decision_is_refused_clearly(signed_in, services, api):
    close_limit(services)
    review_page = f"/portal/room/declined/{declined_order(api)['decision']['id']}/review"
    token = csrf_token(signed_in.page(review_page))  # the form, as a second tab still shows it
    assert signed_in.submit(review_page, data={"review-message": "Please look again."}).status_code == 303

    again = signed_in.client.post(review_page, data={"csrf_token": token, "review-message": "Once more."})
    assert again.status_code == 409 and "A review of this decision was already asked for." in text(again)
    dutch = signed_in.client.post(review_page + "?lang=nl", data={"csrf_token": token, "review-message": "Nog eens."})
    assert "U heeft al om een herbeoordeling van deze beslissing gevraagd." in text(dutch)
    with services.sessionmaker() as session:
        assert [r.message for r in session.scalars(select(Review))] == ["Please look again."]
    assert "Send the request" not in text(signed_in.get(review_page))  # the page shows the request instead


def test_a_message_is_required(signed_in, services, api):
    close_limit(services)
    review_page = f"/portal/room/declined/{declined_order(api)['decision']['id']}/review"
    r = signed_in.submit(review_page, data={"review-message": ""})
    assert r.status_code == 422 and "Tell us what we should look at again." in text(r)


def test_someone_elses_decision_is_not_found(signed_in, services, other_api):
    stranger = factories.consumer(email="jan.jansen@example.nl", name="Jan Jansen")
    other_api.post("/orders", json=factories.order(consumer=stranger))
    close_limit(services, "jan.jansen@example.nl")
    theirs = declined_order(other_api, consumer=stranger)["decision"]["id"]
    assert signed_in.get(f"/portal/room/declined/{theirs}/review").status_code == 404
    r = signed_in.client.post(f"/portal/room/declined/{theirs}/review", data={
        "csrf_token": csrf_token(signed_in.page("/portal/room")), "review-message": "Let me in."})
    assert r.status_code == 404
    with services.sessionmaker() as session:
        assert session.scalars(select(Review)).all() == []


def test_an_accepted_order_has_nothing_to_review(signed_in, services, api):
    accepted = api.post("/orders", json=factories.order()).json
    assert accepted["status"] == "accepted"
    assert signed_in.get(f"/portal/room/declined/{accepted['decision']['id']}/review").status_code == 404
