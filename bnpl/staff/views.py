"""The mediators' back office: server-rendered pages under /staff.

Signed in with a cookie session, so every form carries a CSRF token (checked here, for this
blueprint only: the merchant API authenticates with a key, not a cookie). Pages run under a
strict Content-Security-Policy: no scripts, no inline styles, one stylesheet of our own.
Pages speak Dutch or English: the member's choice (``?lang=``, kept in a cookie for this
browser), else the installation's BNPL_STAFF_LANGUAGE (Dutch by default).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request,
                   session, url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from bnpl import errors, i18n
from bnpl.disputes import service as disputes
from bnpl.disputes.evidence import EvidenceFile, body_limit
from bnpl.disputes.models import OUTCOMES, SUSPICIOUS_REASONS
from bnpl.errors import DomainError, InvalidInput
from bnpl.merchants import service as merchants
from bnpl.resources import TEMPLATES
from bnpl.staff import accounts, service, words
from bnpl.support import service as support
from bnpl.staff.forms import (AskForm, ButtonForm, CallerForm, CallNoteForm, ChoiceForm, DecisionForm, LoginForm,
                              MessageForm, NewCaseForm, NoteForm, PeriodForm, RefuseForm, ReviewDecisionForm,
                              SendBackForm)
from bnpl.staff.models import ADMIN, DESK, MEDIATOR, RISK
from bnpl.staff.models import LANGUAGES as STAFF_LANGUAGES
from bnpl.i18n import N_
from bnpl.web import language
from bnpl.web.language import gettext as _
from bnpl.web.api import handed_in_file_response
from bnpl.web.context import current_uow, services

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder=str(TEMPLATES),
               static_folder=str(TEMPLATES / "staff" / "static"), static_url_path="/static")
csrf = CSRFProtect()
STATISTICS_DAYS = 90  # the default period, as the merchant API's statistics
UPLOADS = {"staff.intake_case"}  # the pages whose forms carry evidence files
LANGUAGES = dict(zip(STAFF_LANGUAGES, ("Nederlands", "English")))  # German pages fall back to English
LANGUAGE_COOKIE = "bnpl_staff_language"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def configure(app) -> None:
    """The app-wide settings the back office relies on: cookie flags, session length, CSRF."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.extensions["bnpl"].settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=service.SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _before for /staff only
        # The token lives in the session, which ends at sign-out or after SESSION_LIFETIME; a
        # shorter limit would throw away a decision typed out over a long afternoon.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _unrouted(error: HTTPException):
        # An address that matched no route belongs to no blueprint: answer /staff/… as a page.
        if request.path == "/staff" or request.path.startswith("/staff/"):
            _choose_language()
            return _headers(make_response(_page_error(error)))
        return errors.http_exception_problem(error)


# --- who is signed in ---------------------------------------------------------------------

@bp.before_request
def _before():
    if request.endpoint == "staff.static":
        return
    _choose_language()
    if request.endpoint in UPLOADS:  # before the CSRF check reads the form
        request.max_content_length = body_limit(services().settings.disputes)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    g.staff = accounts.member_of_session(current_uow(), token=session.get("staff_session"))
    if g.staff is None and "staff_session" in session:
        session.clear()  # expired, signed out elsewhere, or the account was made inactive
    if g.staff is not None:
        _members_language(g.staff)


def _choose_language() -> None:
    language.choose(languages=tuple(LANGUAGES), cookie=LANGUAGE_COOKIE, default=services().settings.staff_language)


def _members_language(member) -> None:
    """A signed-in member reads the language kept on their account, in any browser; one asked
    for in the address is kept there (and in this browser's cookie, for the sign-in page)."""
    if g.get("keep_language"):
        uow = current_uow()
        if accounts.choose_language(uow, member=member, language=g.keep_language):
            uow.commit()
    elif member.language in LANGUAGES:
        g.language = member.language
        if request.cookies.get(LANGUAGE_COOKIE) != member.language:
            g.keep_language = member.language


