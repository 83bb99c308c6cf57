"""Merchants (webshops): their settings and API keys."""
