"""The consumer portal: server-rendered pages under /portal.

Who looks is the remembered device: a cookie (``bnpl_portal_device``) set after signing in
by an e-mailed link or with an invoice number and postcode. Every form carries a CSRF token
(checked here, for this blueprint). Pages work without JavaScript, run under a strict
Content-Security-Policy (no scripts, no inline styles, one stylesheet of our own) and speak
Dutch, English or German: the reader's choice (``?lang=``, kept in a cookie), else the best
match for their browser, else Dutch.

Each view parses its form, calls one function of bnpl.portal.service and renders or
redirects: the rules are the services'. Someone else's invoice or case is not found (404),
as a page.
"""
from __future__ import annotations

import ipaddress
import logging
from functools import wraps
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound

from bnpl import errors, geo, i18n
from bnpl.disputes import service as disputes
from bnpl.disputes.evidence import EvidenceFile, body_limit
from bnpl.errors import DomainError, InvalidInput, NotFound
from bnpl.i18n import N_
from bnpl.portal import faq, feed, service, words
from bnpl.portal import privacy, questions
from bnpl.portal.forms import (AddressForm, ButtonForm, CheckoutForm, DisputeForm, EraseForm, InvoiceSignInForm, LinkForm,
                               MandateForm, PlanChoiceForm, PlanForm, ReplyForm, ReturnForm, ReviewForm)
from bnpl.portal.words import gettext as _
from bnpl.resources import TEMPLATES
from bnpl.web.api import handed_in_file_response, stored_pdf_response
from bnpl.web import language
from bnpl.web.context import current_uow, services

log = logging.getLogger(__name__)

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder=str(TEMPLATES),
               static_folder=str(TEMPLATES / "portal" / "static"), static_url_path="/static")

DEVICE_COOKIE = "bnpl_portal_device"
LANGUAGE_COOKIE = "bnpl_portal_language"
UPLOADS = {"portal.open_dispute", "portal.reply"}  # the pages whose forms carry evidence files


def configure(app) -> None:
    """What the portal needs of the app: its own error pages for addresses under /portal that
    match no route."""
    for code, exception in ((404, RouteNotFound), (405, MethodNotAllowed)):
        app.register_error_handler(code, _unrouted(app.error_handler_spec[None][code].get(exception)))


def _unrouted(previous):
    def handler(error: HTTPException):
        # An address that matched no route belongs to no blueprint: answer /portal/… as a page.
        if request.path == "/portal" or request.path.startswith("/portal/"):
            _choose_language()
            return _headers(make_response(_page_error(error)))
        return previous(error) if previous else errors.http_exception_problem(error)
    return handler


# --- every request --------------------------------------------------------------------------

@bp.before_request
def _before():
    if request.endpoint == "portal.static":
        return
    _choose_language()
    if request.endpoint in UPLOADS:  # before the CSRF check reads the form
        request.max_content_length = body_limit(services().settings.disputes)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()
    uow = current_uow()
    g.viewer = service.viewer_of_device(uow, token=request.cookies.get(DEVICE_COOKIE))
    if g.viewer is not None:
        uow.commit()  # when the device was last seen


def _choose_language() -> None:
    language.choose(languages=words.LANGUAGES, cookie=LANGUAGE_COOKIE, default=words.DEFAULT_LANGUAGE, browser=True)


