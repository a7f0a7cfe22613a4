"""Development-only endpoints: mounted only with ALOT_ENV=development on a loopback address."""
