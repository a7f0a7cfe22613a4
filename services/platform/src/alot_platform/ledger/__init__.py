"""The platform's side of the ledger: the chart of accounts, the mounted API, checkpoints."""
