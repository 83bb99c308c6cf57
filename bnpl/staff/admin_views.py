"""The admin's pages of the back office (on the staff blueprint): parse, call one use case of
bnpl/staff/admin.py, render. A secret made here (a key, a password) is shown on the answer
page only, never stored or put in a flash message."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from bnpl.errors import DomainError
from bnpl.i18n import N_
from bnpl.staff import accounts, admin, words
from bnpl.staff.forms import AccountForm, ChangeDecisionForm, OnboardingForm
from bnpl.staff.models import ADMIN
from bnpl.staff.views import bp, show_errors, staff_required
from bnpl.web.context import current_uow
from bnpl.web.language import gettext as _


# --- changes of money settings ---------------------------------------------------------------

@bp.get("/changes")
@staff_required(ADMIN)
def changes():
    return _changes_page()


@bp.post("/changes/<change_id>/decision")
@staff_required(ADMIN)
def decide_change(change_id):
    form = ChangeDecisionForm(prefix=change_id)
    if not form.validate_on_submit():
        return _changes_page(bound=(change_id, form), status=422)
    uow = current_uow()
    try:
        decided = admin.decide_change(uow, member=g.staff, change_id=change_id,
                                      approve=form.outcome.data == "approve", reason=form.reason.data)
    except DomainError as exc:
        uow.rollback()
        return _changes_page(bound=(change_id, form), error=show_errors(form, exc), status=exc.status)
    uow.commit()
    flash((_("Change %(id)s approved; the webshop is e-mailed.") if decided.status == "approved" else
           _("Change %(id)s refused; the webshop is e-mailed.")) % {"id": decided.id}, "success")
    return redirect(url_for(".changes"), code=303)


def _changes_page(*, bound=None, error: str | None = None, status: int = 200):
    rows = admin.waiting_changes(current_uow())
    forms = {row.change.id: ChangeDecisionForm(prefix=row.change.id, formdata=None) for row in rows}
    if bound:
        forms[bound[0]] = bound[1]
    return render_template("staff/changes.html", rows=rows, forms=forms, bound=bound and bound[0],
                           error=error), status


# --- webshops --------------------------------------------------------------------------------

@bp.get("/merchants")
@staff_required(ADMIN)
def merchants():
    uow = current_uow()
    return render_template("staff/merchants.html", merchants=admin.merchants.all_merchants(uow),
                           waiting={row.change.merchant_id for row in admin.waiting_changes(uow)})


@bp.route("/merchants/new", methods=["GET", "POST"])
@staff_required(ADMIN)
def new_merchant():
    form = OnboardingForm()
    if not form.validate_on_submit():
        return render_template("staff/merchant_new.html", form=form), 422 if form.is_submitted() else 200
    uow = current_uow()
    try:
        made = admin.onboard(uow, member=g.staff, name=form.name.data, identity=form.identity(),
                             language=form.language.data)
    except DomainError as exc:
        uow.rollback()
        return render_template("staff/merchant_new.html", form=form, error=show_errors(form, exc)), exc.status
    uow.commit()
    return render_template("staff/secret.html", title=_("%(shop)s taken on") % {"shop": made.merchant.name},
                           secret=made.api_key, what=_("its test API key"), merchant=made.merchant)


@bp.get("/merchants/<merchant_id>")
@staff_required(ADMIN)
def merchant(merchant_id):
    return _merchant_page(merchant_id)


@bp.post("/merchants/<merchant_id>/approval")
@staff_required(ADMIN)
def approve_merchant(merchant_id):
    uow = current_uow()  # the CSRF token was checked before the view (views._before)
    try:
        key = admin.approve(uow, member=g.staff, merchant_id=merchant_id)
    except DomainError as exc:
        uow.rollback()
        return _merchant_page(merchant_id, error=words.refusal(exc.detail), status=exc.status)
    uow.commit()
    return render_template("staff/secret.html", title=_("Webshop approved"), secret=key.secret,
                           what=_("a live API key"), merchant=key.merchant)


@bp.post("/merchants/<merchant_id>/keys/<key_id>/revocation")
@staff_required(ADMIN)
def revoke_key(merchant_id, key_id):
    uow = current_uow()
    try:
        key = admin.revoke_key(uow, member=g.staff, merchant_id=merchant_id, key_id=key_id)
    except DomainError as exc:
        uow.rollback()
        return _merchant_page(merchant_id, error=words.refusal(exc.detail), status=exc.status)
    uow.commit()
    flash(_("Key %(prefix)s… revoked; the webshop is e-mailed.") % {"prefix": key.prefix}, "success")
    return redirect(url_for(".merchant", merchant_id=merchant_id), code=303)


def _merchant_page(merchant_id: str, *, error: str | None = None, status: int = 200):
    return render_template("staff/merchant.html", file=admin.merchant_file(current_uow(), merchant_id=merchant_id),
                           error=error), status


# --- staff accounts --------------------------------------------------------------------------

@bp.route("/accounts", methods=["GET", "POST"])
@staff_required(ADMIN)
def staff_accounts():
    form = AccountForm()
    if not form.validate_on_submit():
        return _accounts_page(form, status=422 if form.is_submitted() else 200)
    uow = current_uow()
    try:
        made = admin.create_account(uow, member=g.staff, email=form.email.data, name=form.name.data,
                                    role=form.role.data)
    except DomainError as exc:
        uow.rollback()
        return _accounts_page(form, error=show_errors(form, exc), status=exc.status)
    uow.commit()
    return render_template("staff/secret.html", title=_("Account for %(email)s") % {"email": made.member.email},
                           secret=made.password, what=_("the password to hand over"))


@bp.post("/accounts/<member_id>/password")
@staff_required(ADMIN)
def reset_password(member_id):
    uow = current_uow()
    try:
        made = admin.reset_password(uow, member=g.staff, member_id=member_id)
    except DomainError as exc:
        uow.rollback()
        return _accounts_page(AccountForm(formdata=None), error=words.refusal(exc.detail), status=exc.status)
    uow.commit()
    return render_template("staff/secret.html", title=_("New password for %(email)s") % {"email": made.member.email},
                           secret=made.password, what=_("the new password to hand over"))


ACCOUNT_ACTIONS = {"deactivation": (admin.deactivate, N_("%(email)s deactivated and signed out everywhere.")),
                   "unlock": (admin.unlock, N_("%(email)s unlocked."))}


@bp.post("/accounts/<member_id>/<any(deactivation, unlock):action>")
@staff_required(ADMIN)
def account_action(member_id, action):
    use_case, done = ACCOUNT_ACTIONS[action]
    uow = current_uow()
    try:
        member = use_case(uow, member=g.staff, member_id=member_id)
    except DomainError as exc:
        uow.rollback()
        return _accounts_page(AccountForm(formdata=None), error=words.refusal(exc.detail), status=exc.status)
    uow.commit()
    flash(_(done) % {"email": member.email}, "success")
    return redirect(url_for(".staff_accounts"), code=303)


def _accounts_page(form, *, error: str | None = None, status: int = 200):
    return render_template("staff/accounts.html", members=accounts.members(current_uow()), form=form,
                           error=error), status


# --- the audit log ---------------------------------------------------------------------------

@bp.get("/audit")
@staff_required(ADMIN)
def audit_log():
    merchant_id = request.args.get("merchant") or None
    return render_template("staff/audit.html", rows=admin.audit_log(current_uow(), merchant_id=merchant_id),
                           merchant_id=merchant_id)
