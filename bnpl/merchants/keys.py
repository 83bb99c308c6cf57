"""API keys as a resource: made, listed and revoked by the merchant (or the operator).

Keys of one mode manage that mode's keys: a test key never sees or revokes a live key. A live
key is made only for a webshop the provider approved, and only with a live key (the first one
comes from the back office or the command line at approval): a test key, which lives in
development setups and CI, can then never mint access to real money. Every creation and
revocation is in the audit log and mailed to the contact address (api_key.* events).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update

from bnpl import pagination
from bnpl.audit import service as audit
from bnpl.errors import Conflict, DomainError, NotFound
from bnpl.events import service as events
from bnpl.i18n import said
from bnpl.merchants.models import ApiKey, Merchant
from bnpl.sql import Prepared
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# last_used_at is written at most this often per key: a write on every call would cost
# each request a statement and serialise a busy shop's calls on one row.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_WORKING_KEYS = 20  # per webshop and mode: more is a leak waiting to happen, not a need


class NotApproved(DomainError):
    status, slug, title = 403, "not-approved", "Live keys need an approved webshop"


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once

    def __getattr__(self, name):  # the schema reads the key's fields through it
        return getattr(self.key, name)


def issue(uow: UnitOfWork, *, merchant: Merchant, livemode: bool, name: str | None = None) -> NewKey:
    """A new key; the plain key is returned once and never stored."""
    secret = ApiKey.generate(livemode)
    key = ApiKey(merchant=merchant, livemode=livemode, key_hash=ApiKey.hash(secret), prefix=secret[:14],
                 created_at=uow.now(), name=name)
    uow.session.add(key)
    uow.session.flush()
    return NewKey(key, secret)


def create(uow: UnitOfWork, *, merchant: Merchant, livemode: bool, name: str | None, actor: str,
           asked_in_livemode: bool | None = None) -> NewKey:
    """A key made on request (API, command line, back office)."""
    if livemode and not merchant.approved:
        raise NotApproved(said("Live keys are made once the provider has approved your webshop (its legal name, "
                               "address and VAT number checked). Until then, use test keys."))
    if livemode and asked_in_livemode is False:
        raise NotApproved("A live key is made with a live key; the first one comes from the provider at approval.")
    if _working_keys(uow, Scope(merchant.id, livemode)) >= MAX_WORKING_KEYS:
        raise Conflict(said("You have %(most)s working keys in this mode, the most there may be: revoke one you "
                            "no longer use first.", most=MAX_WORKING_KEYS))
    made = issue(uow, merchant=merchant, livemode=livemode, name=name)
    _tell(uow, made.key, "api_key.created", actor)
    return made


def list_keys(uow: UnitOfWork, *, scope: Scope, cursor: str | None, limit: int):
    """The keys of this mode, newest first, revoked ones too (with when)."""
    query = select(ApiKey).where(ApiKey.merchant_id == scope.merchant_id, ApiKey.livemode == scope.livemode)
    return pagination.page(uow.session, query, created_col=ApiKey.created_at, id_col=ApiKey.id, cursor=cursor,
                           limit=limit)


def revoke(uow: UnitOfWork, *, scope: Scope, key_id: str, actor: str) -> ApiKey:
    """Revoke one of this mode's keys; it fails from the next request on. The last working key
    stays: without it the webshop could not make another."""
    key = _key_of(uow, scope, key_id)
    if key.revoked_at is None:
        if _working_keys(uow, scope) <= 1:
            raise Conflict("This is your last working key in this mode: create another key first, "
                           "then revoke this one.")
        _revoke(uow, key, actor)
    return key


def keys_of(uow: UnitOfWork, *, merchant_id: str) -> list[ApiKey]:
    """Every key of a webshop, both modes, the newest first (for the back office)."""
    return list(uow.session.scalars(select(ApiKey).where(ApiKey.merchant_id == merchant_id)
                                    .order_by(ApiKey.created_at.desc(), ApiKey.id)))


def revoke_by_operator(uow: UnitOfWork, *, ref: str, actor: str) -> ApiKey:
    """The command line's and the back office's revocation, by key id or visible prefix; even
    the last key (a leaked key must stop working, whatever it leaves the webshop)."""
    found = [key] if (key := uow.session.get(ApiKey, ref)) else list(
        uow.session.scalars(select(ApiKey).where(ApiKey.prefix == ref)))
    if not found:
        raise NotFound(said("No API key with id or prefix %(ref)s.", ref=repr(ref)))
    if len(found) > 1:
        raise Conflict(said("%(count)s keys start with %(ref)s: name the one by its id (key_…).", count=len(found),
                            ref=repr(ref)))
    key = found[0]
    if key.revoked_at is None:
        _revoke(uow, key, actor)
    return key


def _revoke(uow, key: ApiKey, actor: str) -> None:
    key.revoked_at = uow.now()
    _tell(uow, key, "api_key.revoked", actor)


def _key_of(uow, scope: Scope, key_id: str) -> ApiKey:
    key = uow.session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.merchant_id == scope.merchant_id,
                                                  ApiKey.livemode == scope.livemode).with_for_update())
    if key is None:
        raise NotFound(said("No API key %(id)s.", id=key_id))
    return key


def _working_keys(uow, scope: Scope) -> int:
    return uow.session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.merchant_id == scope.merchant_id, ApiKey.livemode == scope.livemode, ApiKey.revoked_at.is_(None)))


def note_use(uow: UnitOfWork, key) -> bool:
    """Remember that the key (an ApiKey or a row with its id and last_used_at) was used now, to
    the minute (LAST_USED_PRECISION); True when that wrote the row."""
    now = uow.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
        return False
    _NOTE_USE.run(uow.session, key_id=key.id, now=now)
    return True


_NOTE_USE = Prepared(update(ApiKey).where(ApiKey.id == bindparam("key_id")).values(last_used_at=bindparam("now")))


def _tell(uow, key: ApiKey, event_type: str, actor: str) -> None:
    data = {"id": key.id, "object": "api_key", "name": key.name, "prefix": key.prefix, "livemode": key.livemode,
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}
    audit.record(uow, actor=actor, action=event_type, merchant_id=key.merchant_id, key_id=key.id,
                 prefix=key.prefix, livemode=key.livemode)
    events.record(uow, scope=Scope(key.merchant_id, key.livemode), type=event_type, subject_id=key.id, data=data)
