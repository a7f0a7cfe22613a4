"""Authentication: login sessions, JWTs, refresh rotation, email verification, resets."""
