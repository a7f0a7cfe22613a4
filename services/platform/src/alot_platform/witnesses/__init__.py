"""Witnesses: the platform submits each new ledger checkpoint to independent witnesses
(C2SP tlog-witness) and keeps and serves their cosignatures (docs/spec/checkpoint.md)."""
