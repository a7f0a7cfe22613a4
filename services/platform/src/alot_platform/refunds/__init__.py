"""Expired lots: expiry by deadline, refunds (cash or credits) and closing."""
