"""Hosts' money after settlement: Stripe Connect onboarding, payouts of
``host:<id>:payable`` by transfers, winners' cash owed on ``user:<id>:payable``."""
