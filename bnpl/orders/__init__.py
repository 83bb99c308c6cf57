"""Orders, their acceptance decision, cancellations and shipments."""