def signed_in(view):
    """The view needs a signed-in device; else the sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.viewer is None:
            return redirect(url_for("portal.sign_in"), code=303)
        return view(*args, **kwargs)
    return wrapper


def _secure() -> bool:
    return services().settings.base_url.startswith("https://")


def _csp() -> str:
    # Paying online goes on at the payment provider: the pay form's redirect must be allowed
    # to reach it. The local provider lives at BNPL_BASE_URL, our own origin unless the site
    # is reached by another name.
    base = urlsplit(services().settings.base_url)
    origin = f"{base.scheme}://{base.netloc}"
    provider = f" {origin}" if base.netloc and origin != f"{request.scheme}://{request.host}" else ""
    return (f"default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'{provider}; "
            "frame-ancestors 'none'; base-uri 'none'")


@bp.after_request
def _headers(response):
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", _csp())
        response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "portal.static":  # the stylesheet holds nothing private; pages do
        response.headers.setdefault("Cache-Control", "no-store")
    return language.keep(response, cookie=LANGUAGE_COOKIE, path="/portal", secure=_secure())


def _remember_device(response, token: str):
    response.set_cookie(DEVICE_COOKIE, token, max_age=service.DEVICE_DAYS * 86400, path="/portal",
                        secure=_secure(), httponly=True, samesite="Lax")
    return response


def _client() -> str:
    """Whom rate limits count: the address (behind BNPL_TRUSTED_PROXIES); an IPv6 address by
    its /64, which one household or one attacker gets whole."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return request.remote_addr or ""
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _attempt(call, refused):
    """A form's one service call: done, it commits and gives (result, None); refused, it rolls
    back and gives (None, the page that says why). Someone else's id stays a 404 page."""
    uow = current_uow()
    try:
        result = call(uow)
    except DomainError as exc:
        uow.rollback()
        if exc.status == 404:
            raise
        return None, refused(exc)
    uow.commit()
    return result, None


def render(template: str, status: int = 200, **context):
    return render_template(template, **_shared(), **context), status


def _shared() -> dict:
    settings = services().settings
    return {"viewer": g.get("viewer"), "language": words.language(), "languages": _language_links(),
            "provider": settings.provider, "signout_form": ButtonForm(prefix="signout", formdata=None),
            "money": words.money, "day": words.day, "in_fours": words.in_fours, "label": words.label,
            "words": words, "translate": words.gettext,
            "link_minutes": service.LINK_MINUTES, "device_days": service.DEVICE_DAYS,
            "when": lambda value: words.when(value, settings.timezone),
            "local_date": lambda value: value.astimezone(ZoneInfo(settings.timezone)).date()}


def _language_links() -> list[tuple[str, str, str]]:
    """(code, name, address of this page in that language)."""
    return language.links({code: words.LANGUAGE_NAMES[code] for code in words.LANGUAGES},
                          fallback=url_for("portal.purchases"))


# --- signing in and out ---------------------------------------------------------------------

@bp.get("/sign-in")
def sign_in():
    if g.viewer is not None and g.viewer.whole_account:  # one invoice's viewer may ask for a link to all
        return redirect(url_for("portal.purchases"))
    return _sign_in_page()


def _sign_in_page(*, link_form=None, invoice_form=None, error: str | None = None, status: int = 200):
    return render("portal/sign_in.html", status, link_form=link_form or LinkForm(prefix="link", formdata=None),
                  invoice_form=invoice_form or InvoiceSignInForm(prefix="invoice", formdata=None), error=error)


@bp.post("/sign-in/email")
def request_link():
    form = LinkForm(prefix="link")
    if not form.validate_on_submit():
        return _sign_in_page(link_form=form, status=422)
    uow = current_uow()
    try:
        service.request_link(uow, email=form.email.data, client=_client(), language=g.language)
    except DomainError as exc:
        uow.rollback()
        return _sign_in_page(link_form=form, error=_show_errors(form, exc), status=exc.status)
    uow.commit()
    return redirect(url_for("portal.link_sent"), code=303)


@bp.get("/sign-in/sent")
def link_sent():
    return render("portal/sign_in_sent.html", minutes=service.LINK_MINUTES)


