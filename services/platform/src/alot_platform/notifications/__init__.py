"""Notifications: what a player is told in the app (and by email), and their email preferences."""
