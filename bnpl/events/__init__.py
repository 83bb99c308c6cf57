"""Domain events: one row per change, written in the same transaction as the change.

The rows are the merchant's replayable history (``GET /api/v1/events``). Features react
to them as subscribers (``service.subscribe``), wired in ``bnpl.app.wire``: events publish,
and never import the features that listen.
"""