@bp.post("/sign-in/invoice")
def sign_in_with_invoice():
    form = InvoiceSignInForm(prefix="invoice")
    if not form.validate_on_submit():
        return _sign_in_page(invoice_form=form, status=422)
    uow = current_uow()
    try:
        signed = service.sign_in_with_invoice(uow, number=form.number.data, postal_code=form.postal_code.data,
                                              client=_client())
    except DomainError as exc:
        uow.commit()  # a wrong postcode counts towards the limit, refused or not
        return _sign_in_page(invoice_form=form, error=_show_errors(form, exc), status=exc.status)
    uow.commit()
    response = redirect(url_for("portal.invoice", invoice_id=signed.viewer.invoice_id), code=303)
    return _remember_device(response, signed.device_token)


@bp.get("/sign-in/<token>")
def confirm_link(token):
    # Mail scanners open links to look at them: only the button below uses the link up.
    return render("portal/sign_in_confirm.html", form=ButtonForm(prefix="confirm", formdata=None), token=token)


@bp.post("/sign-in/<token>")
def redeem_link(token):
    uow = current_uow()
    try:
        signed = service.redeem_link(uow, token=token)
    except DomainError as exc:
        uow.rollback()
        return _sign_in_page(error=words.refusal(exc.detail), status=exc.status)
    uow.commit()
    return _remember_device(redirect(url_for("portal.purchases"), code=303), signed.device_token)


@bp.post("/sign-out")
def sign_out():
    uow = current_uow()
    service.forget_device(uow, token=request.cookies.get(DEVICE_COOKIE))
    uow.commit()
    flash(_("You are signed out. This device no longer opens your purchases by itself."), "success")
    response = redirect(url_for("portal.sign_in"), code=303)
    response.delete_cookie(DEVICE_COOKIE, path="/portal", secure=_secure(), httponly=True, samesite="Lax")
    return response


@bp.post("/sign-out-everywhere")
@signed_in
def sign_out_everywhere():
    uow = current_uow()
    service.forget_every_device(uow, viewer=g.viewer)
    uow.commit()
    flash(_("You are signed out on every device. To look at your purchases again, ask for a new sign-in link."),
          "success")
    response = redirect(url_for("portal.sign_in"), code=303)
    response.delete_cookie(DEVICE_COOKIE, path="/portal", secure=_secure(), httponly=True, samesite="Lax")
    return response


# --- purchases and one invoice --------------------------------------------------------------

@bp.get("/")
@signed_in
def purchases():
    uow = current_uow()
    found = service.purchases(uow, viewer=g.viewer)
    return render("portal/purchases.html", purchases=found, agenda=found.agenda, feed_form=ButtonForm(prefix="feed", formdata=None),
                  notices_form=ButtonForm(prefix="notices", formdata=None),
                  due_notices=service.wants_due_notices(uow, viewer=g.viewer), today=uow.today())


@bp.post("/due-notices")
@signed_in
def due_notices():
    uow = current_uow()
    wanted = request.form.get("wanted") == "1"
    service.set_due_notices(uow, viewer=g.viewer, wanted=wanted)
    uow.commit()
    flash(_("We e-mail you a few days before an invoice is due.") if wanted
          else _("We no longer e-mail you before an invoice is due."), "success")
    return redirect(url_for("portal.purchases"), code=303)


@bp.post("/agenda/feed")
@signed_in
def make_agenda_feed():
    uow = current_uow()
    token = service.make_agenda_feed(uow, viewer=g.viewer)
    uow.commit()
    address = url_for("portal.agenda_feed", token=token, _external=True)
    return render("portal/agenda_feed.html", address=address, webcal="webcal://" + address.split("://", 1)[1])


@bp.get("/agenda/<token>.ics")
def agenda_feed(token):
    uow = current_uow()
    viewer = service.viewer_of_feed(uow, token=token)
    if viewer is None:
        raise NotFound("There is no such calendar.")
    # A calendar app names no language of its own: the consumer's, unless the address asks.
    if request.args.get("lang") not in words.LANGUAGES:
        g.language = service.language_of(uow, viewer=viewer)
    body = feed.to_ical(service.agenda(uow, viewer=viewer), provider=services().settings.provider.name,
                        host=urlsplit(services().settings.base_url).hostname or "bnpl")
    uow.commit()  # the feed's last use
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/invoices/<invoice_id>")
@signed_in
def invoice(invoice_id):
    uow = current_uow()
    return render("portal/invoice.html", page=service.invoice_page(uow, viewer=g.viewer, invoice_id=invoice_id),
                  today=uow.today())


