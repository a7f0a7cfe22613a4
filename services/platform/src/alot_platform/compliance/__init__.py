"""Compliance: terms and privacy acceptance, identity checks, country rules."""
