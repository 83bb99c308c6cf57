"""Use cases of the admin's pages: webshops (take one on, approve it), the changes of money
settings that wait for a decision, staff accounts, and the audit log. Every one checks that
the member is an admin, whatever page called it."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from bnpl.audit import service as audit
from bnpl.errors import DomainError
from bnpl.i18n import said
from bnpl.merchants import changes, keys
from bnpl.merchants import service as merchants
from bnpl.merchants.models import Merchant
from bnpl.staff import accounts, service
from bnpl.staff.models import ADMIN, StaffMember
from bnpl.uow import UnitOfWork


class AdminsOnly(DomainError):
    status, slug, title = 403, "admins-only", "Only an admin may do this"


def actor(member: StaffMember) -> str:
    """How the audit log and the merchant's mail name the member."""
    return f"staff {member.name} ({member.email})"


def _admin(member: StaffMember) -> str:
    if member.role != ADMIN:
        raise AdminsOnly(said("Approving settings, webshops and accounts is for admins."))
    return actor(member)


# --- changes of money settings ---------------------------------------------------------------

@dataclass(frozen=True)
class WaitingChange:
    change: object  # merchants' MerchantChange
    merchant_name: str


def waiting_changes(uow: UnitOfWork) -> list[WaitingChange]:
    pending = changes.pending(uow)
    names = merchants.names(uow, merchant_ids=list({c.merchant_id for c in pending}))
    return [WaitingChange(c, names.get(c.merchant_id, c.merchant_id)) for c in pending]


def decide_change(uow: UnitOfWork, *, member: StaffMember, change_id: str, approve: bool, reason: str | None):
    return changes.decide(uow, change_id=change_id, approve=approve, reason=reason, decided_by=_admin(member))


# --- webshops --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MerchantFile:
    merchant: Merchant
    waiting: list  # its MerchantChange rows still open
    history: list  # its audit entries, newest first
    keys: list  # its API keys, both modes, with their last use


def merchant_file(uow: UnitOfWork, *, merchant_id: str) -> MerchantFile:
    merchant = merchants.get_merchant(uow, merchant_id=merchant_id)
    return MerchantFile(merchant, changes.open_changes(uow, merchant=merchant),
                        audit.entries(uow, merchant_id=merchant.id, limit=50),
                        keys.keys_of(uow, merchant_id=merchant.id))


def onboard(uow: UnitOfWork, *, member: StaffMember, name: str, identity: dict,
            language: str | None = None) -> merchants.NewMerchant:
    return merchants.onboard(uow, name=name, identity=identity, language=language, actor=_admin(member))


def approve(uow: UnitOfWork, *, member: StaffMember, merchant_id: str) -> keys.NewKey:
    return merchants.approve(uow, merchant_id=merchant_id, actor=_admin(member))


def revoke_key(uow: UnitOfWork, *, member: StaffMember, merchant_id: str, key_id: str):
    """A webshop's key revoked by the provider (a leak reported): it fails from the next request."""
    who = _admin(member)
    key = next((k for k in keys.keys_of(uow, merchant_id=merchant_id) if k.id == key_id), None)
    return keys.revoke_by_operator(uow, ref=key.id if key else f"{merchant_id}/{key_id}", actor=who)


# --- staff accounts --------------------------------------------------------------------------

@dataclass(frozen=True)
class NewPassword:
    member: StaffMember
    password: str  # shown once, to be handed over; the member changes nothing else to use it


def create_account(uow: UnitOfWork, *, member: StaffMember, email: str, name: str, role: str) -> NewPassword:
    password = _password()
    made = service.create_member(uow, email=email, name=name, role=role, password=password, actor=_admin(member))
    return NewPassword(made, password)


def reset_password(uow: UnitOfWork, *, member: StaffMember, member_id: str) -> NewPassword:
    password = _password()
    return NewPassword(accounts.reset_password(uow, email=_email(uow, member_id), password=password,
                                               actor=_admin(member)), password)


def deactivate(uow: UnitOfWork, *, member: StaffMember, member_id: str) -> StaffMember:
    if member_id == member.id:
        raise AdminsOnly(said("You cannot deactivate your own account: ask another admin."))
    return accounts.deactivate(uow, email=_email(uow, member_id), actor=_admin(member))


def unlock(uow: UnitOfWork, *, member: StaffMember, member_id: str) -> StaffMember:
    return accounts.unlock(uow, email=_email(uow, member_id), actor=_admin(member))


def _email(uow, member_id: str) -> str:
    found = uow.session.get(StaffMember, member_id)
    return found.email if found else member_id  # accounts answers 404 for an unknown one


def _password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


# --- the audit log ---------------------------------------------------------------------------

def audit_log(uow: UnitOfWork, *, merchant_id: str | None = None) -> list[tuple[object, str]]:
    """The newest entries first, each with its webshop's name ('' for none)."""
    entries = audit.entries(uow, merchant_id=merchant_id)
    names = merchants.names(uow, merchant_ids=list({e.merchant_id for e in entries if e.merchant_id}))
    return [(entry, names.get(entry.merchant_id, entry.merchant_id or "")) for entry in entries]
