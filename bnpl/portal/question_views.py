"""Asking a question in the portal (on the portal blueprint): parse, call one use case of
bnpl/portal/questions.py, render."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from bnpl.portal import faq, questions
from bnpl.portal.forms import QuestionForm, ReplyQuestionForm
from bnpl.portal.views import _attempt, _show_errors, bp, render, signed_in
from bnpl.portal.words import gettext as _
from bnpl.web.context import current_uow, services


@bp.route("/questions/new", methods=["GET", "POST"])
@signed_in
def ask_question():
    invoice_id = request.args.get("invoice") or None
    webshop = questions.about(current_uow(), viewer=g.viewer, invoice_id=invoice_id)
    form = QuestionForm(prefix="question")
    if not form.validate_on_submit():
        return _new_page(form, webshop, status=422 if form.is_submitted() else 200)
    answers = [] if form.checked.data == "1" else faq.suggest(services().settings, f"{form.subject.data} "
                                                                                     f"{form.message.data}")
    if answers:  # most questions end here; the consumer may still send theirs
        form.checked.data = "1"
        return _new_page(form, webshop, answers=answers)
    thread, refused = _attempt(
        lambda uow: questions.ask(uow, viewer=g.viewer, invoice_id=invoice_id, subject=form.subject.data,
                                  message=form.message.data),
        lambda exc: _new_page(form, webshop, error=_show_errors(form, exc), status=exc.status))
    if refused:
        return refused
    flash(_("Your question is sent."), "success")
    return redirect(url_for("portal.question", thread_id=thread.id), code=303)


@bp.get("/questions/<thread_id>")
@signed_in
def question(thread_id):
    return _question_page(thread_id, ReplyQuestionForm(prefix="reply", formdata=None))


@bp.post("/questions/<thread_id>/reply")
@signed_in
def reply_question(thread_id):
    form = ReplyQuestionForm(prefix="reply")
    if not form.validate_on_submit():
        return _question_page(thread_id, form, status=422)
    _done, refused = _attempt(
        lambda uow: questions.reply(uow, viewer=g.viewer, thread_id=thread_id, message=form.message.data),
        lambda exc: _question_page(thread_id, form, error=_show_errors(form, exc), status=exc.status))
    if refused:
        return refused
    flash(_("Your message is added."), "success")
    return redirect(url_for("portal.question", thread_id=thread_id), code=303)


def _new_page(form, webshop: str | None, *, answers=(), error: str | None = None, status: int = 200):
    return render("portal/question_new.html", status, form=form, webshop=webshop, error=error, answers=answers,
                  promise_days=services().settings.support.email_working_days)


def _question_page(thread_id: str, form, *, error: str | None = None, status: int = 200):
    page = questions.question(current_uow(), viewer=g.viewer, thread_id=thread_id)
    return render("portal/question.html", status, page=page, form=form, error=error)
