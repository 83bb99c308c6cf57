"""The life of a requested settings change (merchants.models.MerchantChange)."""
from bnpl.i18n import said
from bnpl.states import StateMachine

PENDING, APPROVED, REFUSED, SUPERSEDED = "pending", "approved", "refused", "superseded"

TRANSITIONS = {
    (PENDING, "approve"): APPROVED,
    (PENDING, "refuse"): REFUSED,
    (PENDING, "supersede"): SUPERSEDED,  # the merchant asked again for the same setting
}

CHANGE = StateMachine("change request", TRANSITIONS, explain=lambda state, action, subject: said(
    "%(subject)s is already %(change_state)s; it cannot be %(change_done)s.", subject=subject, change_state=state,
    change_done=f"{action}d"))
