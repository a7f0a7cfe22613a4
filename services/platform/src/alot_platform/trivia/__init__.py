"""Trivia: the skill question a player must answer before buying in a lot."""
