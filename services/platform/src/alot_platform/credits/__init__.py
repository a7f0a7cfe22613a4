"""Credits: the closed-loop platform credits (100 credits = 1 ticket), a ledger projection."""