def staff_required(role: str | None = None):
    """The view needs a signed-in member (else: the sign-in page, then back) with the role."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.staff is None:
                back = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for(".login", next=back), code=303)
            if not g.staff.may_act_as(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path inside the back office, else None: never send someone
    signing in on to another site (//evil.example, /\\evil.example, https://…)."""
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/staff" or parts.path.startswith("/staff/")):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.staff is not None and request.method == "GET":
        return redirect(url_for(".queue"))
    form = LoginForm(next=request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 422 if form.is_submitted() else 200
    uow = current_uow()
    try:
        member = service.sign_in(uow, email=form.email.data, password=form.password.data)
    except service.SignInFailed as exc:
        uow.commit()  # the failure count must outlive the refused sign-in
        return render_template("staff/login.html", form=form, error=words.refusal(exc.detail)), exc.status
    token = accounts.start_session(uow, member=member)
    uow.commit()
    session.clear()  # nothing from before the sign-in carries over (session fixation)
    session.permanent = True
    session["staff_session"] = token  # only names the server's session: revoked there, it is worthless
    return redirect(local_path(form.next.data) or url_for(".queue"), code=303)


@bp.post("/logout")
def logout():
    uow = current_uow()
    accounts.end_session(uow, token=session.get("staff_session"))
    uow.commit()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for(".login"), code=303)


# --- the queue, statistics and a new case -------------------------------------------------

@bp.get("/")
@staff_required()
def queue():
    if not g.staff.may_act_as(MEDIATOR):  # risk and support staff start at their own queue
        return redirect(url_for(".questions" if g.staff.may_act_as(DESK) else ".reviews"))
    include_closed = request.args.get("closed") == "1"
    rows = disputes.queue(current_uow(), include_closed=include_closed)
    return render_template("staff/queue.html", rows=rows, include_closed=include_closed)


@bp.get("/statistics")
@staff_required()
def statistics():
    form = PeriodForm(formdata=request.args or None)
    uow = current_uow()
    form.validate()  # a day that is not a (plausible) date is shown at its field; the default is used instead
    until = (None if form.until.errors else form.until.data) or uow.today()
    since = (None if form.since.errors else form.since.data) or until - timedelta(days=STATISTICS_DAYS - 1)
    for field, day in ((form.since, since), (form.until, until)):
        if not field.errors:
            field.data, field.raw_data = day, None  # the period shown is the one used
    try:
        rows, error = disputes.statistics(uow, since=since, until=until), None
        acceptance = service.acceptance_statistics(uow, since=since, until=until)
        first, last = support.statistics_period(uow, since=since, until=until)  # at most a year
        promises = support.promise_statistics(uow, since=first, until=last)
    except DomainError as exc:
        rows, acceptance, promises, error = [], [], [], show_errors(form, exc)
    return render_template("staff/statistics.html", form=form, rows=rows, since=since, until=until, error=error,
                           outcomes=OUTCOMES, acceptance=acceptance, promises=promises), 422 if error else 200


@bp.route("/cases/new", methods=["GET", "POST"])
@staff_required(DESK)
def new_case():
    """A consumer phoned: find and confirm them (support's intake) before anything is shown."""
    form = CallerForm()
    if not form.validate_on_submit():
        return render_template("staff/intake.html", form=form), 422 if form.is_submitted() else 200
    uow = current_uow()
    try:
        intake_id = support.find_caller(uow, staff_id=g.staff.id, lookup=support.Lookup(
            invoice_number=form.invoice_number.data or "", email=form.email.data or "", phone=form.phone.data or "",
            postcode=form.postcode.data or "", birth_date=form.birth_date.data))
    except DomainError as exc:
        uow.commit()  # a lookup that matched nobody still counts against the member's limit
        return render_template("staff/intake.html", form=form, error=show_errors(form, exc)), exc.status
    uow.commit()
    return redirect(url_for(".intake", intake_id=intake_id), code=303)


@bp.get("/intake/<intake_id>")
@staff_required(DESK)
def intake(intake_id):
    call = support.open_call(current_uow(), intake_id=intake_id, staff_id=g.staff.id)
    if call.caller is None:
        return render_template("staff/intake_choice.html", call=call)
    return _intake_page(intake_id, NewCaseForm(formdata=None))


@bp.post("/intake/<intake_id>/invoice")
@staff_required(DESK)
def intake_invoice(intake_id):
    form = ChoiceForm()
    if not form.validate_on_submit():
        abort(400)
    uow = current_uow()
    support.choose_invoice(uow, intake_id=intake_id, staff_id=g.staff.id, invoice_id=form.invoice_id.data)
    uow.commit()
    return redirect(url_for(".intake", intake_id=intake_id), code=303)


