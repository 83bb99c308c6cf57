"""The consumer's self-service portal: every purchase at every webshop, pay, return, extend,
a payment plan, a dispute; signed in by a link e-mailed to them."""
