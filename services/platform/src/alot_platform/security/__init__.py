"""Cross-cutting protection: rate limits, security headers, CSRF tokens, field encryption."""
