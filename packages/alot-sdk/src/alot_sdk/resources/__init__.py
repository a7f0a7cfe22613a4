"""The resources a client exposes (`client.lots`, `client.ledger`, ...), sync and async."""
