"""Admin analytics: lot counts from the lots table, money from the ledger
(every figure is defined in docs/platform/analytics.md)."""
