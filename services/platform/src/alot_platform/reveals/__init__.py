"""Reveals: each player's card per lot, pending until the draw, then won or lost."""
