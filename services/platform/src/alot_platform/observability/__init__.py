"""Operating the platform: metrics for Prometheus (``metrics``, ``exposition``,
``collector``, ``http``), error reports to Sentry (``sentry``) and traces with
OpenTelemetry (``tracing``).

Every metric is a prometheus_client object on the default registry. See
docs/platform/metrics.md for the list and for how several processes (``alot serve
--workers N``, Celery workers) share them, and docs/platform/observability.md for Sentry
and traces.
"""
