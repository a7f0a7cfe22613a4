"""alot_platform: the ALOT! platform API."""