@bp.get("/invoices/<invoice_id>/pdf")
@signed_in
def invoice_pdf(invoice_id):
    uow = current_uow()
    return _stored_pdf(uow, service.invoice_document(uow, viewer=g.viewer, invoice_id=invoice_id))


@bp.get("/invoices/<invoice_id>/credit-notes/<credit_note_id>/pdf")
@signed_in
def credit_note_pdf(invoice_id, credit_note_id):
    uow = current_uow()
    return _stored_pdf(uow, service.credit_note_document(uow, viewer=g.viewer, invoice_id=invoice_id,
                                                          credit_note_id=credit_note_id))


def _stored_pdf(uow, named):
    response = stored_pdf_response(sha256=named.document.sha256, filename=named.filename,
                                   content=lambda: service.document_pdf(uow, named.document))
    uow.commit()  # a PDF rendered just now is stored for the next time
    return response


# --- paying ---------------------------------------------------------------------------------

@bp.get("/invoices/<invoice_id>/pay")
@signed_in
def pay(invoice_id):
    return _pay_page(invoice_id)


def _pay_page(invoice_id: str, *, mandate_form=None, error: str | None = None, status: int = 200):
    details = service.pay_details(current_uow(), viewer=g.viewer, invoice_id=invoice_id)
    return render("portal/pay.html", status, details=details, invoice=details.invoice,
                  qr=details.qr.png_data_uri(scale=5, border=4) if details.qr else None,
                  checkout_form=CheckoutForm(prefix="checkout", formdata=None),
                  mandate_form=mandate_form or MandateForm(prefix="mandate", formdata=None), error=error)


@bp.post("/invoices/<invoice_id>/checkout")
@signed_in
def checkout(invoice_id):
    form = CheckoutForm(prefix="checkout")
    url, refused = _attempt(
        lambda uow: service.start_checkout(uow, viewer=g.viewer, invoice_id=invoice_id, method=form.method.data or None),
        lambda exc: _pay_page(invoice_id, error=words.refusal(exc.detail), status=exc.status))
    return refused or redirect(url, code=303)


@bp.post("/invoices/<invoice_id>/mandate")
@signed_in
def mandate(invoice_id):
    form = MandateForm(prefix="mandate")
    if not form.validate_on_submit():
        return _pay_page(invoice_id, mandate_form=form, status=422)
    _done, refused = _attempt(
        lambda uow: service.give_mandate(uow, viewer=g.viewer, invoice_id=invoice_id,
                                         account_holder=form.account_holder.data, iban=form.iban.data),
        lambda exc: _pay_page(invoice_id, mandate_form=form, error=_show_errors(form, exc), status=exc.status))
    if refused:
        return refused
    flash(_("Thank you: we will collect this invoice from your account on its due date."), "success")
    return redirect(url_for("portal.invoice", invoice_id=invoice_id), code=303)


# --- self-service: a return, an extension, a payment plan ---------------------------------

