"""The audit log: who changed which setting or policy, when, from what to what."""
