"""The statuses of payments, checkouts, direct debits and refunds, each table walked row by
row against the table written out here: every row moves, every other pair is refused."""
import re

import pytest
from sqlalchemy import CheckConstraint

from bnpl.errors import IllegalTransition
from bnpl.payments import models, states

PAYMENT = {
    ("proposed", "confirm"): "booked",
    ("proposed", "reject"): "unmatched",
}
CHECKOUT = {
    ("open", "paid"): "paid",
    ("open", "failed"): "failed",
    ("open", "cancelled"): "cancelled",
    ("open", "expired"): "expired",
    ("failed", "paid"): "paid",
    ("cancelled", "paid"): "paid",
    ("expired", "paid"): "paid",
}
DEBIT = {
    ("submitted", "collect"): "collected",
    ("submitted", "return"): "returned",
    ("collected", "return"): "returned",
}
REFUND = {
    ("submitted", "pay"): "paid",
}
TABLES = {  # machine: (expected table, every state, the model whose check constraint lists them)
    states.PAYMENT: (PAYMENT, ("booked", "proposed", "unmatched", "ignored"), models.Payment),
    states.CHECKOUT: (CHECKOUT, ("open", "paid", "failed", "cancelled", "expired"), models.Checkout),
    states.DEBIT: (DEBIT, ("submitted", "collected", "returned"), models.DirectDebit),
    states.REFUND: (REFUND, ("owed", "submitted", "paid"), models.Refund),
}


def _pairs(legal: bool):
    return [pytest.param(machine, state, action, id=f"{machine.name}:{state}:{action}")
            for machine, (expected, every_state, _) in TABLES.items()
            for state in every_state for action in machine.actions
            if ((state, action) in expected) == legal]


@pytest.mark.parametrize("machine", TABLES, ids=lambda m: m.name)
def test_the_table_is_exactly_the_expected_one(machine):
    expected, every_state, model = TABLES[machine]
    assert machine.transitions == expected
    assert set(machine.states) == set(every_state)
    constraint = next(c for c in model.__table__.constraints if isinstance(c, CheckConstraint))
    assert set(re.findall(r"'(\w+)'", str(constraint.sqltext))) == set(every_state)


@pytest.mark.parametrize("machine, state, action", _pairs(legal=True))
def test_every_row_moves(machine, state, action):
    assert machine.next(state, action) == TABLES[machine][0][(state, action)]


@pytest.mark.parametrize("machine, state, action", _pairs(legal=False))
def test_every_other_pair_is_refused(machine, state, action):
    with pytest.raises(IllegalTransition) as refused:
        machine.next(state, action, subject="It")
    assert refused.value.extra == {"state": state, "action": action}
    assert refused.value.detail.startswith(f"It is {state}")


def test_a_payment_that_is_no_proposal_says_so():
    with pytest.raises(IllegalTransition, match="^Payment pay_1 is booked, not proposed.$"):
        states.PAYMENT.next("booked", "confirm", subject="Payment pay_1")


def test_a_checkout_says_what_it_cannot_become():
    with pytest.raises(IllegalTransition, match="^Checkout chk_1 is paid; it cannot become failed.$"):
        states.CHECKOUT.next("paid", "failed", subject="Checkout chk_1")