@bp.route("/invoices/<invoice_id>/return", methods=["GET", "POST"])
@signed_in
def report_return(invoice_id):
    uow = current_uow()
    invoice = service.invoice_of(uow, viewer=g.viewer, invoice_id=invoice_id)
    form = ReturnForm.for_lines(invoice.lines, prefix="return")
    if not form.validate_on_submit():
        return render("portal/return.html", 422 if form.is_submitted() else 200, invoice=invoice, form=form)
    lines = [{"reference": reference, "quantity": quantity} for reference, quantity in form.chosen_lines(invoice.lines)]
    _done, refused = _attempt(
        lambda uow: service.report_return(uow, viewer=g.viewer, invoice_id=invoice_id, carrier=form.carrier.data,
                                          tracking_code=form.tracking_code.data, lines=lines),
        lambda exc: render("portal/return.html", exc.status, form=form, error=_show_errors(form, exc),
                           invoice=service.invoice_of(uow, viewer=g.viewer, invoice_id=invoice_id)))
    if refused:
        return refused
    flash(_("Thank you: your return is reported and the webshop is told. Until the goods arrive, your invoice is "
            "on hold: no reminders and no costs."), "success")
    return redirect(url_for("portal.invoice", invoice_id=invoice_id), code=303)


@bp.route("/invoices/<invoice_id>/extension", methods=["GET", "POST"])
@signed_in
def extension(invoice_id):
    uow = current_uow()
    form = ButtonForm(prefix="extend")
    if not form.validate_on_submit():
        offer = service.extension_offer(uow, viewer=g.viewer, invoice_id=invoice_id)
        return render("portal/extension.html", offer=offer, form=form)
    extended, refused = _attempt(
        lambda uow: service.extend(uow, viewer=g.viewer, invoice_id=invoice_id),
        lambda exc: render("portal/extension.html", exc.status, form=form, error=words.refusal(exc.detail),
                           offer=service.extension_offer(uow, viewer=g.viewer, invoice_id=invoice_id)))
    if refused:
        return refused
    due = extended.due_date
    flash(_("Done: your new due date is %(date)s.") % {"date": words.day(due)}, "success")
    return redirect(url_for("portal.invoice", invoice_id=invoice_id), code=303)


@bp.route("/invoices/<invoice_id>/plan", methods=["GET", "POST"])
@signed_in
def payment_plan(invoice_id):
    uow = current_uow()
    if request.method == "POST":
        form = PlanForm(prefix="plan")
        instalments = _int(form.instalments.data)
        if form.validate_on_submit() and instalments is not None:
            _done, refused = _attempt(
                lambda uow: service.start_payment_plan(uow, viewer=g.viewer, invoice_id=invoice_id,
                                                       instalments=instalments),
                lambda exc: _plan_page(invoice_id, instalments, error=words.refusal(exc.detail), status=exc.status))
            if refused:
                return refused
            flash(_("Your payment plan has started. We will not send reminders or charge costs while you pay the "
                    "instalments on time."), "success")
            return redirect(url_for("portal.invoice", invoice_id=invoice_id), code=303)
        return _plan_page(invoice_id, instalments, status=422)
    return _plan_page(invoice_id, _int(request.args.get("instalments")))


def _plan_page(invoice_id: str, instalments: int | None, *, error: str | None = None, status: int = 200):
    uow = current_uow()
    invoice = service.invoice_of(uow, viewer=g.viewer, invoice_id=invoice_id)
    choice = PlanChoiceForm(formdata=None, instalments=instalments or 3)
    choice.instalments.choices = [(n, str(n)) for n in service.PLAN_INSTALMENTS]
    preview = None
    if instalments in service.PLAN_INSTALMENTS and invoice.balance_cents > 0:
        preview = service.plan_preview(uow, viewer=g.viewer, invoice_id=invoice_id, instalments=instalments)
    return render("portal/plan.html", status, invoice=invoice, choice=choice, preview=preview,
                  instalments=instalments, form=PlanForm(prefix="plan", formdata=None, instalments=instalments),
                  error=error)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- disputes -------------------------------------------------------------------------------

