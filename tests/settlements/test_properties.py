"""Properties over random months of invoices and credit notes: every settlement reconciles
to the cent with its entries and with the documents issued in its period."""
from __future__ import annotations

import csv
import io
import itertools
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from bnpl.settlements import service
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests.settlements.conftest import at, credit, set_fee, settle_month, ship


@given(invoiced=st.integers(0, 10**9), fee_bp=st.integers(0, 10_000))
def test_the_fee_is_the_exact_product_rounded_half_up(invoiced, fee_bp):
    exact = Decimal(invoiced) * fee_bp / 10_000
    assert service.provider_fee(invoiced_cents=invoiced, fee_bp=fee_bp) == int(exact.quantize(1, ROUND_HALF_UP))


invoices = st.lists(st.tuples(st.integers(1, 27),            # day of the first month
                              st.integers(1, 60_000)),       # amount in cents
                    min_size=1, max_size=4)
credits = st.lists(st.tuples(st.integers(0, 3),              # which invoice
                             st.integers(1, 100),            # percent of it
                             st.booleans()),                 # in the following month
                   max_size=4)


def test_settlements_reconcile_over_random_months(api, services, clock):
    months = itertools.count(0, 2)  # each example has two months of its own, after the last

    @given(invoices=invoices, credits=credits, fee_bp=st.integers(0, 500))
    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(invoices, credits, fee_bp):
        offset = next(months)
        year, month = 2027 + offset // 12, offset % 12 + 1
        later = (year, month + 1)
        set_fee(services, api.merchant_id, fee_bp)
        issued = []
        for day, amount in sorted(invoices):
            clock.set(at(year, month, day))
            issued.append(ship(api, amount))
        expected = {(year, month): [sum(i["total"] for i in issued), 0], later: [0, 0]}
        creditable = {i["id"]: i["total"] for i in issued}
        for n, (which, percent, in_later) in enumerate(sorted(credits, key=lambda c: c[2])):
            inv = issued[which % len(issued)]
            amount = min(max(1, inv["total"] * percent // 100), creditable[inv["id"]])
            if not amount:
                continue
            clock.set(at(*later, 1 + n) if in_later else at(year, month, 28, 8 + n))
            credit(api, inv["id"], amount)
            creditable[inv["id"]] -= amount
            expected[later if in_later else (year, month)][1] += amount

        clock.set(at(later[0] + 1, 1, 1))
        for (y, m), (invoiced, credited) in expected.items():
            settled = settle_month(services, y, m)
            if not invoiced and not credited:
                assert settled == []
                continue
            [s] = settled
            fee = service.provider_fee(invoiced_cents=invoiced, fee_bp=fee_bp)
            assert (s.invoiced_cents, s.credited_cents, s.fee_cents) == (invoiced, credited, fee)
            assert s.payable_cents == invoiced - credited - fee
            with unit_of_work(services) as uow:
                statement = service.settlement_entries(uow, scope=Scope(api.merchant_id, False), settlement_id=s.id)
            assert statement.total_cents == s.payable_cents
            rows = list(csv.DictReader(io.StringIO(api.get(f"/settlements/{s.id}/entries.csv").text)))
            assert sum(int(r["amount_cents"]) for r in rows[:-1]) == int(rows[-1]["amount_cents"]) == s.payable_cents
            assert sum(Decimal(r["amount"]) for r in rows[:-1]) == Decimal(rows[-1]["amount"])
            assert settle_month(services, y, m)[0].id == s.id  # idempotent

    check()
