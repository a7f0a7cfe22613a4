"""Entries: buying numbered tickets in a lot, with cash or credits."""
