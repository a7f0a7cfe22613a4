"""Development-only endpoints (never mounted when ALOT_ENV=production)."""