@bp.post("/intake/<intake_id>/case")
@staff_required(MEDIATOR)
def intake_case(intake_id):
    form = NewCaseForm()
    if not form.validate_on_submit():
        return _intake_page(intake_id, form, status=422)
    case = disputes.NewDispute(
        reason=form.reason.data, description=form.description.data,
        contacted_merchant_on=form.contacted_merchant_on.data,
        evidence=tuple(EvidenceFile(filename=f.filename, content=f.read()) for f in form.evidence.data or () if f.filename))
    uow = current_uow()
    try:
        dispute = support.open_case(uow, intake_id=intake_id, staff_id=g.staff.id, actor=service.acting(g.staff),
                                    case=case)
    except DomainError as exc:
        uow.rollback()
        return _intake_page(intake_id, form, error=show_errors(form, exc), status=exc.status)
    uow.commit()
    flash(_("Case opened about invoice %(number)s; the webshop has been asked to answer.")
          % {"number": dispute.invoice_number}, "success")
    return redirect(url_for(".case", dispute_id=dispute.id), code=303)


@bp.post("/intake/<intake_id>/note")
@staff_required(DESK)
def intake_note(intake_id):
    form = CallNoteForm(prefix="note")
    if not form.validate_on_submit():
        return _intake_page(intake_id, NewCaseForm(formdata=None), note_form=form, status=422)
    uow = current_uow()
    try:
        support.note_call(uow, intake_id=intake_id, staff_id=g.staff.id, staff_name=g.staff.name,
                          message=form.message.data)
    except DomainError as exc:
        uow.rollback()
        return _intake_page(intake_id, NewCaseForm(formdata=None), note_form=form, error=show_errors(form, exc),
                            status=exc.status)
    uow.commit()
    flash(_("Note saved with the consumer's questions."), "success")
    return redirect(url_for(".intake", intake_id=intake_id), code=303)


def _intake_page(intake_id: str, form, *, note_form=None, error: str | None = None, status: int = 200):
    caller = support.confirmed_caller(current_uow(), intake_id=intake_id, staff_id=g.staff.id)
    return render_template("staff/intake_case.html", caller=caller, form=form, error=error,
                           note_form=note_form or CallNoteForm(prefix="note", formdata=None)), status


# --- one case -----------------------------------------------------------------------------

CASE_FORMS = {"note": NoteForm, "message": MessageForm, "ask": AskForm, "decision": DecisionForm,
              "approve": ButtonForm, "send_back": SendBackForm, "admit": ButtonForm, "refuse": RefuseForm}


@bp.get("/cases/<dispute_id>")
@staff_required(MEDIATOR)
def case(dispute_id):
    return _case_page(dispute_id)


@bp.post("/cases/<dispute_id>/notes")
@staff_required(MEDIATOR)
def add_note(dispute_id):
    return _act(dispute_id, "note", N_("Internal note added."), lambda uow, form: disputes.add_note(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff), message=form.message.data))


@bp.post("/cases/<dispute_id>/messages")
@staff_required(MEDIATOR)
def post_message(dispute_id):
    return _act(dispute_id, "message", N_("Message sent to both sides."), lambda uow, form: disputes.post_message(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff), message=form.message.data))


@bp.post("/cases/<dispute_id>/questions")
@staff_required(MEDIATOR)
def ask(dispute_id):
    return _act(dispute_id, "ask", N_("Question sent; the case waits for the answer."), lambda uow, form: disputes.ask(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff), party=form.party.data, message=form.message.data))


@bp.post("/cases/<dispute_id>/decision")
@staff_required(MEDIATOR)
def decide(dispute_id):
    return _act(dispute_id, "decision", N_("Decision saved."), lambda uow, form: disputes.decide(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff), outcome=form.outcome.data,
        reasons=form.reasons.data, amount=form.amount.data))


@bp.post("/cases/<dispute_id>/approval")
@staff_required(MEDIATOR)
def approve(dispute_id):
    return _act(dispute_id, "approve", N_("Decision approved."), lambda uow, form: disputes.approve(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff)))


