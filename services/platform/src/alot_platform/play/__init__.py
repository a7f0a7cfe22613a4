"""Responsible play: spend limits, time-outs and self-exclusion, reality checks."""
