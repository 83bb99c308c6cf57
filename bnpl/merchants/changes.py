"""Requested changes of the settings that move the provider's money.

A merchant's key alone must not raise the provider's exposure (a higher order limit, a longer
invoice term or transit allowance) or redirect its payouts (the IBAN): such a change becomes a
request that a provider admin approves or refuses with a reason; the old value holds until
then, and the merchant's contact address hears of every step (the events' e-mails). An
approved IBAN is paid to only after a cooling-off. Each value is checked against the
installation's ceilings when asked for and again when approved (the ceilings may have moved).
"""
from __future__ import annotations

from datetime import timedelta

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select

from bnpl import i18n
from bnpl.audit import service as audit
from bnpl.errors import InvalidInput, NotFound
from bnpl.events import service as events
from bnpl.i18n import said
from bnpl.merchants import states
from bnpl.merchants.models import Merchant, MerchantChange
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

RISKY = ("order_limit_cents", "invoice_term_days", "transit_days", "payout_iban")
PUBLIC_NAME = {"order_limit_cents": "order_limit"}  # as the API calls it


def split(changes: dict) -> tuple[dict, dict]:
    """(the risky settings, the rest) of a PATCH."""
    risky = {name: value for name, value in changes.items() if name in RISKY}
    return risky, {name: value for name, value in changes.items() if name not in RISKY}


def checked(uow: UnitOfWork, requested: dict) -> dict:
    """The requested values normalised (an IBAN compacted), or InvalidInput naming each
    value beyond this installation's ceilings."""
    values, errors = {}, {}
    for name, value in requested.items():
        try:
            values[name] = _check(uow.settings, name, value)
        except ValueError as exc:
            errors[PUBLIC_NAME.get(name, name)] = [exc.args[0]]  # a said() sentence, translated where shown
    if errors:
        raise InvalidInput(errors)
    return values


def _check(cfg, name: str, value):
    if name == "payout_iban":
        try:
            return IBAN(value).compact
        except SchwiftyException as exc:
            raise ValueError(said("Not a valid IBAN: %(reason)s", reason=str(exc))) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(said("Must be a whole number."))
    if name == "order_limit_cents":
        if not 1 <= value <= cfg.max_order_limit_cents:
            ceiling = i18n.format_money(cfg.max_order_limit_cents, "EUR", "en")
            raise ValueError(said("Must be from 1 cent to %(ceiling)s (%(cents)s cents), this installation's "
                                  "highest order limit.", ceiling=ceiling, cents=cfg.max_order_limit_cents))
        return value
    low, high = cfg.invoice_term_range if name == "invoice_term_days" else cfg.transit_days_range
    if not low <= value <= high:
        raise ValueError(said("Must be a whole number from %(low)s to %(high)s on this installation.", low=low,
                              high=high))
    return value


def request(uow: UnitOfWork, *, scope: Scope, merchant: Merchant, values: dict, actor: str) -> list[MerchantChange]:
    """A pending change per setting whose value differs from the one in force; a request
    still pending for the same setting is superseded by the new one."""
    made = []
    for name, value in values.items():
        _supersede(uow, merchant.id, name)
        if value == _coming(merchant, name):
            continue  # asking for what is (or is about to be) in force withdraws the earlier request
        change = MerchantChange(merchant_id=merchant.id, livemode=scope.livemode, setting=name,
                                old_value={"value": getattr(merchant, name)}, new_value={"value": value},
                                status=states.PENDING, requested_at=uow.now(), requested_by=actor)
        uow.session.add(change)
        made.append(change)
    uow.session.flush()
    for change in made:
        _tell(uow, change, "merchant.change_requested", actor)
    return made


def _coming(merchant: Merchant, name: str):
    """The value a setting has, or will have once an approved IBAN's cooling-off ends."""
    if name == "payout_iban" and merchant.payout_iban_next:
        return merchant.payout_iban_next
    return getattr(merchant, name)