@bp.post("/cases/<dispute_id>/send-back")
@staff_required(MEDIATOR)
def send_back(dispute_id):
    return _act(dispute_id, "send_back", N_("Decision sent back to review."), lambda uow, form: disputes.send_back(
        uow, dispute_id=dispute_id, actor=service.acting(g.staff), message=form.message.data))


@bp.post("/cases/<dispute_id>/admission")
@staff_required(MEDIATOR)
def admit(dispute_id):
    return _act(dispute_id, "admit", N_("Case opened again; the invoice is paused and the webshop asked."),
                lambda uow, form: disputes.admit(uow, dispute_id=dispute_id, actor=service.acting(g.staff)))


@bp.post("/cases/<dispute_id>/refusal")
@staff_required(MEDIATOR)
def refuse(dispute_id):
    return _act(dispute_id, "refuse", N_("Not opened again; the earlier decision stands."),
                lambda uow, form: disputes.refuse(uow, dispute_id=dispute_id, actor=service.acting(g.staff),
                                                  reasons=form.reasons.data))


@bp.get("/cases/<dispute_id>/evidence/<evidence_id>")
@staff_required(MEDIATOR)
def evidence(dispute_id, evidence_id):
    uow = current_uow()
    item = disputes.evidence_file(uow, dispute=disputes.get_case(uow, dispute_id=dispute_id),
                                  evidence_id=evidence_id, staff=True)
    return handed_in_file_response(content=item.content, content_type=item.content_type, filename=item.filename)


def _act(dispute_id: str, name: str, done: str, call):
    """One form of the case page: valid and accepted -> back to the page with a message;
    otherwise the page again, that form filled in as it was sent and its errors shown."""
    form = CASE_FORMS[name](prefix=name)
    if not form.validate_on_submit():
        return _case_page(dispute_id, bound=(name, form), status=422)
    uow = current_uow()
    try:
        call(uow, form)
    except DomainError as exc:
        uow.rollback()
        return _case_page(dispute_id, bound=(name, form), error=show_errors(form, exc), status=exc.status)
    uow.commit()
    flash(_(done), "success")
    return redirect(url_for(".case", dispute_id=dispute_id), code=303)


def _case_page(dispute_id: str, *, bound=None, error: str | None = None, status: int = 200):
    forms = {name: cls(prefix=name, formdata=None) for name, cls in CASE_FORMS.items()}
    if bound:
        forms[bound[0]] = bound[1]
    file = service.case_file(current_uow(), dispute_id=dispute_id, member=g.staff)
    return render_template("staff/case.html", file=file, forms=forms, bound=bound and bound[0], error=error,
                           suspicious=SUSPICIOUS_REASONS), status


# --- whose: the webshop's logo in the banner ------------------------------------------------

@bp.get("/shops/<merchant_id>/logo")
@staff_required()
def shop_logo(merchant_id):
    """The webshop's stored logo; without one, a badge with its initials (drawn here, escaped)."""
    name, data, media_type = merchants.logo(current_uow(), merchant_id=merchant_id)
    if data is None:
        data, media_type = initials_badge(name).encode(), "image/svg+xml"
    response = make_response(data)
    response.headers.update({"Content-Type": media_type, "Cache-Control": "private, max-age=300",
                             "Content-Security-Policy": "default-src 'none'"})
    return response


def initials(name: str) -> str:
    """The first letters of a name's first two words: 'Fietsenwinkel Utrecht' -> 'FU'."""
    words_ = ["".join(c for c in word if c.isalnum()) for word in name.split()]
    return "".join(word[0] for word in words_ if word)[:2].upper() or "?"


def initials_badge(name: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
            '<rect width="40" height="40" rx="8" fill="#ffffff"/>'
            '<text x="20" y="26" text-anchor="middle" font-family="system-ui, sans-serif" font-size="16" '
            f'font-weight="700" fill="#1f2933">{escape(initials(name))}</text></svg>')


# --- reviews of credit decisions and the acceptance policy (the risk role) ------------------

@bp.get("/reviews")
@staff_required(RISK)
def reviews():
    return render_template("staff/reviews.html", rows=service.review_queue(current_uow()))


@bp.get("/reviews/<review_id>")
@staff_required(RISK)
def review(review_id):
    return _review_page(review_id)


