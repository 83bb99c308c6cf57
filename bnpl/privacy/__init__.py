"""Consumers' data rights (GDPR): export and erasure, across the features that hold the data."""
