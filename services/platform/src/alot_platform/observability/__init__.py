"""Operations: metrics for Prometheus (``metrics``, ``exposition``, ``collector``, ``http``).

The technical metrics live in ``metrics``; every metric is a prometheus_client object
on the default registry. See docs/platform/metrics.md for the list and for how
several processes (``alot serve --workers N``, Celery workers) share them.
"""
