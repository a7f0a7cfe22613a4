"""Payments: the provider interface (sandbox by default, Stripe Checkout), Stripe's
webhooks applied exactly once, late-payment refunds, disputes and reconciliation."""
