"""Watching the service run: health and readiness, the scheduler's passes, /metrics."""
