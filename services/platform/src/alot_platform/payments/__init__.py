"""Payments: the payment-provider interface (sandbox by default) and refunds."""
