"""Use cases for merchants: create one with its API key, change settings, authenticate."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import undefer

from bnpl.audit import service as audit
from bnpl.db import as_loaded
from bnpl.errors import DomainError, InvalidInput, NotFound, Unauthorized
from bnpl.i18n import said
from bnpl.events import service as events
from bnpl.i18n import LANGUAGES
from bnpl.merchants import changes as change_requests, keys
from bnpl.merchants.logo import LogoError, check_logo
from bnpl.merchants.models import DEFAULT_LANGUAGE, SELLER_DETAILS, ApiKey, Merchant, seller_identity
from bnpl.sql import Prepared
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

SETTINGS_BOUNDS = {"return_pause_days": (1, 90)}
OPERATOR = "operator (command line)"


@dataclass(frozen=True)
class NewMerchant:
    merchant: Merchant
    api_key: str


def create_merchant(uow: UnitOfWork, *, name: str, livemode: bool, actor: str = OPERATOR,
                    **settings) -> NewMerchant:
    """Create a merchant with the provider's default settings and one API key. The operator
    who creates one with a live key vouches for it: it is approved at once."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": [said("A merchant needs a name.")]})
    settings["email"] = contact_email(settings.get("email"))
    cfg = uow.settings
    merchant = Merchant(
        name=name,
        created_at=uow.now(),
        invoice_term_days=cfg.invoice_term_days,
        transit_days=cfg.transit_days,
        order_limit_cents=cfg.order_limit_cents,
        return_pause_days=cfg.return_pause_days,
        language=DEFAULT_LANGUAGE,
    )
    risky, rest = change_requests.split({k: v for k, v in settings.items() if v is not None})
    for setting, value in change_requests.checked(uow, risky).items():  # the operator's own choice
        setattr(merchant, setting, value)
    _apply_settings(merchant, rest)
    if livemode:
        merchant.approved_at, merchant.approved_by = merchant.created_at, actor
    uow.session.add(merchant)
    key = keys.issue(uow, merchant=merchant, livemode=livemode)
    audit.record(uow, actor=actor, action="merchant.created", merchant_id=merchant.id, name=name,
                 settings=sorted(settings), livemode=livemode, language=merchant.language)
    return NewMerchant(merchant=merchant, api_key=key.secret)


NO_CONTACT = ("A merchant needs a contact e-mail address (--email): disputes, requested changes and "
              "switched-off webhooks are told there, with deadlines that lose a case when missed.")


def contact_email(value: str | None) -> str:
    """The merchant's contact address, checked: required, since what we must tell a webshop
    (a dispute's deadline above all) goes nowhere without it."""
    from marshmallow import ValidationError, validate

    value = (value or "").strip()
    if not value:
        raise InvalidInput({"email": [NO_CONTACT]})
    try:
        validate.And(validate.Length(max=254), validate.Email(error="Not a valid e-mail address: {input}."))(value)
    except ValidationError as exc:
        raise InvalidInput({"email": list(exc.messages)}) from None
    return value


@dataclass(frozen=True)
class Account:
    """A merchant as GET /merchant shows it: with what waits for an admin."""

    merchant: Merchant
    pending_changes: list[dict]

    def __getattr__(self, name):  # the schema reads the merchant's fields through the account
        return getattr(self.merchant, name)


def update_settings(uow: UnitOfWork, *, scope: Scope, changes: dict) -> tuple[Account, bool]:
    """Change a merchant's settings; every value is checked before anything changes. The
    settings that move the provider's money become requests (merchants.changes); the answer
    says whether any did."""
    merchant = get_merchant(uow, merchant_id=scope.merchant_id)
    risky, rest = change_requests.split(changes)
    values = change_requests.checked(uow, risky)
    previous_email = merchant.email
    _apply_settings(merchant, rest)
    actor = acting_key(uow)
    _announce_new_contact(uow, scope, merchant, previous_email)
    if rest:
        audit.record(uow, actor=actor, action="merchant.settings_changed", merchant_id=merchant.id,
                     changed=sorted(rest))
        events.record(uow, scope=scope, type="merchant.updated", subject_id=merchant.id,
                      data={"changed": sorted(rest)})
    requested = change_requests.request(uow, scope=scope, merchant=merchant, values=values, actor=actor)
    return account(uow, merchant_id=merchant.id), bool(requested)


