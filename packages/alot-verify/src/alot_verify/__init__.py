"""alot-verify: the offline verifier for ALOT! draws, ledgers, proofs and checkpoints."""

__version__ = "0.1.0"
