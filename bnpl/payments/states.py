"""The statuses of money that moves, each a transition table: payments received, checkouts
at a payment provider, SEPA direct debits and refunds. A status is written when the row is
made (what the bank or provider told us) and changed afterwards only through these tables."""
from bnpl.states import StateMachine

# --- a payment received: booked on an invoice, or waiting for a person ------------------------
BOOKED, PROPOSED, UNMATCHED, IGNORED = "booked", "proposed", "unmatched", "ignored"
PAYMENT_STATES = (BOOKED, PROPOSED, UNMATCHED, IGNORED)

PAYMENT_TRANSITIONS = {
    (PROPOSED, "confirm"): BOOKED,      # a person agrees with the match by amount and name
    (PROPOSED, "reject"): UNMATCHED,    # ... or not: it waits for another match
}


def _payment_refusal(state: str, action: str, subject: str) -> str:
    return f"{subject} is {state}, not proposed."


PAYMENT = StateMachine("payment", PAYMENT_TRANSITIONS, states=PAYMENT_STATES, explain=_payment_refusal)

# --- a checkout at a payment provider: what its callback reports ------------------------------
# The action is the outcome the provider reports. The same outcome again is a replay and is
# handled before the table (it changes nothing); money taken after a reported failure is
# still money taken.
OPEN, PAID, FAILED, CANCELLED, EXPIRED = "open", "paid", "failed", "cancelled", "expired"
CHECKOUT_STATES = (OPEN, PAID, FAILED, CANCELLED, EXPIRED)

CHECKOUT_TRANSITIONS = {
    (OPEN, PAID): PAID,
    (OPEN, FAILED): FAILED,
    (OPEN, CANCELLED): CANCELLED,
    (OPEN, EXPIRED): EXPIRED,
    (FAILED, PAID): PAID,
    (CANCELLED, PAID): PAID,
    (EXPIRED, PAID): PAID,
}


def _checkout_refusal(state: str, action: str, subject: str) -> str:
    return f"{subject} is {state}; it cannot become {action}."


CHECKOUT = StateMachine("checkout", CHECKOUT_TRANSITIONS, states=CHECKOUT_STATES, explain=_checkout_refusal)

# --- a SEPA direct debit: submitted in a pain.008, then seen on a bank statement --------------
SUBMITTED, COLLECTED, RETURNED = "submitted", "collected", "returned"
DEBIT_STATES = (SUBMITTED, COLLECTED, RETURNED)

DEBIT_TRANSITIONS = {
    (SUBMITTED, "collect"): COLLECTED,
    # The payer's bank sends it back, usually after the collection came in (up to 8 weeks,
    # 13 months when unauthorised); on one statement the two can arrive together.
    (COLLECTED, "return"): RETURNED,
    (SUBMITTED, "return"): RETURNED,
}

DEBIT = StateMachine("direct debit", DEBIT_TRANSITIONS, states=DEBIT_STATES)

# --- a refund of an overpayment: submitted in a pain.001, paid when the statement shows it ----
OWED, REFUND_SUBMITTED, REFUND_PAID = "owed", "submitted", "paid"
# "owed" is allowed by the table's check constraint, but a refund is written only when it
# is submitted (export_refunds): no row is ever owed, so no move starts there.
REFUND_STATES = (OWED, REFUND_SUBMITTED, REFUND_PAID)

REFUND_TRANSITIONS = {
    (REFUND_SUBMITTED, "pay"): REFUND_PAID,
}

REFUND = StateMachine("refund", REFUND_TRANSITIONS, states=REFUND_STATES)