def _announce_new_contact(uow, scope: Scope, merchant: Merchant, previous_email: str | None) -> None:
    """Told to the address it replaced: a stolen key could otherwise redirect the notices first."""
    if previous_email and merchant.email != previous_email:
        events.record(uow, scope=scope, type="merchant.contact_changed", subject_id=merchant.id,
                      data={"previous_email": previous_email, "email": merchant.email})


def account(uow: UnitOfWork, *, merchant_id: str) -> Account:
    merchant = get_merchant(uow, merchant_id=merchant_id)
    return Account(merchant, [change_requests.as_data(c) for c in change_requests.open_changes(uow, merchant=merchant)])


def get_merchant(uow: UnitOfWork, *, merchant_id: str) -> Merchant:
    merchant = _authenticated(uow, merchant_id) or uow.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(said("No merchant %(id)s.", id=merchant_id))
    merchant.put_payout_iban_in_force(uow.now())
    return merchant


def order_limit_cents(uow: UnitOfWork, *, merchant_id: str) -> int:
    """The merchant's order limit in force; for the request's own merchant from the row read
    with its API key, without making an object of the session of it (an order needs no more)."""
    values = _read_with_key(uow, merchant_id)
    return values["order_limit_cents"] if values is not None else get_merchant(uow, merchant_id=merchant_id).order_limit_cents


class Invoicing(NamedTuple):
    """What an invoice takes from its merchant when it is issued."""
    seller: dict  # Merchant.seller_identity
    transit_days: int
    term_days: int


def invoicing(uow: UnitOfWork, *, merchant_id: str) -> Invoicing:
    """The seller and the days an invoice of the merchant counts; for the request's own merchant
    from the row read with its API key, as order_limit_cents (a shipment needs no more)."""
    values = _read_with_key(uow, merchant_id)
    if values is not None:
        return Invoicing(seller_identity(**{name: values[name] for name in SELLER_DETAILS}), values["transit_days"],
                         values["invoice_term_days"])
    merchant = get_merchant(uow, merchant_id=merchant_id)
    return Invoicing(merchant.seller_identity(), merchant.transit_days, merchant.invoice_term_days)


def _read_with_key(uow: UnitOfWork, merchant_id: str) -> dict | None:
    """The request's merchant's row as authenticate read it, while no object of it was made in
    this transaction; None otherwise."""
    held = uow.session.info.get(_AUTHENTICATED)
    if isinstance(held, tuple):
        transaction, values = held
        if values["id"] == merchant_id and transaction is uow.session.get_transaction():
            return values
    return None


def issue_api_key(uow: UnitOfWork, *, merchant: Merchant, livemode: bool) -> str:
    """A new API key without the checks of a request (set-up, tests); the plain key, once."""
    return keys.issue(uow, merchant=merchant, livemode=livemode).secret


def create_key(uow: UnitOfWork, *, scope: Scope, livemode: bool, name: str | None) -> keys.NewKey:
    """A key made by the merchant through the API."""
    return keys.create(uow, merchant=get_merchant(uow, merchant_id=scope.merchant_id), livemode=livemode, name=name,
                       actor=acting_key(uow), asked_in_livemode=scope.livemode)


def acting_key(uow: UnitOfWork) -> str:
    """Who acts in this request, for the audit log: the API key by its visible prefix."""
    key = uow.session.info.get("api_key")
    return f"merchant key {key.prefix}…" if key is not None else OPERATOR


class SellerDetailsMissing(DomainError):
    status, slug, title = 409, "seller-details-missing", "Your legal details are needed for a business invoice"


