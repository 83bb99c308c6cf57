"""Disputes: a two-sided case file, deadlines, and a mediator's reasoned decision."""
