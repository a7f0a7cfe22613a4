"""Cleanup: removing records that no longer guard or mean anything (never ledger data)."""
