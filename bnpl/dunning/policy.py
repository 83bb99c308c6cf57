"""Dunning policy as data: the levels an unpaid invoice goes through, when each is due, how it
is sent and what it adds. The defaults are the Dutch ones (DESIGN.md); a merchant may store
its own per customer type, checked by ``Policy.from_dict``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bnpl.dunning import law

# When a level is due: so many days after the invoice's due date, after the previous level
# was sent, or after the deadline the previous level (a 14-day letter) gave.
COUNTS_FROM = ("due", "sent", "deadline")
CHANNELS = ("email", "post")
CHARGES = ("collection_costs", "interest")
COST_RULES = ("wik", "business_flat")
INTEREST_TABLES = {"statutory": law.STATUTORY_INTEREST, "commercial": law.COMMERCIAL_INTEREST}


@dataclass(frozen=True)
class Level:
    name: str  # reminder | fourteen_day_letter | collection_costs | handover (or the merchant's own)
    after_days: int
    counts_from: str = "due"
    channel: str = "email"
    template: str | None = None  # the consumer's e-mail; None sends none
    charges: tuple[str, ...] = ()
    letter: bool = False  # the 14-day letter: states costs and deadline, kept as a PDF
    final: bool = False  # the hand-over: no reminder after it


@dataclass(frozen=True)
class Policy:
    levels: tuple[Level, ...]
    cost_rule: str = "wik"  # wik (consumers) | business_flat (EUR 40, late-payment directive)
    interest: str = "statutory"  # statutory (consumers, 6:119 BW) | commercial (6:119a BW)
    minimum_balance_cents: int = 100  # below it nothing is sent
    cost_scale: law.CostScale = field(default=law.WIK)

    def __post_init__(self) -> None:
        _check(self)

    def level(self, number: int) -> Level | None:
        """Level `number` (1-based), or None past the last."""
        return self.levels[number - 1] if 0 < number <= len(self.levels) else None

    def costs_for(self, principal_cents: int) -> int:
        if self.cost_rule == "business_flat":
            return law.business_collection_costs(principal_cents)
        return law.collection_costs(principal_cents, self.cost_scale)

    @property
    def interest_table(self) -> law.RateTable:
        return INTEREST_TABLES[self.interest]

    @classmethod
    def from_dict(cls, data: dict) -> "Policy":
        """A stored or submitted policy; ValueError says what is wrong with it."""
        if not isinstance(data, dict) or not isinstance(data.get("levels"), list):
            raise ValueError("A policy is an object with a list of levels.")
        unknown = set(data) - {"levels", "cost_rule", "interest", "minimum_balance_cents", "cost_scale"}
        if unknown:
            raise ValueError(f"Unknown policy fields: {', '.join(sorted(unknown))}.")
        levels = tuple(_level(item) for item in data["levels"])
        scale = law.CostScale.from_dict(data["cost_scale"]) if "cost_scale" in data else law.WIK
        return cls(levels=levels, cost_rule=data.get("cost_rule", "wik"), interest=data.get("interest", "statutory"),
                   minimum_balance_cents=data.get("minimum_balance_cents", 100), cost_scale=scale)

    def to_dict(self) -> dict:
        return {"levels": [{**asdict(level), "charges": list(level.charges)} for level in self.levels],
                "cost_rule": self.cost_rule, "interest": self.interest,
                "minimum_balance_cents": self.minimum_balance_cents, "cost_scale": self.cost_scale.to_dict()}


def check_lawful_for(policy: Policy, customer_type: str) -> None:
    """What a merchant's own consumer policy may not change, because the law fixes it
    (art. 6:96 lid 6 BW, 6:119 BW); ValueError says which rule a policy breaks."""
    if customer_type != "consumer":
        return
    if policy.cost_rule != "wik" or policy.interest != "statutory":
        raise ValueError("Consumers owe collection costs on the WIK scale and statutory interest only.")
    if not law.scale_within(policy.cost_scale, law.WIK):
        raise ValueError("A consumer's collection costs may be lower than the WIK scale, never higher.")
    if sum("collection_costs" in level.charges for level in policy.levels) > 1:
        raise ValueError("Collection costs are charged once.")
    for number, level in enumerate(policy.levels, start=1):
        if level.letter and (level.template is None and level.channel == "email"):
            raise ValueError(f"Level {number} ({level.name}): a 14-day letter by e-mail needs its template.")
        if (level.letter or "collection_costs" in level.charges) and level.after_days < 1:
            raise ValueError(f"Level {number} ({level.name}): the 14-day letter goes out after the due date, and "
                             "costs only after its deadline has passed: after_days is at least 1.")


def _level(item) -> Level:
    if not isinstance(item, dict):
        raise ValueError("Each level is an object.")
    unknown = set(item) - set(Level.__dataclass_fields__)
    if unknown:
        raise ValueError(f"Unknown level fields: {', '.join(sorted(unknown))}.")
    try:
        return Level(**{**item, "charges": tuple(item.get("charges", ()))})
    except TypeError as exc:
        raise ValueError(f"A level lacks a field: {exc}.") from None


def _check(policy: Policy) -> None:
    if not policy.levels:
        raise ValueError("A policy has at least one level.")
    if policy.cost_rule not in COST_RULES or policy.interest not in INTEREST_TABLES:
        raise ValueError(f"cost_rule is one of {COST_RULES}, interest one of {tuple(INTEREST_TABLES)}.")
    if not isinstance(policy.minimum_balance_cents, int) or policy.minimum_balance_cents < 0:
        raise ValueError("minimum_balance_cents is a whole number of cents, 0 or more.")
    for number, level in enumerate(policy.levels, start=1):
        _check_level(policy, number, level)


def _check_level(policy: Policy, number: int, level: Level) -> None:
    where = f"Level {number} ({level.name})"
    if not isinstance(level.after_days, int) or level.after_days < 0:
        raise ValueError(f"{where}: after_days is a whole number of days, 0 or more.")
    if level.counts_from not in COUNTS_FROM or level.channel not in CHANNELS:
        raise ValueError(f"{where}: counts_from is one of {COUNTS_FROM}, channel one of {CHANNELS}.")
    if set(level.charges) - set(CHARGES):
        raise ValueError(f"{where}: charges are some of {CHARGES}.")
    previous = policy.level(number - 1)
    if level.counts_from != "due" and previous is None:
        raise ValueError(f"{where}: the first level counts from the due date.")
    if level.counts_from == "deadline" and not previous.letter:
        raise ValueError(f"{where}: only a level after a letter can count from its deadline.")
    if level.final and number != len(policy.levels):
        raise ValueError(f"{where}: the hand-over is the last level.")
    # WIK (art. 6:96 lid 6 BW): a consumer owes collection costs only after a 14-day letter
    # whose term has passed.
    if "collection_costs" in level.charges and policy.cost_rule == "wik" and not _after_expired_letter(policy, number):
        raise ValueError(f"{where}: consumers owe collection costs only after a 14-day letter's deadline.")


def _after_expired_letter(policy: Policy, number: int) -> bool:
    previous = policy.level(number - 1)
    return previous is not None and previous.letter and policy.level(number).counts_from == "deadline"


CONSUMER = Policy(levels=(
    Level("reminder", after_days=3, template="dunning_reminder"),
    Level("fourteen_day_letter", after_days=14, template="dunning_letter", letter=True),
    Level("collection_costs", after_days=1, counts_from="deadline", template="dunning_costs",
          charges=("collection_costs", "interest")),
    Level("handover", after_days=14, counts_from="sent", template="dunning_handover", charges=("interest",),
          final=True),
))

BUSINESS = Policy(cost_rule="business_flat", interest="commercial", levels=(
    Level("reminder", after_days=3, template="dunning_reminder"),
    Level("collection_costs", after_days=14, template="dunning_costs", charges=("collection_costs", "interest")),
    Level("handover", after_days=14, counts_from="sent", template="dunning_handover", charges=("interest",),
          final=True),
))

DEFAULTS = {"consumer": CONSUMER, "business": BUSINESS}