@bp.route("/invoices/<invoice_id>/dispute", methods=["GET", "POST"])
@signed_in
def open_dispute(invoice_id):
    uow = current_uow()
    invoice = service.invoice_of(uow, viewer=g.viewer, invoice_id=invoice_id)
    form = _dispute_form(invoice)
    if not form.validate_on_submit():
        return _dispute_page(invoice, form, status=422 if form.is_submitted() else 200)
    case = disputes.NewDispute(
        reason=form.reason.data, description=form.description.data or "",
        contacted_merchant_on=form.contacted_merchant_on.data, lines=tuple(form.chosen_lines(invoice.lines)),
        new_facts=form.new_facts.data or "", evidence=tuple(EvidenceFile(filename=f.filename, content=f.read()) for f in form.evidence.data or ()
                       if f.filename))
    opened, refused = _attempt(
        lambda uow: service.open_dispute(uow, viewer=g.viewer, invoice_id=invoice_id, case=case),
        lambda exc: _dispute_page(service.invoice_of(uow, viewer=g.viewer, invoice_id=invoice_id), form,
                                  error=_show_errors(form, exc), running=exc.extra.get("dispute_id"),
                                  status=exc.status))
    if refused:
        return refused
    if opened.status == "reopen_requested":
        flash(_("Your request is sent: a mediator decides whether the case is opened again. Until then the "
                "invoice runs as before."), "success")
    else:
        flash(_("Your case is opened. The webshop has been asked to answer; you can follow everything here."),
              "success")
    return redirect(url_for("portal.case", dispute_id=opened.id), code=303)


def _dispute_form(invoice) -> DisputeForm:
    form = DisputeForm.for_lines(invoice.lines, prefix="dispute")
    form.reason.choices = [("", _("Choose…"))] + [(code, words.label(words.DISPUTE_REASONS, code))
                                                  for code in words.DISPUTE_REASONS]
    return form


