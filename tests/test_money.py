"""VAT is computed per rate on VAT-inclusive amounts, rounded half up to the cent."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bnpl.money import Money, vat_breakdown, vat_included


@pytest.mark.parametrize("gross, rate, vat", [
    (12100, "21", 2100),      # exact
    (1999, "21", 347),        # 346.93 -> 347
    (1000, "9", 83),          # 82.57 -> 83
    (121, "21", 21),
    (100, "21", 17),          # 17.355 -> 17
    (50, "9", 4),             # 4.128 -> 4
    (545, "9", 45),           # 45.0 exactly
    (0, "21", 0),
    (1000, "0", 0),
    (1055, "5.5", 55),        # 55.0
])
def test_vat_contained_in_a_gross_amount(gross, rate, vat):
    assert vat_included(gross, Decimal(rate)) == vat


def test_half_a_cent_rounds_away_from_zero():
    # At 100 % VAT half of the gross is VAT: 21 cents hold 10.5 cents of VAT.
    assert vat_included(21, Decimal("100")) == 11
    assert vat_included(-21, Decimal("100")) == -11  # credits round symmetrically


def test_breakdown_groups_per_rate_highest_first_and_rounds_once_per_rate():
    lines = [(Decimal("21"), 1999), (Decimal("9"), 900), (Decimal("21"), 2500)]
    breakdown = vat_breakdown(lines)
    assert [(v.rate, v.gross, v.vat, v.net) for v in breakdown] == [
        (Decimal("21"), 4499, 781, 3718),
        (Decimal("9"), 900, 74, 826),
    ]
    # Per line it would have been 347 + 434 = 781 here as well, but not in general:
    assert vat_included(1999, Decimal(21)) + vat_included(2500, Decimal(21)) == 781


def test_per_rate_rounding_differs_from_per_line_rounding_by_design():
    # Three lines of 0.50 at 21 %: per line 0.0868 -> 0.09 each (0.27); per rate 1.50 -> 0.26.
    breakdown = vat_breakdown([(Decimal(21), 50)] * 3)
    assert breakdown[0].vat == 26


@given(st.lists(st.tuples(st.sampled_from([Decimal(0), Decimal(9), Decimal(21)]),
                          st.integers(min_value=0, max_value=10_000_000)), min_size=1, max_size=30))
def test_breakdown_always_adds_up_to_the_gross_total(lines):
    breakdown = vat_breakdown(lines)
    assert sum(v.gross for v in breakdown) == sum(g for _, g in lines)
    for v in breakdown:
        assert v.net + v.vat == v.gross
        exact = Decimal(v.gross) * v.rate / (100 + v.rate)
        assert abs(v.vat - exact) <= Decimal("0.5")


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(19.99, "EUR")
    with pytest.raises(ValueError):
        Money(100, "EUR") + Money(100, "USD")
    assert (Money(150, "EUR") + Money(50, "EUR")) * 3 == Money(600, "EUR")
    assert Money(189900, "EUR").format() == "EUR 1899.00"
