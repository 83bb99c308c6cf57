"""The consumers' questions in the back office (on the staff blueprint): the queue by the
moment we promised to answer, a question's page, the answer. Parse, call support, render."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, url_for

from bnpl.errors import DomainError
from bnpl.staff import words
from bnpl.staff.forms import AnswerForm, ButtonForm
from bnpl.staff.models import DESK
from bnpl.staff.views import bp, show_errors, staff_required
from bnpl.support import service as support
from bnpl.web.context import current_uow
from bnpl.web.language import gettext as _


@bp.get("/questions")
@staff_required(DESK)
def questions():
    uow = current_uow()
    since, until = support.statistics_period(uow, since=None, until=None)
    weeks = support.promise_statistics(uow, since=since, until=until)
    return render_template("staff/questions.html", rows=support.queue(uow), weeks=weeks, left=office_time)


@bp.get("/questions/<thread_id>")
@staff_required(DESK)
def question(thread_id):
    return _question_page(thread_id, AnswerForm(prefix="answer", formdata=None))


@bp.post("/questions/<thread_id>/answer")
@staff_required(DESK)
def answer_question(thread_id):
    form = AnswerForm(prefix="answer")
    if not form.validate_on_submit():
        return _question_page(thread_id, form, status=422)
    uow = current_uow()
    try:
        support.answer(uow, thread_id=thread_id, staff_id=g.staff.id, staff_name=g.staff.name,
                       message=form.message.data)
    except DomainError as exc:
        uow.rollback()
        return _question_page(thread_id, form, error=show_errors(form, exc), status=exc.status)
    uow.commit()
    flash(_("Answer sent."), "success")
    return redirect(url_for(".question", thread_id=thread_id), code=303)


@bp.post("/questions/<thread_id>/pass")
@staff_required(DESK)
def pass_question(thread_id):
    form = ButtonForm()
    if not form.validate_on_submit():
        return _question_page(thread_id, AnswerForm(prefix="answer", formdata=None), status=422)
    uow = current_uow()
    try:
        support.pass_to_merchant(uow, thread_id=thread_id, staff_id=g.staff.id, staff_name=g.staff.name)
    except DomainError as exc:
        uow.rollback()
        return _question_page(thread_id, AnswerForm(prefix="answer", formdata=None), error=words.refusal(exc.detail),
                              status=exc.status)
    uow.commit()
    flash(_("Passed to the webshop; its answer will appear here."), "success")
    return redirect(url_for(".question", thread_id=thread_id), code=303)


def _question_page(thread_id: str, form, *, error: str | None = None, status: int = 200):
    page = support.thread_page(current_uow(), thread_id=thread_id)
    return render_template("staff/question.html", page=page, form=form, error=error), status


def office_time(left: timedelta) -> str:
    """Office time left, in words: '7 h 30 min left', or how long overdue."""
    if left < timedelta(0):
        return _("overdue by %(time)s") % {"time": words.hours_and_minutes(left)}
    return _("%(time)s left") % {"time": words.hours_and_minutes(left)}
