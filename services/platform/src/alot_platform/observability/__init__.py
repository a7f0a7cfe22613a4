"""Operating the platform: metrics, error reports (Sentry) and traces (OpenTelemetry)."""
