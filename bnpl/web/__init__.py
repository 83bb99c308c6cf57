"""HTTP plumbing shared by the feature APIs: auth, the request's unit of work, idempotency."""
