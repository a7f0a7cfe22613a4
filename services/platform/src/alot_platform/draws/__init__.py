"""Draws: freezing a funded lot's inputs, drawing its winner, settling it."""
