"""Lots: the catalogue of prizes, the lot state machine, discovery."""
