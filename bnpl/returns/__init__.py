"""Returns: goods that come back are credited; while they travel the invoice is paused."""
