"""The acceptance policy as data: the installation's default (from configuration) and a
webshop's own version on top of it, which may only be stricter, never looser."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

LOWER, HIGHER = "lower", "higher"


@dataclass(frozen=True)
class Policy:
    new_person_limit_cents: int = 30_000     # what a person we do not know may have open at once
    limit_ceiling_cents: int = 250_000       # the most anyone may have open at once
    limit_step_cents: int = 10_000           # what each invoice paid on time adds to a person's limit
    verified_limit_cents: int = 150_000      # what a bank-verified person may have open (below the ceiling)
    late_hold_days: int = 180                # a late payment holds the limit this long
    verified_for_days: int = 365             # a verified person is not asked again for this long
    fresh_identity_days: int = 30            # a person first seen this recently, with nothing paid, is fresh
    minimum_age: int = 18
    max_person_orders_hour: int = 3          # orders of one person at all webshops
    max_person_orders_day: int = 8
    # Orders from one device, phone or address, anyone's: above a person's own numbers, so that
    # it speaks of several people at one front door (people sharing a device or phone are merged).
    max_identifier_orders_hour: int = 4
    max_identifier_orders_day: int = 10
    verify_fresh_high_risk_goods: bool = False  # a fresh identity buying high-risk goods identifies first
    established_customer_days: int = 365     # a webshop's customer this long, with this many orders,
    established_customer_orders: int = 3     # is not a fresh identity to that shop
    overdue_grace_days: int = 14             # an invoice this few days overdue does not decline yet
    verified_single_purchase_cents: int = 250_000  # one purchase a verified person may make with nothing else open
    verified_limit_max_webshops: int = 2     # the verified limit holds while ordering at fewer other webshops (14 days)
    max_recent_webshops_new_person: int = 3  # nothing paid yet and ordering at this many other webshops (14 days): declined
    takeover_needs_fresh_verification: bool = True  # a known person on a new device to a new address identifies again
    max_shared_identifier_consumers: int = 1  # this many others ordered with the phone, device or address this week: identify

    def as_dict(self) -> dict:
        # Every field a number or a flag: a shallow copy is asdict's, without its deep copies.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, values: dict) -> "Policy":
        """A stored policy; a field it predates takes the behaviour from before that field,
        so an old decision replays as it was decided."""
        known = {f.name for f in fields(cls)}
        return cls(**{**INTRODUCED, **{k: v for k, v in values.items() if k in known}})


# Fields added after decisions were first stored, with the value that gives the behaviour
# from before them.
INTRODUCED = {
    "overdue_grace_days": 0, "verified_single_purchase_cents": 0, "verified_limit_max_webshops": 1_000_000,
    "max_recent_webshops_new_person": 1_000_000, "takeover_needs_fresh_verification": False,
    "max_shared_identifier_consumers": 1_000_000,
}


# Which way is stricter, per field: a webshop may only move a number this way.
STRICTER = {
    "new_person_limit_cents": LOWER, "limit_ceiling_cents": LOWER, "limit_step_cents": LOWER,
    "verified_limit_cents": LOWER, "late_hold_days": HIGHER, "verified_for_days": LOWER,
    "fresh_identity_days": HIGHER, "minimum_age": HIGHER,
    "max_person_orders_hour": LOWER, "max_person_orders_day": LOWER,
    "max_identifier_orders_hour": LOWER, "max_identifier_orders_day": LOWER,
    "verify_fresh_high_risk_goods": HIGHER,
    "established_customer_days": HIGHER, "established_customer_orders": HIGHER,
    "overdue_grace_days": LOWER, "verified_single_purchase_cents": LOWER, "verified_limit_max_webshops": LOWER,
    "max_recent_webshops_new_person": LOWER, "takeover_needs_fresh_verification": HIGHER,
    "max_shared_identifier_consumers": LOWER,
}
assert set(STRICTER) == {f.name for f in fields(Policy)}, "every policy field says which way is stricter"


_FIELD_NAMES = tuple(f.name for f in fields(Policy))


def installation_default(settings) -> Policy:
    """The default from configuration (BNPL_RISK_*), the floor every webshop starts from."""
    risk = settings.risk
    return Policy(new_person_limit_cents=risk.new_person_limit_cents, limit_ceiling_cents=risk.limit_ceiling_cents,
                  verified_limit_cents=min(Policy.verified_limit_cents, risk.limit_ceiling_cents),
                  verified_for_days=risk.verified_for_days, minimum_age=settings.minimum_age)


def looser_fields(base: Policy, proposed: Policy) -> dict[str, str]:
    """The fields where the proposal is looser than the base, each with why."""
    found = {}
    for name, direction in STRICTER.items():
        old, new = getattr(base, name), getattr(proposed, name)
        if (direction == LOWER and new > old) or (direction == HIGHER and new < old):
            word = "above" if direction == LOWER else "below"
            found[name] = f"{new!r} is {word} the installation's {old!r}: a webshop may make the policy stricter, not looser."
    return found


def apply(base: Policy, changes: dict) -> Policy:
    return replace(base, **changes)


def stricter_of(base: Policy, changes: dict) -> Policy:
    """The base with each changed field where the change is stricter. A stored change that the
    installation has since overtaken (its default became stricter still) gives way to it."""
    kept = {}
    for name, value in changes.items():
        direction = STRICTER.get(name)
        if direction is None:
            continue
        old = getattr(base, name)
        kept[name] = min(old, value) if direction == LOWER else max(old, value)
    return replace(base, **kept)