def _dispute_page(invoice, form, *, error=None, running=None, status=200):
    rules = services().settings.disputes
    return render("portal/dispute.html", status, invoice=invoice, form=form, error=error, running=running,
                  rules=rules, max_megabytes=max(rules.evidence_max_bytes // (1024 * 1024), 1))


@bp.get("/cases/<dispute_id>")
@signed_in
def case(dispute_id):
    return _case_page(dispute_id)


def _case_page(dispute_id: str, *, reply_form=None, error: str | None = None, status: int = 200):
    rules = services().settings.disputes
    return render("portal/case.html", status, page=service.case_page(current_uow(), viewer=g.viewer,
                                                                     dispute_id=dispute_id),
                  reply_form=reply_form or ReplyForm(prefix="reply", formdata=None), error=error, rules=rules,
                  max_megabytes=max(rules.evidence_max_bytes // (1024 * 1024), 1))


@bp.post("/cases/<dispute_id>/reply")
@signed_in
def reply(dispute_id):
    form = ReplyForm(prefix="reply")
    if not form.validate_on_submit():
        return _case_page(dispute_id, reply_form=form, status=422)
    files = tuple(EvidenceFile(filename=f.filename, content=f.read()) for f in form.evidence.data or () if f.filename)
    _done, refused = _attempt(
        lambda uow: service.reply_to_dispute(uow, viewer=g.viewer, dispute_id=dispute_id, message=form.message.data,
                                             evidence=files),
        lambda exc: _case_page(dispute_id, reply_form=form, error=_show_errors(form, exc), status=exc.status))
    if refused:
        return refused
    flash(_("Your message is added to the case."), "success")
    return redirect(url_for("portal.case", dispute_id=dispute_id), code=303)


@bp.route("/cases/<dispute_id>/withdraw", methods=["GET", "POST"])
@signed_in
def withdraw(dispute_id):
    uow = current_uow()
    form = ButtonForm(prefix="withdraw")
    if not form.validate_on_submit():
        found = service.dispute_of(uow, viewer=g.viewer, dispute_id=dispute_id)
        return render("portal/withdraw.html", case=found, form=form)
    _done, refused = _attempt(lambda uow: service.withdraw_dispute(uow, viewer=g.viewer, dispute_id=dispute_id),
                          lambda exc: _case_page(dispute_id, error=words.refusal(exc.detail), status=exc.status))
    if refused:
        return refused
    flash(_("You withdrew the case. The invoice runs again; its new due date is on the invoice."), "success")
    return redirect(url_for("portal.case", dispute_id=dispute_id), code=303)


@bp.get("/cases/<dispute_id>/evidence/<evidence_id>")
@signed_in
def evidence(dispute_id, evidence_id):
    item = service.evidence_of(current_uow(), viewer=g.viewer, dispute_id=dispute_id, evidence_id=evidence_id)
    return handed_in_file_response(content=item.content, content_type=item.content_type, filename=item.filename)


# --- the billing address --------------------------------------------------------------------

@bp.route("/address", methods=["GET", "POST"])
@signed_in
def address():
    uow = current_uow()
    form = AddressForm(prefix="address", data=service.billing_address(uow, viewer=g.viewer))
    form.country.choices = _countries()
    choices = service.address_choices(uow, viewer=g.viewer)
    chosen = request.form.getlist("address-invoices") if form.is_submitted() else [i.id for i, _ in choices]
    page = lambda status, error=None: render("portal/address.html", status, form=form, choices=choices,  # noqa: E731
                                             chosen=chosen, error=error)
    if not form.validate_on_submit():
        return page(422 if form.is_submitted() else 200)
    changed, refused = _attempt(
        lambda uow: service.change_billing_address(uow, viewer=g.viewer, address=form.address(),
                                                   invoice_ids=chosen if len(choices) > 1 else None),
        lambda exc: page(exc.status, _show_errors(form, exc)))
    if refused:
        return refused
    flash(_("Your address is changed for the invoice you still have to pay; the webshop is told.") if len(changed) == 1
          else _("Your address is changed for the %(num)s invoices you still have to pay; the webshops are told.")
          % {"num": len(changed)}, "success")
    return redirect(url_for("portal.purchases"), code=303)


def _countries() -> list[tuple[str, str]]:
    names = i18n.locale(words.language()).territories
    first = [(code, names.get(code, code)) for code in words.COUNTRIES]
    rest = sorted(((code, names.get(code, code)) for code in geo.iso_countries() if code not in words.COUNTRIES),
                  key=lambda choice: choice[1])
    return first + rest


# --- the spending room and human review of a decline -------------------------------------

@bp.get("/room")
@signed_in
def room():
    return render("portal/room.html", page=service.spending_room(current_uow(), viewer=g.viewer,
                                                                 language=words.language()))


@bp.route("/room/declined/<decision_id>/review", methods=["GET", "POST"])
@signed_in
def ask_review(decision_id):
    uow = current_uow()
    form = ReviewForm(prefix="review")
    if not form.validate_on_submit():
        return _review_page(decision_id, form, status=422 if form.is_submitted() else 200)
    _done, refused = _attempt(
        lambda uow: service.request_review(uow, viewer=g.viewer, decision_id=decision_id, message=form.message.data,
                                           language=words.language()),
        lambda exc: _review_page(decision_id, form, error=_show_errors(form, exc), status=exc.status))
    if refused:
        return refused
    flash(_("Your request is sent. A person at %(provider)s looks at the decision again and e-mails you the "
            "outcome with the reasons, within %(days)s working days.")
          % {"provider": uow.settings.provider.name, "days": service.REVIEW_DAYS}, "success")
    return redirect(url_for("portal.room"), code=303)


def _review_page(decision_id: str, form, *, error: str | None = None, status: int = 200):
    declined = service.declined_order(current_uow(), viewer=g.viewer, decision_id=decision_id,
                                      language=words.language())
    return render("portal/review.html", status, declined=declined, form=form, error=error,
                  review_days=service.REVIEW_DAYS)


# --- help -----------------------------------------------------------------------------------

@bp.get("/help", endpoint="help")
def help_page():
    query = (request.args.get("q") or "").strip()[:200]
    uow = current_uow()
    topics = faq.search(uow.settings, query)
    asked = questions.mine(uow, viewer=g.viewer) if g.viewer is not None else None
    return render("portal/help.html", channels=service.contact_channels(uow), query=query, topics=topics,
                  found=sum(len(entries) for topic, entries in topics), questions=asked)


# --- errors ---------------------------------------------------------------------------------

def _show_errors(form, exc: DomainError) -> str:
    """A service's refusal on the form: field messages at their fields (in the reader's
    language), the whole as one sentence for the top of the page."""
    unplaced = []
    for path, messages in exc.extra.get("errors", {}).items():
        parts = path.split(".")
        name = parts[1] if parts[0] == "address" and len(parts) > 1 else parts[0]
        field = form._fields.get(name) if form is not None else None
        texts = [words.refusal(message) for message in messages]
        if field is not None:
            field.errors = [*field.errors, *texts]
        else:
            unplaced += texts
    if isinstance(exc, InvalidInput):
        return " ".join(unplaced) or _("Please check the marked fields.")
    return words.refusal(exc.detail)


TITLES = {400: N_("The form could not be accepted"), 401: N_("Not signed in"), 403: N_("Not allowed"),
          404: N_("Not found"), 405: N_("Not found"), 409: N_("Not possible now"), 413: N_("Too large"),
          422: N_("Please check what you filled in"), 429: N_("Too many attempts"), 500: N_("Something went wrong")}


@bp.errorhandler(Exception)
def _page_error(error: Exception):
    """Errors as a page of the portal: never a JSON problem, never a stack trace."""
    if isinstance(error, DomainError):
        detail, status = words.refusal(error.detail), error.status
    elif isinstance(error, CSRFError):
        detail, status = _("The form was not sent from this page, or the page was open too long. Go back, reload "
                           "the page and send it again."), 400
    elif isinstance(error, HTTPException):
        status = error.code or 500
        detail = {404: _("There is nothing at this address."),
                  405: _("There is nothing at this address."),
                  413: _("The files are larger than we accept. Send fewer or smaller files.")}.get(
            status, _("Something went wrong with this request."))
    else:
        log.exception("unhandled error on a portal page")
        detail, status = _("Something went wrong on our side; nothing was changed. Please try again later."), 500
    return render("portal/error.html", status, title=_(TITLES.get(status, TITLES[500])), detail=detail)


# --- your data: download and erasure (GDPR art. 15, 17, 20) -------------------------------

@bp.get("/your-data")
@signed_in
def your_data():
    return _your_data_page(EraseForm(prefix="erase", formdata=None))


def _your_data_page(form, status: int = 200):
    uow = current_uow()
    refusals = privacy.erasure_refusals(uow, viewer=g.viewer) if g.viewer.whole_account else []
    return render("portal/your_data.html", status, form=form, refusals=refusals)


@bp.get("/your-data/download")
@signed_in
def download_data():
    content = privacy.download(current_uow(), viewer=g.viewer)
    response = make_response(content)
    response.headers.update({"Content-Type": "application/zip", "Cache-Control": "no-store",
                             "Content-Disposition": 'attachment; filename="bnpl-your-data.zip"'})
    return response


@bp.post("/your-data/erase")
@signed_in
def erase_data():
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        return _your_data_page(form, 422)
    notes, refused = _attempt(lambda uow: privacy.erase_account(uow, viewer=g.viewer),
                              lambda exc: _your_data_page(form, exc.status))
    if refused:
        return refused
    g.viewer = None  # signed out: every device of theirs was forgotten with the rest
    response = make_response(render("portal/erased.html", notes=notes))
    response.delete_cookie(DEVICE_COOKIE, path="/portal", secure=_secure(), httponly=True, samesite="Lax")
    return response


from bnpl.portal import question_views  # noqa: E402,F401  (the questions' pages register on bp)