def _supersede(uow, merchant_id: str, setting: str) -> None:
    for earlier in uow.session.scalars(select(MerchantChange).where(
            MerchantChange.merchant_id == merchant_id, MerchantChange.setting == setting,
            MerchantChange.status == states.PENDING)):
        earlier.status = states.CHANGE.next(earlier.status, "supersede")


def decide(uow: UnitOfWork, *, change_id: str, approve: bool, reason: str | None, decided_by: str) -> MerchantChange:
    """An admin's decision. A refusal needs a reason the merchant can read; an approval
    applies the value at once, a payout IBAN after the cooling-off."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput({"reason": [said("Say why the change is refused: the merchant reads it.")]})
    change = get_change(uow, change_id=change_id, for_update=True)
    change.status = states.CHANGE.next(change.status, "approve" if approve else "refuse",
                                       subject=said("The change request %(id)s", id=change.id))
    change.decided_at, change.decided_by, change.reason = uow.now(), decided_by, reason or None
    if approve:
        _apply(uow, change)
    _tell(uow, change, "merchant.change_approved" if approve else "merchant.change_refused", decided_by)
    return change


def _apply(uow, change: MerchantChange) -> None:
    value = checked(uow, {change.setting: change.new})[change.setting]
    merchant = uow.session.get(Merchant, change.merchant_id, with_for_update=True)
    now = uow.now()
    if change.setting == "payout_iban":
        change.effective_at = now + timedelta(days=uow.settings.payout_iban_cooling_off_days)
        merchant.payout_iban_next, merchant.payout_iban_from = value, change.effective_at
    else:
        change.effective_at = now
        setattr(merchant, change.setting, value)


def _tell(uow, change: MerchantChange, event_type: str, actor: str) -> None:
    """The audit log, and the event whose e-mail and webhook tell the merchant."""
    data = as_data(change)
    audit.record(uow, actor=actor, action=event_type, merchant_id=change.merchant_id,
                 setting=change.setting, change_id=change.id, old=change.old, new=change.new, reason=change.reason)
    events.record(uow, scope=Scope(change.merchant_id, change.livemode), type=event_type, subject_id=change.id,
                  data=data)


def as_data(change: MerchantChange) -> dict:
    """The change as the API, the webhook and the e-mail show it."""
    return {"id": change.id, "object": "merchant_change", "setting": PUBLIC_NAME.get(change.setting, change.setting),
            "from": change.old, "to": change.new, "status": change.status,
            "requested_at": change.requested_at.isoformat(),
            "effective_at": change.effective_at.isoformat() if change.effective_at else None,
            "reason": change.reason}


def get_change(uow: UnitOfWork, *, change_id: str, for_update: bool = False) -> MerchantChange:
    change = uow.session.get(MerchantChange, change_id, with_for_update=for_update)
    if change is None:
        raise NotFound(said("No change request %(id)s.", id=change_id))
    return change


def open_changes(uow: UnitOfWork, *, merchant: Merchant) -> list[MerchantChange]:
    """What still waits: requests not decided, and an approved IBAN in its cooling-off."""
    query = select(MerchantChange).where(MerchantChange.merchant_id == merchant.id,
                                         MerchantChange.status == states.PENDING)
    # Asked together, changes share a moment: the setting's name keeps the order the same each time.
    waiting = list(uow.session.scalars(query.order_by(MerchantChange.requested_at, MerchantChange.setting)))
    if merchant.payout_iban_from is not None:
        waiting += uow.session.scalars(select(MerchantChange).where(
            MerchantChange.merchant_id == merchant.id, MerchantChange.setting == "payout_iban",
            MerchantChange.effective_at == merchant.payout_iban_from, MerchantChange.status == states.APPROVED))
    return waiting


def pending(uow: UnitOfWork, *, limit: int = 200) -> list[MerchantChange]:
    """Every webshop's requests that wait for an admin, the oldest first."""
    return list(uow.session.scalars(select(MerchantChange).where(MerchantChange.status == states.PENDING)
                                    .order_by(MerchantChange.requested_at, MerchantChange.merchant_id,
                                              MerchantChange.setting).limit(limit)))