def check_business_seller(merchant: Merchant) -> None:
    """A business invoice (Factur-X, UBL) must name the seller's legal name, address and VAT
    number (EN 16931 BR-S-02, BR-CO-26); without them the webshop may not issue one."""
    missing = merchant.missing_legal_details()
    if missing:
        raise SellerDetailsMissing(said(
            "A business invoice names its seller: set your %(missing)s with PATCH /merchant first (EN 16931 rules "
            "BR-S-02 and BR-CO-26). Orders of consumers (type person) are not affected.", missing=", ".join(missing)),
            missing=missing)


def onboard(uow: UnitOfWork, *, name: str, identity: dict, actor: str, language: str | None = None) -> NewMerchant:
    """A webshop taken on by the provider with its legal details (checked as PATCH /merchant
    checks them), the language we write to it in (Dutch unless chosen) and a test key; live
    keys follow its approval. Every field's error is told at once."""
    from marshmallow import ValidationError

    from bnpl.merchants.schemas import MerchantSettingsSchema

    errors: dict[str, list[str]] = {}
    checked: dict = {}
    try:
        checked = MerchantSettingsSchema(only=IDENTITY).load({k: v for k, v in identity.items() if v})
    except ValidationError as exc:
        errors.update(_flat(exc.normalized_messages()))
    if language:  # none chosen: the default, as for a merchant made on the command line
        try:
            checked["language"] = mail_language(language)
        except InvalidInput as exc:
            errors.update(exc.extra["errors"])
    if errors:
        raise InvalidInput(errors)
    return create_merchant(uow, name=name, livemode=False, actor=actor, **checked)


def mail_language(value: str) -> str:
    """The language we write to a webshop in (its mails): one the product writes merchant mail
    in (i18n.LANGUAGES), else InvalidInput at the field ``language``."""
    if value not in LANGUAGES:
        raise InvalidInput({"language": [said("Choose one of the languages we write to webshops in: %(languages)s.",
                                              languages=", ".join(LANGUAGES))]})
    return value


def _flat(messages: dict, prefix: str = ""):
    """{"address": {"city": [...]}} -> ("address.city", [...])."""
    for name, value in messages.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", list(value)


def approve(uow: UnitOfWork, *, merchant_id: str, actor: str) -> keys.NewKey:
    """The provider approves the webshop (its legal details must be complete): it may now have
    live keys, and gets its first one (shown once, to be handed over)."""
    merchant = get_merchant(uow, merchant_id=merchant_id)
    check_business_seller(merchant)
    if merchant.approved_at is None:
        merchant.approved_at, merchant.approved_by = uow.now(), actor
        audit.record(uow, actor=actor, action="merchant.approved", merchant_id=merchant.id)
    return keys.create(uow, merchant=merchant, livemode=True, name="first live key", actor=actor)


def all_merchants(uow: UnitOfWork) -> list[Merchant]:
    return list(uow.session.scalars(select(Merchant).order_by(Merchant.name)))


def names(uow: UnitOfWork, *, merchant_ids: list[str]) -> dict[str, str]:
    """Merchant id -> name, for screens that list many merchants' things."""
    if not merchant_ids:
        return {}
    return dict(uow.session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(merchant_ids))).all())


def logo(uow: UnitOfWork, *, merchant_id: str) -> tuple[str, bytes | None, str | None]:
    """A webshop's name and its stored logo with the logo's media type (a PNG or JPEG checked
    when it was set; never a link elsewhere), or None and None without one."""
    merchant = uow.session.scalar(select(Merchant).options(undefer(Merchant.logo)).where(Merchant.id == merchant_id))
    if merchant is None:
        raise NotFound(said("No merchant %(id)s.", id=merchant_id))
    return merchant.name, merchant.logo, merchant.logo_type if merchant.logo else None


def find_merchant(uow: UnitOfWork, *, ref: str) -> Merchant:
    """A merchant by id or exact name (for the command line)."""
    merchant = uow.session.get(Merchant, ref) or uow.session.scalars(
        select(Merchant).where(Merchant.name == ref)).first()
    if merchant is None:
        raise NotFound(f"No merchant with id or name {ref!r}.")
    return merchant


