"""Dutch collection law as pure functions: WIK collection costs, statutory interest and the
deadline of the 14-day letter (counted in working days by bnpl.calendar).

Nothing here reads a clock or a database; every date is passed in. Amounts are integer cents.
The arithmetic runs on exact fractions and is rounded once, half up, at the very end, because
rounding per band or per day would let cents drift away from what the law's formula gives.
"""
from __future__ import annotations

import bisect
import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Iterator

from bnpl.calendar import next_working_day

ONE_DAY = timedelta(days=1)
BASIS_POINTS = 10_000


def _round_half_up(amount: Fraction) -> int:
    """Whole cents, halves away from zero. Not bnpl.money.round_half_up: that takes a Decimal, and
    a Decimal cannot hold x/365 exactly, so a value just under a half could round the wrong way."""
    sign = -1 if amount < 0 else 1
    return sign * math.floor(abs(amount) + Fraction(1, 2))


def _whole_number(value: Any, name: str) -> int:
    # Money and rates in a stored policy are whole numbers; a float (4000.0) is refused rather
    # than silently truncated, and so is a bool (True is an int in Python).
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return value


# --- Collection costs (art. 6:96 BW) -------------------------------------------------------------

@dataclass(frozen=True)
class CostScale:
    """A sliding scale of collection costs on the principal, with a floor and a cap.

    ``bands`` are ``(upper bound of the principal in cents, rate in basis points)`` in ascending
    order; the last band's bound is ``None`` ("everything above"), so every principal is covered.
    """

    bands: tuple[tuple[int | None, int], ...]
    minimum_cents: int
    maximum_cents: int

    def __post_init__(self) -> None:
        _check_bands(self.bands)
        _whole_number(self.minimum_cents, "minimum_cents")
        _whole_number(self.maximum_cents, "maximum_cents")
        if not 0 <= self.minimum_cents <= self.maximum_cents:
            raise ValueError("need 0 <= minimum_cents <= maximum_cents")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostScale:
        """Read a scale stored as JSON (a merchant's own policy), validating every number."""
        try:
            bands = tuple((band["up_to_cents"], band["rate_bp"]) for band in data["bands"])
            return cls(bands, data["minimum_cents"], data["maximum_cents"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a cost scale: {exc!r}") from None

    def to_dict(self) -> dict[str, Any]:
        bands = [{"up_to_cents": bound, "rate_bp": rate} for bound, rate in self.bands]
        return {"bands": bands, "minimum_cents": self.minimum_cents,
                "maximum_cents": self.maximum_cents}


def _check_bands(bands: tuple[tuple[int | None, int], ...]) -> None:
    if not bands or bands[-1][0] is not None:
        raise ValueError("the last band must be open-ended (upper bound None)")
    previous = 0
    for bound, rate in bands:
        if _whole_number(rate, "rate_bp") < 0:
            raise ValueError("a band's rate cannot be negative")
        if bound is None:
            continue
        if _whole_number(bound, "up_to_cents") <= previous:
            raise ValueError("band bounds must be positive and strictly ascending")
        previous = bound
    if any(bound is None for bound, _ in bands[:-1]):
        raise ValueError("only the last band may be open-ended")


# Besluit vergoeding voor buitengerechtelijke incassokosten (art. 6:96 lid 5 BW), art. 2 lid 1:
# 15 % over the first EUR 2,500 of the principal (at least EUR 40), 10 % over the next 2,500,
# 5 % over the next 5,000, 1 % over the next 190,000 and 0.5 % above, at most EUR 6,775.
# The bounds below are cumulative: 2,500 / 5,000 / 10,000 / 200,000 euros.
WIK = CostScale(
    bands=((250_000, 1_500), (500_000, 1_000), (1_000_000, 500), (20_000_000, 100), (None, 50)),
    minimum_cents=4_000,
    maximum_cents=677_500,
)

# Late-payment directive 2011/7/EU art. 6 and art. 6:119a lid 4 BW: a business debtor owes a
# fixed EUR 40 for recovery costs, without a 14-day letter.
BUSINESS_FLAT_CENTS = 4_000


def collection_costs(principal_cents: int, scale: CostScale = WIK) -> int:
    """Extrajudicial collection costs on a principal under a sliding scale, in cents."""
    if principal_cents <= 0:
        return 0  # nothing is owed, so nothing can be collected
    return min(max(_round_half_up(_scale_amount(principal_cents, scale)), scale.minimum_cents),
               scale.maximum_cents)


def scale_within(scale: CostScale, limit: CostScale = WIK) -> bool:
    """Whether a scale never asks more than `limit` (a merchant may ask less than WIK, never
    more). Both are linear between their band bounds and the principals where the floor or the
    cap takes over, so comparing at those points (and far above them) decides it."""
    points = {1, 10**13}
    for s in (scale, limit):
        points |= {bound for bound, _ in s.bands if bound is not None}
        points |= {p + d for amount in (s.minimum_cents, s.maximum_cents) for d in (-1, 0)
                   if (p := _principal_reaching(s, amount)) is not None}
    return all(collection_costs(p, scale) <= collection_costs(p, limit) for p in sorted(points) if p > 0)


def _principal_reaching(scale: CostScale, amount: int) -> int | None:
    """The smallest principal whose scale amount (before floor and cap) reaches `amount`."""
    low, high = 0, 10**13
    if _scale_amount(high, scale) < amount:
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if _scale_amount(middle, scale) < amount else (low, middle)
    return low


def _scale_amount(principal_cents: int, scale: CostScale) -> Fraction:
    # Each band's rate applies only to the slice of the principal that falls inside the band.
    total, lower = Fraction(0), 0
    for bound, rate_bp in scale.bands:
        upper = principal_cents if bound is None else min(principal_cents, bound)
        if upper > lower:
            total += Fraction((upper - lower) * rate_bp, BASIS_POINTS)
        if bound is None or principal_cents <= bound:
            break
        lower = bound
    return total


def business_collection_costs(principal_cents: int) -> int:
    """The flat compensation a business debtor owes on a late payment (art. 6:119a lid 4 BW)."""
    return BUSINESS_FLAT_CENTS if principal_cents > 0 else 0


# --- Statutory interest (art. 6:119, 6:119a, 6:120 BW) -------------------------------------------

@dataclass(frozen=True)
class RateTable:
    """Annual interest rates in basis points, each in force from its date until the next one."""

    entries: tuple[tuple[date, int], ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("a rate table needs at least one entry")
        days = [day for day, _ in self.entries]
        if any(later <= earlier for earlier, later in zip(days, days[1:])):
            raise ValueError("rate table entries must be in strictly ascending date order")
        for _, rate_bp in self.entries:
            if _whole_number(rate_bp, "rate_bp") < 0:
                raise ValueError("an interest rate cannot be negative")

    def rate_on(self, day: date) -> int:
        """The rate in force on ``day``; ValueError before the table's first entry."""
        index = bisect.bisect_right(self.entries, day, key=lambda entry: entry[0]) - 1
        if index < 0:
            raise ValueError(f"no rate known before {self.entries[0][0].isoformat()} (asked {day})")
        return self.entries[index][1]


# Wettelijke rente for non-commercial transactions (consumers), art. 6:119 BW, set half-yearly
# by royal decree under art. 6:120 lid 1 BW (Besluit vaststelling wettelijke rente, BWBR0047640).
# Check new values at rijksoverheid.nl, "Hoe hoog is de wettelijke rente?".
# - 2015-01-01  2 %  Stb. 2014, 491 (text read in full).
# - 2023-01-01  4 %  Besluit of 15 Dec 2022, Stb. 2022, 520.
# - 2023-07-01  6 %  Stb. 2023, 235.
# - 2024-01-01  7 %  Stb. 2023, 484; unchanged on 2024-07-01.
# - 2025-01-01  6 %  law-firm notices of the decree; no government page found in the search.
# - 2026-01-01  4 %  secondary sources only (code that cites the BWBR0047640 versions, and
#   notices quoting "4 % (2026)"). NOT CONFIRMED from a government page.
# - 2025-07-01: no decree found; those sources say 6 % stayed. NOT CONFIRMED.
# - 2026-07-01: no figure found; the table assumes 4 % still applies. NOT CONFIRMED.
STATUTORY_INTEREST = RateTable((
    (date(2015, 1, 1), 200),
    (date(2023, 1, 1), 400),
    (date(2023, 7, 1), 600),
    (date(2024, 1, 1), 700),
    (date(2025, 1, 1), 600),
    (date(2026, 1, 1), 400),
))

# Wettelijke handelsrente (businesses), art. 6:119a BW: under art. 6:120 lid 2 BW, the ECB's
# main refinancing rate before 1 January / 1 July plus 8 percentage points.
# - 8 % in force before 2023 (ECB rate 0 %); law-firm notices "van 8 % naar 10,5 %".
# - 2023-01-01 10.50 %, 2023-07-01 12.00 %, 2024-01-01 12.50 %, 2024-07-01 12.25 %,
#   2025-01-01 11.15 %: law-firm notices, all matching the ECB rate plus 8.
# - 2025-07-01 10.15 % (ECB 2.15 % from 11 June 2025 plus 8); unchanged on 2026-01-01 according
#   to secondary sources. Not checked against a government page.
# - 2026-07-01: no figure found; the table assumes 10.15 % still applies. NOT CONFIRMED.
COMMERCIAL_INTEREST = RateTable((
    (date(2022, 1, 1), 800),
    (date(2023, 1, 1), 1050),
    (date(2023, 7, 1), 1200),
    (date(2024, 1, 1), 1250),
    (date(2024, 7, 1), 1225),
    (date(2025, 1, 1), 1115),
    (date(2025, 7, 1), 1015),
))


def interest_cents(principal_cents: int, start: date, end: date, table: RateTable) -> int:
    """Statutory interest on a principal for each day after ``start`` through ``end``, in cents.

    Each day earns that day's rate divided by the length of its calendar year. Under art. 6:119
    lid 2 BW, the interest owed is added to the principal at the end of each full year, counted
    from ``start``.
    """
    if principal_cents <= 0 or end <= start:
        return 0  # no debt, or no day of delay: nothing to compensate
    owed = Fraction(principal_cents)
    for after, through in _interest_years(start, end):
        owed += owed * _rate_sum(after, through, table)
    return _round_half_up(owed - principal_cents)


def _interest_years(start: date, end: date) -> Iterator[tuple[date, date]]:
    """(exclusive, inclusive) bounds of each interest year from ``start``; the last stops at end."""
    years, after = 1, start
    while after < end:
        anniversary = _years_later(start, years)
        yield after, min(anniversary, end)
        after, years = anniversary, years + 1


def _years_later(day: date, years: int) -> date:
    # A year counted from 29 February ends on 1 March, the later of the two possible days, so
    # interest on interest is never charged before a full year has passed.
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _rate_sum(after: date, through: date, table: RateTable) -> Fraction:
    # Actual/actual by calendar year: each day earns its rate over 365, or over 366 in a leap year.
    total, day = Fraction(0), after + ONE_DAY
    while day <= through:
        days_in_year = 366 if calendar.isleap(day.year) else 365
        total += Fraction(table.rate_on(day), BASIS_POINTS * days_in_year)
        day += ONE_DAY
    return total


# --- The 14-day letter (art. 6:96 lid 6 BW) ------------------------------------------------------

LETTER_TERM_DAYS = 14

# When a reminder counts as received. The law (art. 3:37 lid 3 BW) looks at receipt, and the
# Hoge Raad starts the 14 days on the day after receipt (HR 25 November 2016,
# ECLI:NL:HR:2016:2704; the brief for this module cited HR 13 July 2018, ECLI:NL:HR:2018:1274,
# which could not be checked). These delays are a policy choice: e-mail arrives the next day,
# and post the second day after posting. Note that post is not delivered on Sundays (or Mondays
# for ordinary letters), so a letter posted on a Friday may really arrive later than this.
_RECEIPT_DELAY = {"email": timedelta(days=1), "post": timedelta(days=2)}


def receipt_date(sent_on: date, channel: str) -> date:
    """The day a reminder sent on ``sent_on`` counts as received; channel is "email" or "post"."""
    try:
        return sent_on + _RECEIPT_DELAY[channel]
    except KeyError:
        raise ValueError(f"unknown channel {channel!r}: expected 'email' or 'post'") from None


def letter_deadline(sent_on: date, channel: str) -> date:
    """The last day on which the consumer can still pay without collection costs.

    The 14 days start on the day after receipt, so they end on receipt + 14. Art. 1 lid 1 of the
    Algemene termijnenwet extends "a term set in a statute" that ends on a Saturday, Sunday or
    public holiday to the next day that is none of those. Whether the Atw covers the term of
    art. 6:96 lid 6 BW is debated, because the creditor sets it in a letter. We follow the reading
    that is more careful of the consumer and extend it. (Art. 2 Atw, which requires two working
    days inside the term, can never apply to 14 consecutive days.)
    """
    last_day = receipt_date(sent_on, channel) + timedelta(days=LETTER_TERM_DAYS)
    return next_working_day(last_day)
