"""The mediators' back office: accounts, sign-in, the case queue and the decision form."""
