"""Reconciliation of a projection (e.g. a credit-balance table) against the ledger."""

from __future__ import annotations

from alot_ledger import Difference, Ledger, reconcile
from sqlalchemy.engine import Engine


def test_reconcile_reports_every_differing_account(engine: Engine) -> None:
    with engine.begin() as connection:
        ledger = Ledger(connection)
        for user, amount in (("1", 500), ("2", 300), ("3", 100)):
            ledger.transfer(
                "credit_grant", "platform:credits_issued", f"user:{user}:credits", "CRD", amount
            )
        ledger.transfer("entry_purchase", "user:3:credits", "lot:l1:escrow", "CRD", 100)
        ledger.transfer("purchase", "platform:cash", "lot:l1:escrow", "USD", 999)
    projection = {
        ("user:1:credits", "CRD"): 500,  # agrees
        ("user:2:credits", "CRD"): 250,  # drifted
        # user:3 is at 0 in the ledger and absent here: agrees
        ("user:4:credits", "CRD"): 10,  # unknown to the ledger
    }
    with engine.connect() as connection:
        found = reconcile(connection, projection, accounts="user:*:credits", asset="CRD")
        assert found == [
            Difference("user:2:credits", "CRD", 300, 250),
            Difference("user:4:credits", "CRD", 0, 10),
        ]
        # Without a filter, every ledger account missing from the projection shows up.
        everything = reconcile(connection, projection)
    assert {(d.account, d.asset) for d in everything} == {
        ("user:2:credits", "CRD"),
        ("user:4:credits", "CRD"),
        ("platform:credits_issued", "CRD"),
        ("lot:l1:escrow", "CRD"),
        ("lot:l1:escrow", "USD"),
        ("platform:cash", "USD"),
    }
    with engine.connect() as connection:
        agreeing = {(a.account, a.asset): a.balance for a in Ledger(connection).accounts()}
        assert reconcile(connection, agreeing) == []
