"""bnpl: an open-source, self-hostable buy-now-pay-later provider."""
