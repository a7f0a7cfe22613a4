"""alot_ledger: the append-only, hash-chained, double-entry ledger of ALOT!."""
