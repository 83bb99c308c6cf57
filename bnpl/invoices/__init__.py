"""Invoices: issued per shipment, numbered without gaps, due a term after delivery."""
