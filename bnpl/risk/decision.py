"""The acceptance decision as a pure function of what was known (Inputs) and the policy.

Nothing here reads the database or the clock, so a stored decision can be replayed and
audited: the same inputs and the same policy give the same outcome and reasons.

Three outcomes. A *decline* is for facts (an overdue invoice, a hand-over, fraud, an amount
no check would allow); where we are only unsure who is ordering, the consumer identifies
through their bank instead (*verification_required*), and a person verified recently is not
asked again. A known person on a device we know them by is never stopped for a new IP
address or a delivery to a hotel or a pick-up point: neither is even a signal.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime

from bnpl.risk.policy import Policy

ACCEPTED, DECLINED, VERIFICATION_REQUIRED = "accepted", "declined", "verification_required"
OUTCOMES = (ACCEPTED, DECLINED, VERIFICATION_REQUIRED)
GROWING, HELD, CLOSED = "growing", "held", "closed"  # the personal limit's states (states.py)


@dataclass(frozen=True)
class Inputs:
    """Everything a decision used, as it was at that moment."""

    now: datetime
    today: date
    currency: str
    amount_cents: int
    shop_limit_cents: int                 # the webshop's own highest order amount
    is_business: bool = False
    birth_date: date | None = None
    # The person behind the order, at all webshops (same mode).
    person_since: date | None = None      # first seen; None: first seen with this order
    person_limit_cents: int = 0           # the stored personal limit
    limit_status: str = GROWING
    paid_on_time: int = 0
    paid_late: int = 0
    verified_until: datetime | None = None
    open_balance_cents: int = 0           # invoices still owed, every webshop
    unshipped_cents: int = 0              # accepted orders not invoiced yet, every webshop
    overdue_invoices: int = 0
    overdue_days: int = 0                 # how long the longest overdue of them is past its due date
    recent_webshops: int = 0              # other webshops this person ordered at in the last 14 days
    handovers: int = 0
    frauds: int = 0
    # Velocity: earlier orders (before this one) in the last hour and day.
    person_orders_hour: int = 0
    person_orders_day: int = 0
    identifier_orders_hour: int = 0       # the busiest of this order's device, phone and delivery address
    identifier_orders_day: int = 0
    device_known: bool | None = None      # None: no device id was sent
    delivery_known: bool | None = None    # None: no home delivery address apart from the billing one
    new_identifiers: tuple[str, ...] = ()  # kinds this person had not used before this order
    shared_recently: int = 0              # other consumers who ordered with this order's phone, device or address this week
    shared_with_fraud: tuple[str, ...] = ()  # kinds shared with another person with fraud on record
    verification_available: bool = True   # a verification provider serves this mode
    verification_failed: bool = False     # the consumer was sent to their bank, and it did not confirm
    verified_now: bool = False            # the consumer identified at their bank for this very order
    # The webshop's context (all optional).
    ip_address: str | None = None
    device_id: str | None = None
    customer_since: date | None = None
    customer_order_count: int | None = None
    delivery_method: str | None = None
    high_risk_goods: bool = False

    def as_json(self) -> dict:
        return {name: _to_json(getattr(self, name)) for name in _INPUT_NAMES}

    @classmethod
    def from_json(cls, data: dict) -> "Inputs":
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _from_json(hints[f.name], data[f.name])
                      for f in dataclasses.fields(cls) if f.name in data})


_INPUT_NAMES = tuple(f.name for f in dataclasses.fields(Inputs))


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def decide(inputs: Inputs, policy: Policy) -> Decision:
    """Accepted, declined or verification_required, each with the reasons that made it."""
    i, p = inputs, policy
    declines: list[Reason] = []
    unsure: list[Reason] = []
    passed: list[Reason] = []
    _age(i, p, declines, passed)
    _record(i, p, declines, passed)
    _room(i, p, declines, unsure, passed)
    _stacking(i, p, declines)
    _velocity(i, p, declines, unsure)
    _identity(i, p, declines, unsure)
    if declines:
        return Decision(DECLINED, tuple(declines))
    if unsure and not _cleared(i, p, unsure):
        if i.verification_failed:
            return Decision(DECLINED, (*unsure, Reason("identity_not_verified")))
        if not i.verification_available:
            return Decision(DECLINED, (*unsure, Reason("verification_unavailable")))
        return Decision(VERIFICATION_REQUIRED, tuple(unsure))
    if unsure:
        passed.append(Reason("identity_verified"))
    return Decision(ACCEPTED, tuple(passed))


# Signs that someone other than the person may be ordering: an identification months ago
# says nothing about who holds the account today, so only one for this order clears them.
ASK_AGAIN = frozenset({"new_device_and_address"})


def _cleared(i: Inputs, p: Policy, unsure: list) -> bool:
    if i.verified_now:
        return True
    if not verified(i):
        return False
    return not (p.takeover_needs_fresh_verification and any(r.code in ASK_AGAIN for r in unsure))


def verified(i: Inputs) -> bool:
    return i.verified_until is not None and i.now < i.verified_until


def is_fresh(i: Inputs, p: Policy) -> bool:
    """A person we have no paid invoice of, first seen recently, and no established customer
    of this webshop either."""
    if i.paid_on_time or _established_at_shop(i, p):
        return False
    return i.person_since is None or (i.today - i.person_since).days < p.fresh_identity_days


def limit_of(i: Inputs, p: Policy) -> int:
    """What this person may have open at once under this policy."""
    limit = min(i.person_limit_cents, p.limit_ceiling_cents)
    if not i.paid_on_time:
        limit = min(limit, p.new_person_limit_cents)
    if verified(i):
        limit = max(limit, _verified_limit(i, p))
    return 0 if i.limit_status == CLOSED else limit


def _verified_limit(i: Inputs, p: Policy) -> int:
    """What identifying at the bank lets a person have open. Identity is not affordability:
    it allows one larger purchase with nothing else open, and a middle limit while the person
    orders at few webshops at once; stacking purchases at many webshops is how people get in
    over their heads, and a bank identification says nothing about that."""
    if i.limit_status != GROWING:
        return 0
    ceiling = p.limit_ceiling_cents
    if not (i.open_balance_cents or i.unshipped_cents):
        return min(max(p.verified_single_purchase_cents, p.verified_limit_cents), ceiling)
    if i.recent_webshops >= p.verified_limit_max_webshops:
        return 0
    return min(p.verified_limit_cents, ceiling)


def room_of(i: Inputs, p: Policy) -> int:
    return max(limit_of(i, p) - i.open_balance_cents - i.unshipped_cents, 0)


def _age(i: Inputs, p: Policy, declines: list, passed: list) -> None:
    if i.is_business or i.birth_date is None:
        return
    if age_on(i.birth_date, i.today) < p.minimum_age:
        declines.append(Reason("under_minimum_age", {"minimum_age": p.minimum_age}))
    else:
        passed.append(Reason("minimum_age_met", {"minimum_age": p.minimum_age}))


def _record(i: Inputs, p: Policy, declines: list, passed: list) -> None:
    if i.amount_cents > i.shop_limit_cents:
        declines.append(Reason("amount_above_limit", {"amount": i.amount_cents, "limit": i.shop_limit_cents}))
    if i.frauds:
        declines.append(Reason("fraud_on_record"))
    if i.handovers:
        declines.append(Reason("handed_over"))
    if i.overdue_invoices and i.overdue_days > p.overdue_grace_days:
        declines.append(Reason("overdue_invoices"))
    elif i.overdue_invoices:
        # A transfer takes days to reach us and be booked: a few days late is not yet a fact.
        passed.append(Reason("overdue_within_grace", {"days": p.overdue_grace_days}))
    else:
        passed.append(Reason("no_overdue_invoices"))
    if i.limit_status == CLOSED and not (i.frauds or i.handovers):
        declines.append(Reason("limit_closed"))


def _room(i: Inputs, p: Policy, declines: list, unsure: list, passed: list) -> None:
    if i.limit_status == CLOSED:
        return
    room = room_of(i, p)
    if i.amount_cents <= room:
        passed.append(Reason("within_room", {"amount": i.amount_cents}))
        return
    # What the room would be once the bank confirmed who this is: identifying helps a
    # person we do not know yet, not one whose limit is held for a late payment.
    if not verified(i) and _verified_limit(i, p):
        verified_limit = max(limit_of(i, p), _verified_limit(i, p))
        if i.amount_cents <= verified_limit - i.open_balance_cents - i.unshipped_cents:
            unsure.append(Reason("above_room_unverified", {"amount": i.amount_cents}))
            return
    declines.append(Reason("above_room", {"amount": i.amount_cents}))


def _stacking(i: Inputs, p: Policy, declines: list) -> None:
    """Someone with nothing paid yet who is buying at several webshops within days is buying on
    credit faster than anyone can judge them."""
    if not i.paid_on_time and i.recent_webshops >= p.max_recent_webshops_new_person:
        declines.append(Reason("orders_at_many_webshops", {"webshops": i.recent_webshops}))


def _velocity(i: Inputs, p: Policy, declines: list, unsure: list) -> None:
    if i.person_orders_day >= 2 * p.max_person_orders_day:
        declines.append(Reason("too_many_orders"))
    elif i.person_orders_hour >= p.max_person_orders_hour or i.person_orders_day >= p.max_person_orders_day:
        unsure.append(Reason("many_orders"))
    if i.identifier_orders_hour >= p.max_identifier_orders_hour or i.identifier_orders_day >= p.max_identifier_orders_day:
        unsure.append(Reason("many_orders_same_identifier"))


def _identity(i: Inputs, p: Policy, declines: list, unsure: list) -> None:
    fresh = is_fresh(i, p)
    if i.shared_with_fraud:
        if fresh and not verified(i):
            declines.append(Reason("shares_identifiers_with_fraud"))
        else:
            unsure.append(Reason("shares_identifiers_with_fraud"))
    if _known_to_us(i, p) and i.device_known is False and i.delivery_known is False:
        # A known e-mail address on a new device sending to a new address: the pattern of
        # a taken-over account. A known device alone clears it (a traveller, a new home).
        unsure.append(Reason("new_device_and_address"))
    if fresh and i.high_risk_goods and p.verify_fresh_high_risk_goods:
        unsure.append(Reason("fresh_identity_high_risk_goods"))
    if i.shared_recently >= p.max_shared_identifier_consumers:
        # Several names behind one phone, device or front door within days is how fraud rings
        # work; a household does it too, and its members pass the bank's check (once a year).
        unsure.append(Reason("identifiers_shared_recently"))


def _known_to_us(i: Inputs, p: Policy) -> bool:
    """A person with a history here: something paid, or first seen long enough ago."""
    if i.person_since is None:
        return False
    return bool(i.paid_on_time) or (i.today - i.person_since).days >= p.fresh_identity_days


def _established_at_shop(i: Inputs, p: Policy) -> bool:
    if i.customer_since is None or i.customer_order_count is None:
        return False
    return ((i.today - i.customer_since).days >= p.established_customer_days
            and i.customer_order_count >= p.established_customer_orders)


def age_on(birth_date: date, day: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in other years."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# --- inputs to and from JSON ----------------------------------------------------------------

def _to_json(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _from_json(hint, value):
    if value is None:
        return None
    base = _base_type(hint)
    if base is datetime:
        return datetime.fromisoformat(value)
    if base is date:
        return date.fromisoformat(value)
    if base is tuple:
        return tuple(value)
    return value


def _base_type(hint):
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint
