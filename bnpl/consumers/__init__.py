"""Consumers: one person or business across all webshops, known by e-mail address.

The portal shows a consumer everything they bought through the provider, and the
acceptance decision looks at their invoices everywhere, so a consumer is provider-wide.
"""
