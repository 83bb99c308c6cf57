"""Settlements: what the provider pays each webshop per period for the invoices it issued."""
