"""Random sequences of ship / cancel / announce / receive / credit / time passing, with the
money trail's invariants checked after every step (hypothesis, stateful)."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from bnpl.clock import local_date
from bnpl.errors import Conflict, DomainError
from bnpl.invoices import ledger as invoice_ledger
from bnpl.invoices import service as invoices
from bnpl.invoices.models import CreditNote, Invoice
from bnpl.orders import service as orders
from bnpl.orders.schemas import OrderCreateSchema
from bnpl.returns import service as returns
from bnpl.returns.models import Return
from bnpl.tenancy import Scope
from bnpl.uow import unit_of_work
from tests import factories, identified
from tests.conftest import _empty_all_tables, make_merchant

line_spec = st.tuples(st.integers(1, 3), st.integers(1, 5000), st.sampled_from([0, 9, 21]))


class MoneyTrail(RuleBasedStateMachine):
    def __init__(self, services, clock):
        super().__init__()
        self.services, self.clock = services, clock
        _empty_all_tables(services.engine)
        merchant_id, _ = make_merchant(services, "Stateful shop")
        self.scope = Scope(merchant_id, False)
        self.order_ids: list[str] = []
        self.original_due: dict[str, object] = {}

    def work(self):
        return unit_of_work(self.services)

    @initialize(specs=st.lists(line_spec, min_size=1, max_size=3))
    def create_order(self, specs):
        self._create(specs)

    @rule(specs=st.lists(line_spec, min_size=1, max_size=3))
    def another_order(self, specs):
        self._create(specs)

    def _create(self, specs):
        lines = [factories.line(f"L{i}", quantity=q, unit_price=p, vat_rate=v) for i, (q, p, v) in enumerate(specs)]
        data = OrderCreateSchema().load(factories.order(lines=lines))
        with self.work() as uow:
            order = identified.in_service(uow, orders.create_order(uow, scope=self.scope, data=data))
            self.order_ids.append(order.id)

    def _order(self, uow, pick):
        return orders.get_order(uow, scope=self.scope, order_id=pick(self.order_ids))

    def _open_quantity(self, uow, data):
        """An order and {lines: [one open line, a quantity of it]}, or None."""
        order = self._order(uow, lambda ids: data.draw(st.sampled_from(ids)))
        open_lines = [line for line in order.lines if line.open_quantity]
        # Declined: overdue invoices by now, or more than the consumer may have open at once.
        if not open_lines or order.status == "declined":
            return None
        line = data.draw(st.sampled_from(open_lines))
        return order, {"lines": [{"reference": line.reference, "quantity": data.draw(st.integers(1, line.open_quantity))}]}

    @rule(data=st.data())
    def ship(self, data):
        with self.work() as uow:
            picked = self._open_quantity(uow, data)
            # An order waiting for the consumer's bank identification (risk) ships only once accepted.
            if picked and picked[0].status != "verification_required":
                shipped = orders.ship_order(uow, scope=self.scope, order_id=picked[0].id, data=picked[1])
                self.original_due[shipped.invoice.id] = shipped.invoice.due_date

    @rule(data=st.data())
    def cancel(self, data):
        with self.work() as uow:
            if picked := self._open_quantity(uow, data):
                orders.cancel_order(uow, scope=self.scope, order_id=picked[0].id, data=picked[1])

    @rule(data=st.data(), received=st.booleans(), too_many=st.booleans())
    def register_return(self, data, received, too_many):
        with self.work() as uow:
            order = self._order(uow, lambda ids: data.draw(st.sampled_from(ids)))
            candidates = [line for line in order.lines if line.shipped_quantity]
            if not candidates:
                return
            line = data.draw(st.sampled_from(candidates))
            returnable = line.returnable_quantity
        qty = returnable + 1 if too_many or not returnable else data.draw(st.integers(1, returnable))
        body = {"lines": [{"reference": line.reference, "quantity": qty}],
                "status": "received" if received else "announced"}
        if qty > returnable:
            with pytest.raises(Conflict):
                with self.work() as uow:
                    returns.register_return(uow, scope=self.scope, order_id=order.id, data=body)
            return
        with self.work() as uow:
            returns.register_return(uow, scope=self.scope, order_id=order.id, data=body)

    @rule(data=st.data())
    def receive(self, data):
        with self.work() as uow:
            announced = uow.session.scalars(select(Return.id).where(Return.status == "announced")).all()
            if announced:
                returns.receive_return(uow, scope=self.scope, return_id=data.draw(st.sampled_from(sorted(announced))))

    @rule(data=st.data(), over=st.booleans())
    def credit_amount(self, data, over):
        with self.work() as uow:
            ids = uow.session.scalars(select(Invoice.id).order_by(Invoice.number)).all()
            if not ids:
                return
            invoice = invoices.get_invoice(uow, scope=self.scope, invoice_id=data.draw(st.sampled_from(ids)))
            creditable = invoice.creditable_cents
        if over or creditable == 0:
            with pytest.raises(DomainError):
                with self.work() as uow:
                    invoice_ledger.credit_amount(uow, scope=self.scope, invoice_id=invoice.id, amount=creditable + 1, reason="x")
            return
        with self.work() as uow:
            invoice_ledger.credit_amount(uow, scope=self.scope, invoice_id=invoice.id,
                                         amount=data.draw(st.integers(1, creditable)), reason="goodwill")

    @rule(days=st.integers(1, 20))
    def time_passes(self, days):
        self.clock.advance(days=days)
        with self.work() as uow:
            returns.flag_overdue_returns(uow)

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def quantities_stay_within_what_was_ordered_and_shipped(self):
        with self.work() as uow:
            for order_id in self.order_ids:
                for line in orders.get_order(uow, scope=self.scope, order_id=order_id).lines:
                    assert line.shipped_quantity + line.cancelled_quantity <= line.quantity
                    assert line.returned_quantity <= line.shipped_quantity

    @invariant()
    def balances_are_sums_of_entries_and_never_negative(self):
        with self.work() as uow:
            for invoice in uow.session.scalars(select(Invoice)).all():
                credited = sum(note.total_cents for note in invoice.credit_notes)
                assert credited == sum(line.total_cents for note in invoice.credit_notes for line in note.lines)
                assert credited <= invoice.total_cents
                assert invoice.total_cents == sum(line.total_cents for line in invoice.lines)
                assert invoice.balance_cents == invoice.total_cents - credited >= 0
                assert invoice.refund_owed_cents == 0  # no payments exist to overpay
                assert invoice.status == invoice.derive_status()
                assert invoice.owed_cents == invoice.owed_by_entries  # the cache queries use

    @invariant()
    def credit_note_numbers_have_no_gaps_within_a_year(self):
        series: dict[str, list[int]] = {}
        with self.work() as uow:
            for number in uow.session.scalars(select(CreditNote.number)):
                year, value = number.rsplit("-", 2)[-2:]
                series.setdefault(year, []).append(int(value))
        for numbers in series.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))

    @invariant()
    def a_paused_invoice_has_an_open_pause_and_due_dates_move_by_the_paused_time(self):
        tz = self.services.settings.timezone
        with self.work() as uow:
            for invoice in uow.session.scalars(select(Invoice)).all():
                open_pauses = [p for p in invoice.pauses if p.lifted_at is None]
                assert (invoice.status == "paused") == (bool(open_pauses) and not invoice.is_closed)
                assert invoice.due_date == self.original_due[invoice.id] + timedelta(days=_paused_days(invoice, tz))


def _paused_days(invoice, tz) -> int:
    """Calendar days of the finished paused stretches (overlapping pauses count once)."""
    stretches, days = [], 0
    for pause in sorted(invoice.pauses, key=lambda p: p.started_at):
        end = pause.lifted_at
        if stretches and (stretches[-1][1] is None or pause.started_at <= stretches[-1][1]):
            last_end = stretches[-1][1]
            stretches[-1][1] = None if end is None or last_end is None else max(last_end, end)
        else:
            stretches.append([pause.started_at, end])
    for start, end in stretches:
        if end is not None:
            days += (local_date(end, tz) - local_date(start, tz)).days
    return days


def test_the_money_trail_holds_under_random_sequences(services, clock):
    run_state_machine_as_test(
        lambda: MoneyTrail(services, clock),
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck)))