@bp.post("/reviews/<review_id>/decision")
@staff_required(RISK)
def decide_review(review_id):
    form = ReviewDecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return _review_page(review_id, form=form, status=422)
    uow = current_uow()
    try:
        service.decide_review(uow, member=g.staff, review_id=review_id, change=form.outcome.data == "change",
                              reasons=form.reasons.data, limit_cents=form.limit.data)
    except DomainError as exc:
        uow.rollback()
        return _review_page(review_id, form=form, error=show_errors(form, exc), status=exc.status)
    uow.commit()
    flash(_("Review decided; the consumer is e-mailed and the webshop told."), "success")
    return redirect(url_for(".review", review_id=review_id), code=303)


def _review_page(review_id: str, *, form=None, error: str | None = None, status: int = 200):
    file = service.review_file(current_uow(), review_id=review_id, language=language.language())
    return render_template("staff/review.html", file=file,
                           form=form or ReviewDecisionForm(prefix="decision", formdata=None), error=error,
                           bound=form is not None), status


@bp.get("/policy")
@staff_required(RISK)
def policy():
    return render_template("staff/policy.html", page=service.policy_page(current_uow()))


def show_errors(form, exc: DomainError) -> str:
    """A service's refusal on the form, in the page's language: field messages at their fields,
    the others as the page's error (a whole refusal, or a note to look at the fields)."""
    unplaced = []
    for path, messages in exc.extra.get("errors", {}).items():
        parts = path.split(".")
        field = form._fields.get(parts[0]) or form._fields.get(parts[-1])  # address.city: the city field
        texts = [words.refusal(message) for message in messages]
        if field is not None:
            field.errors = [*field.errors, *texts]
        else:
            unplaced += texts
    if isinstance(exc, InvalidInput):
        return " ".join(unplaced) or _("Check the fields below.")
    return words.refusal(exc.detail)


# --- what every page shares ---------------------------------------------------------------

@bp.context_processor
def _shared():
    return {"member": g.get("staff"), "button_form": ButtonForm(formdata=None), "money": _money, "when": _when,
            "words": words, "word": words.word, "duration": words.duration, "value": words.value,
            "MEDIATOR": MEDIATOR, "RISK": RISK, "ADMIN": ADMIN, "DESK": DESK,
            "number": lambda value, pattern="#,##0.##": i18n.format_number(value, language.language(), pattern),
            "language": language.language(),
            "languages": language.links(LANGUAGES, fallback=url_for("staff.queue"))}


def _money(cents: int | None, currency: str = "EUR") -> str:
    return "" if cents is None else i18n.format_money(cents, currency, language.language())


def _when(instant: datetime | str | None) -> str:
    """A timestamp (or one as ISO text, from a timeline entry's data) in the business timezone."""
    if not instant:
        return ""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant.astimezone(ZoneInfo(services().settings.timezone)).strftime("%d-%m-%Y %H:%M")


@bp.after_request
def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)  # an evidence download keeps its stricter policy
    if request.endpoint != "staff.static":  # the stylesheet holds nothing private; pages do
        response.headers.setdefault("Cache-Control", "no-store")
    return language.keep(response, cookie=LANGUAGE_COOKIE, path="/staff",
                         secure=services().settings.base_url.startswith("https://"))


@bp.errorhandler(Exception)
def _page_error(error: Exception):
    """Errors as a page of the back office: never a JSON problem, never a stack trace."""
    if isinstance(error, DomainError):
        title, detail, status = words.refusal(error.title), words.refusal(error.detail), error.status
    elif isinstance(error, CSRFError):
        title, detail, status = (_("The form could not be accepted"),
                                 _("It was not sent from this page or it has expired. Go back, reload the page "
                                   "and send it again."), 400)
    elif isinstance(error, HTTPException):
        title, detail, status = words.refusal(error.name), words.refusal(error.description), error.code or 500
    else:
        log.exception("unhandled error on a staff page")
        current_uow().rollback()  # the page below still reads the signed-in member
        title, detail, status = _("Internal error"), _("Something went wrong on our side; nothing was changed."), 500
    return render_template("staff/error.html", title=title, detail=detail), status


from bnpl.staff import admin_views  # noqa: E402,F401  (the admin's pages register on bp)
from bnpl.staff import question_views  # noqa: E402,F401  (the questions' pages too)
