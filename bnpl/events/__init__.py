"""Domain events: one row per change, written in the same transaction as the change.

The rows are the merchant's replayable history (``GET /api/v1/events``) and the outbox
that webhook and e-mail delivery will read.
"""
