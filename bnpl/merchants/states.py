"""The life of a requested settings change (merchants.models.MerchantChange)."""
from bnpl.states import StateMachine

PENDING, APPROVED, REFUSED, SUPERSEDED = "pending", "approved", "refused", "superseded"

TRANSITIONS = {
    (PENDING, "approve"): APPROVED,
    (PENDING, "refuse"): REFUSED,
    (PENDING, "supersede"): SUPERSEDED,  # the merchant asked again for the same setting
}

CHANGE = StateMachine("change request", TRANSITIONS,
                      explain=lambda state, action, subject: f"{subject} is already {state}; it cannot be {action}d.")