def authenticate(uow: UnitOfWork, *, api_key: str | None) -> Scope:
    """The merchant and mode an API key stands for. The key is looked up on every request, so
    a revoked key fails from the next request on."""
    if not api_key or not api_key.startswith(("bnpl_test_", "bnpl_live_")):
        raise Unauthorized("Send your API key as 'Authorization: Bearer bnpl_test_…' or 'bnpl_live_…'.")
    row = _BY_KEY_HASH.first(uow.session, key_hash=ApiKey.hash(api_key))
    if row is None:
        raise Unauthorized("This API key is unknown or revoked.")
    key = UsedKey(*row[:4])
    # The merchant's row comes with the key's; it becomes an object of the session only when
    # the request asks for it (get_merchant): most requests never do.
    uow.session.info[_AUTHENTICATED] = (uow.session.get_transaction(), dict(zip(_MERCHANT_KEYS, row[4:])))
    uow.session.info["api_key"] = key
    uow.commit_early = keys.note_use(uow, key)  # kept even if the request fails
    return Scope(merchant_id=row[4], livemode=key.livemode)


class UsedKey(NamedTuple):
    """The API key of this request: what the audit log and its last use need of it."""
    id: str
    livemode: bool
    prefix: str
    last_used_at: datetime | None


def _authenticated(uow: UnitOfWork, merchant_id: str) -> Merchant | None:
    """The request's merchant as read with its API key, an object of the session from its first
    use on (kept here: the session holds its objects weakly). None for another merchant, or
    when the transaction it was read in is over (a later one reads it afresh)."""
    held = uow.session.info.get(_AUTHENTICATED)
    if held is None:
        return None
    if isinstance(held, Merchant):
        return held if held.id == merchant_id else None
    transaction, values = held
    if values["id"] != merchant_id or transaction is not uow.session.get_transaction():
        return None
    merchant = uow.session.info[_AUTHENTICATED] = as_loaded(uow.session, Merchant, values)
    return merchant


_AUTHENTICATED = "bnpl.merchants.authenticated"
# Every column of the merchant but those loaded on demand (the logo).
_MERCHANT_COLUMNS = [prop for prop in inspect(Merchant).column_attrs if not prop.deferred]
_MERCHANT_KEYS = [prop.key for prop in _MERCHANT_COLUMNS]
# Compiled once: building and compiling the statement would cost more CPU than running it.
_BY_KEY_HASH = Prepared(
    select(ApiKey.id, ApiKey.livemode, ApiKey.prefix, ApiKey.last_used_at,
           *(prop.columns[0] for prop in _MERCHANT_COLUMNS))
    .join(Merchant, ApiKey.merchant_id == Merchant.id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)))

IDENTITY = ("email", "legal_name", "address", "vat_number", "coc_number")
# Identity and branding: null removes what was set (not the contact address, which is required).
CLEARABLE = ("legal_name", "address", "vat_number", "coc_number", "brand_colour", "logo")


def _apply_settings(merchant: Merchant, settings: dict) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in settings.items():
        if name == "email":
            try:
                merchant.email = contact_email(value)
            except InvalidInput as exc:
                errors.update(exc.extra["errors"])
            continue
        if value is None and name in CLEARABLE:
            setattr(merchant, name, None)
            if name == "logo":
                merchant.logo_type = None
            continue
        if value is None:
            continue
        if name == "logo":
            try:
                checked = check_logo(value)
            except LogoError as exc:
                errors[name] = [str(exc)]
            else:
                merchant.logo, merchant.logo_type = checked.data, checked.media_type
        elif name == "language":
            try:
                merchant.language = mail_language(value)
            except InvalidInput as exc:
                errors.update(exc.extra["errors"])
        elif name in ("legal_name", "address", "vat_number", "coc_number", "brand_colour"):
            setattr(merchant, name, value)  # checked by the schema
        elif name in SETTINGS_BOUNDS:
            low, high = SETTINGS_BOUNDS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = [f"Must be a whole number from {low} to {high}."]
            else:
                setattr(merchant, name, value)
        else:
            errors[name] = ["Unknown setting."]
    if errors:
        raise InvalidInput(errors)
