"""A transparency-log witness for ALOT! checkpoints (C2SP tlog-witness)."""

__version__ = "0.1.0"
