"""Caching of public reads (L1 lots, L2 balances and leaderboards, L3 settled history):
see docs/platform/caching.md."""
