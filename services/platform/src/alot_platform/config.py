"""Platform configuration: one pydantic-settings object read from `ALOT_*` variables.

Every knob the platform has lives here, with the embedded default a newcomer's
`make run` needs (SQLite under ./var/, in-process rate limits, a dev mailbox) and the
switch a production deployment flips (PostgreSQL, Redis, SMTP, key files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alot_platform.security.client_address import parse_networks

Environment = Literal["development", "test", "production"]


class WitnessSetting(BaseModel):
    """One witness the platform submits its checkpoints to (ALOT_WITNESSES)."""

    model_config = {"frozen": True}

    url: str = Field(description="the witness's submission prefix (POST <url>/add-checkpoint)")
    key: str = Field(description="its verifier key <name>+<id>+<base64(0x04 || key)>")

    @field_validator("key")
    @classmethod
    def _cosignature_key(cls, value: str) -> str:
        from alot_verify.cosignature import parse_witness_key

        return str(parse_witness_key(value))


class Settings(BaseSettings):
    """Platform settings; every field can be set as `ALOT_<FIELD>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ALOT_", extra="ignore", frozen=True)

    env: Environment = "development"
    var_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file <var_dir>/alot.db"
    )
    redis_url: str | None = Field(
        default=None, description="Redis for shared rate limits; in-process when unset"
    )
    redis_prefix: str = "alot:"

    # Caching of public reads (alot_platform/cache, docs/platform/caching.md): in Redis
    # under <redis_prefix>cache: with ALOT_REDIS_URL, else in this process's memory.
    cache_enabled: bool = Field(
        default=True, description="cache public lot views, leaderboards, balances, draws"
    )
    cache_lot_ttl_seconds: int = Field(
        default=300, ge=1, le=86400, description="L1: active lots' views and list pages"
    )
    cache_ranked_list_ttl_seconds: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="list pages ordered or filtered by funding or time left (their figures"
        " stay live; their order may lag this long)",
    )
    cache_user_ttl_seconds: int = Field(
        default=300, ge=1, le=86400, description="L2: credit balances and leaderboards"
    )
    cache_history_ttl_seconds: int = Field(
        default=86400, ge=1, le=30 * 86400, description="L3: settled and closed lots, draws"
    )
    cache_memory_max_entries: int = Field(
        default=10_000, ge=100, le=10_000_000, description="in-process cache: entries kept"
    )
    cache_redis_timeout_seconds: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="a cache read or write slower than this is a miss (the database answers)",
    )

    # Secret material. Unset: generated under <var_dir>/keys/ on first run (never in
    # production, where a missing key is a start-up error).
    secret_key: SecretStr | None = None
    field_encryption_keys: SecretStr | None = Field(
        default=None,
        description="comma-separated base64url 32-byte keys; the first encrypts, all decrypt;"
        " personal fields, and server seeds through keys derived from them",
    )

    public_url: str = "http://127.0.0.1:8000"
    web_dir: Path = Field(
        default=Path("web/dist"),
        description="the built web client, served at /; without it / says how to build it",
    )
    frontend_origin: str = "http://127.0.0.1:5173"

    jwt_issuer: str = "alot"
    jwt_audience: str = "alot-api"
    access_token_ttl_seconds: int = Field(default=15 * 60, gt=0)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    refresh_reuse_grace_seconds: int = Field(
        default=10,
        ge=0,
        le=300,
        description="a used refresh token presented again this soon gets the same new pair",
    )
    email_verification_ttl_seconds: int = Field(default=48 * 3600, gt=0)
    password_reset_ttl_seconds: int = Field(default=3600, gt=0)

    cookie_secure: bool = True
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"

    minimum_age_years: int = 18

    # Argon2id cost. Production keeps at least OWASP's floor (19 MiB, 2 passes); tests
    # lower it to stay fast. Hashes made with other parameters are upgraded at login.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    rate_limit_enabled: bool = True
    rate_limit_default: str = Field(default="300/minute", description="per client, all routes")
    rate_limit_auth: str = Field(default="20/minute", description="per client, /api/auth/*")
    trusted_proxies: str = Field(
        default="",
        description="comma-separated IPs/CIDRs whose forwarded header names the client; "
        "none: the socket peer is the client",
    )
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = Field(
        default="x-forwarded-for", description="the header the trusted proxies set"
    )

    # The login throttle (per account; see docs/platform/auth.md).
    login_failures_before_backoff: int = Field(
        default=5, ge=1, le=1000, description="failed logins per account and IP before backoff"
    )
    login_backoff_max_seconds: int = Field(default=900, ge=1, le=86400)
    login_account_ceiling: str = Field(
        default="20/hour",
        description="failed logins per account from all IPs; above it, unknown IPs are slowed",
    )
    login_slowed_seconds: int = Field(
        default=10, ge=1, le=3600, description="one attempt per IP this often while slowed"
    )
    login_alert_ips: int = Field(
        default=3, ge=2, le=1000, description="failing IPs in a ceiling window that alert the owner"
    )
    login_alert_every_seconds: int = Field(
        default=24 * 3600, ge=60, description="at most one alert email per account this often"
    )

    # Request size: a larger body is refused (413) before it is read; larger headers are
    # refused by the HTTP server (see serve.http_limits).
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1_073_741_824)
    max_header_bytes: int = Field(default=16_384, ge=4096, le=1_048_576)

    # Product images (alot_platform/images, docs/platform/images.md): uploads are
    # re-encoded into renditions stored under <var_dir>/media/ (served at /media/), or in
    # an S3-compatible bucket when ALOT_S3_BUCKET is set (credentials: the standard AWS_*
    # variables or the instance's role, never settings here).
    image_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="largest image file POST /api/images accepts (413 above it)",
    )
    image_max_pixels: int = Field(
        default=40_000_000,
        ge=10_000,
        le=80_000_000,
        description="largest image, in pixels (width x height), decoded; above it: 422",
    )
    s3_bucket: str | None = Field(
        default=None, description="store images in this S3 bucket; unset: under <var_dir>/media/"
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="an S3-compatible endpoint; unset: AWS's own"
    )
    s3_region: str | None = Field(default=None, description="the bucket's region, e.g. eu-west-1")
    s3_public_base_url: str | None = Field(
        default=None,
        description="where browsers read the bucket's objects (a CDN or the bucket's URL);"
        " unset: <endpoint>/<bucket>, or https://<bucket>.s3.<region>.amazonaws.com",
    )

    # Email: the dev mailbox (log + GET /api/dev/mailbox) unless an SMTP host is set.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "ALOT! <no-reply@alot.local>"

    # The dev mailbox endpoint reveals every verification and reset link: it is mounted
    # only with env=development on a server bound to loopback, and read with the dev
    # secret or an admin's token (dev/endpoints.py). `alot run` sets both per start.
    dev_bind_host: str | None = Field(
        default=None,
        description="the address the development server listens on (set by `alot run`);"
        " the dev mailbox is mounted only when it is a loopback address",
    )
    dev_mailbox_secret: SecretStr | None = Field(
        default=None,
        description="reads the dev mailbox without an admin login (`alot run` generates one"
        " per start); unset: admins only",
    )

    log_level: str = "INFO"

    # Pooled database connections per process. Requests in flight are bounded by
    # pool size + overflow (see db.RequestSlotsMiddleware), which must stay below the
    # server's thread pool (40 threads).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    # The ledger (services/ledger) shares the platform's database. Its own settings
    # (ALOT_LEDGER_SIGNING_KEY_FILE, ALOT_LEDGER_ORIGIN, ...) are read by alot_ledger.
    ledger_public: bool = Field(
        default=False,
        description="every ledger read open to anyone (else the transaction list, export"
        " and balances need the auditor or admin role; checkpoints, the verifier key and"
        " consistency proofs are always public, a player's own transactions theirs)",
    )
    ledger_checkpoint_interval_seconds: int = Field(default=60, gt=0)

    # Lots and trivia (the lot engine).
    draw_algorithm_default: Literal["alot-v1", "alot-v2"] = Field(
        default="alot-v2", description="draw algorithm of a lot created without one"
    )
    trivia_attempts_per_round: int = Field(default=3, ge=1, le=100)
    trivia_cooldown_seconds: int = Field(
        default=24 * 3600, ge=0, description="wait after a round of failed trivia attempts"
    )

    # The marketplace: hosts and their lots.
    host_default_commission_bps: int = Field(
        default=1500,
        ge=0,
        le=10_000,
        description="ALOT!'s commission on a newly approved host's lots, in basis points"
        " (1500 = 15.00%); an admin may set another per host",
    )

    # Draws, expiry, refunds and the in-process scheduler.
    scheduler_enabled: bool = Field(
        default=False,
        description="run the periodic jobs (expiry, refunds, draws, checkpoints) in-process;"
        " `alot run` turns it on unless set",
    )
    scheduler_interval_seconds: int = Field(default=60, gt=0)
    # How often a ticking process checks every credit balance against the ledger (the
    # reconciliation gauge the alerts read); 0: never (run `alot reconcile` instead).
    reconcile_interval_seconds: int = Field(default=3600, ge=0)

    # Background work: the outbox's runner (alot_platform.outbox).
    task_runner: Literal["thread", "inline", "celery"] = Field(
        default="thread",
        description="who runs outbox tasks after a commit: a thread of this process"
        " (embedded), the committing thread (tests, scripts), or Celery workers on"
        " ALOT_REDIS_URL (`alot worker`, `alot beat`)",
    )
    task_max_attempts: int = Field(
        default=10, ge=1, le=100, description="failed attempts before a task is dead"
    )
    task_lease_seconds: int = Field(
        default=600,
        ge=5,
        description="how long a runner owns a task it claimed; longer than the longest task",
    )
    outbox_sweep_seconds: int = Field(
        default=15, gt=0, description="how often beat sends the outbox's due tasks again"
    )
    refund_choice_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, description="time buyers of an expired lot have to choose"
    )
    claim_days: int = Field(
        default=30, ge=1, le=365, description="days a winner has to claim a prize after settlement"
    )
    ship_days: int = Field(
        default=7, ge=1, le=90, description="days the shipper has to ship a prize after its claim"
    )
    delivery_confirm_days: int = Field(
        default=14,
        ge=1,
        le=180,
        description="days after shipment a prize is confirmed delivered when nobody disputed it",
    )
    settlement_chunk_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="entries a lot's settlement handles per committed unit of work",
    )
    cleanup_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="how long ended login sessions, expired tokens and spent payment"
        " events are kept before the cleanup job removes them",
    )
    drand_url: str | None = Field(
        default=None, description="drand HTTP endpoint for alot-v2 beacons; none: no beacon"
    )
    drand_chain_hash: str = Field(
        default="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
        description="the drand chain (default: quicknet)",
    )
    witnesses: tuple[WitnessSetting, ...] = Field(
        default=(),
        description="witnesses each new checkpoint is submitted to, as JSON:"
        ' [{"url": ..., "key": ...}]; none: checkpoints are not witnessed',
    )

    # Payments and entries.
    payment_provider: Literal["sandbox", "stripe"] = Field(
        default="sandbox",
        description="who takes cash: sandbox (test mode, refused in production) or stripe",
    )
    stripe_secret_key: SecretStr | None = Field(
        default=None, description="Stripe API secret key (sk_live_... / sk_test_...)"
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, description="signing secret of the Stripe webhook endpoint (whsec_...)"
    )
    stripe_api_base: str | None = Field(
        default=None, description="Stripe API address; unset: Stripe's own (tests point it away)"
    )
    stripe_timeout_seconds: float = Field(default=30.0, gt=0)
    stripe_max_network_retries: int = Field(default=2, ge=0, le=10)
    stripe_checkout_return_url: str | None = Field(
        default=None,
        description="where Checkout sends the buyer back; default <public url>/checkout",
    )
    stripe_connect_webhook_secret: SecretStr | None = Field(
        default=None,
        description="signing secret of the Stripe Connect webhook endpoint (account.updated"
        " of connected accounts), when it differs from ALOT_STRIPE_WEBHOOK_SECRET",
    )
    # Compliance (alot_platform/compliance, docs/platform/responsible-play.md).
    terms_version: str = Field(
        default="2026-12-01",
        min_length=1,
        max_length=40,
        description="the terms players accept; a new value asks every player again before"
        " their next purchase",
    )
    privacy_version: str = Field(
        default="2026-12-01",
        min_length=1,
        max_length=40,
        description="the privacy notice players accept; a new value asks again like the terms",
    )
    identity_required: Literal["never", "first_cash_purchase", "above_threshold"] = Field(
        default="never",
        description="when a verified identity is needed to buy with cash: never, for every"
        " cash purchase (first_cash_purchase), or once lifetime cash spent would pass"
        " ALOT_IDENTITY_THRESHOLD_CENTS (above_threshold)",
    )
    identity_threshold_cents: int = Field(
        default=200_000,
        ge=0,
        description="above_threshold: lifetime cash spent (cents) a player may reach unverified",
    )
    identity_provider: Literal["sandbox", "stripe"] | None = Field(
        default=None,
        description="who checks identities: sandbox (verifies at once; refused in production)"
        " or stripe (Stripe Identity); default: the payment provider",
    )
    allowed_countries: str = Field(
        default="",
        description="comma-separated ISO 3166-1 alpha-2 codes players may register and buy"
        " from; empty: every country",
    )
    country_header: str = Field(
        default="",
        max_length=100,
        description="a trusted proxy's request header carrying the buyer's country (e.g."
        " CF-IPCountry); empty: none is trusted",
    )

    host_payouts_url: str | None = Field(
        default=None,
        description="the host's payouts page, where Connect onboarding returns; default"
        " <public url>/host/payouts",
    )
    host_payout_minimum_cents: int = Field(
        default=100,
        ge=1,
        description="a host's payable balance is paid out once it reaches this (cents)",
    )

    # Live events over WebSockets (GET /api/ws; see docs/platform/realtime.md).
    ws_stream_length: int = Field(
        default=1000,
        ge=10,
        le=1_000_000,
        description="events kept per lot (and per user) for clients that resume by seq",
    )
    ws_stream_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        description="a lot's (user's) kept events and seq counter expire this long after"
        " its last event (Redis)",
    )
    ws_max_subscriptions: int = Field(
        default=100, ge=1, le=10_000, description="lots one connection may subscribe to"
    )
    ws_max_message_bytes: int = Field(
        default=4096, ge=256, le=1_048_576, description="a larger client message closes (1009)"
    )
    ws_max_connections_per_ip: int = Field(
        default=100,
        ge=1,
        description="open WebSockets per client address, per server process (4029 above it)",
    )
    ws_idle_timeout_seconds: int = Field(
        default=75,
        ge=2,
        le=3600,
        description="a connection that sends nothing (ping included) this long is closed (4408)",
    )
    ws_heartbeat_seconds: int = Field(
        default=25, ge=1, le=3600, description="the server sends a heartbeat this often"
    )
    ws_send_queue: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="messages waiting for one connection; a client that lets it overflow"
        " is closed (4008)",
    )

    # Metrics for Prometheus (alot_platform/observability, docs/platform/metrics.md).
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token for GET /metrics; unset: /metrics answers only direct"
        " loopback clients (404 to anyone else)",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="also serve the metrics, without a token, on this port (`alot run`,"
        " `alot serve`'s parent process, `alot worker`)",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="the address ALOT_METRICS_PORT listens on"
    )
    stuck_lot_minutes: int = Field(
        default=30,
        ge=1,
        description="a lot funded or drawing for longer than this counts in alot_lots_stuck",
    )

    # Error reports and traces (alot_platform/observability, docs/platform/observability.md).
    sentry_dsn: SecretStr | None = Field(
        default=None, description="report errors to this Sentry project (personal data scrubbed)"
    )
    sentry_environment: str | None = Field(
        default=None, description="the environment Sentry files reports under; default: ALOT_ENV"
    )
    sentry_traces_sample_rate: float = Field(
        default=0.0, ge=0.0, le=1.0, description="share of requests Sentry also traces (0: none)"
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="export OpenTelemetry traces over OTLP/HTTP to this collector (its base"
        " URL; /v1/traces is appended); unset: the standard OTEL_EXPORTER_OTLP_ENDPOINT, or"
        " no tracing",
    )

    @field_validator("rate_limit_default", "rate_limit_auth", "login_account_ceiling")
    @classmethod
    def _rate_is_parsable(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("sentry_dsn")
    @classmethod
    def _sentry_dsn_is_a_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            from sentry_sdk.utils import BadDsn, Dsn

            try:
                Dsn(value.get_secret_value().strip())
            except BadDsn:
                raise ValueError("ALOT_SENTRY_DSN is not a Sentry DSN") from None
        return value

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _otlp_endpoint_is_a_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("ALOT_OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL")
        return value or None

    @field_validator("allowed_countries")
    @classmethod
    def _countries_are_codes(cls, value: str) -> str:
        codes = [code.strip().upper() for code in value.split(",") if code.strip()]
        for code in codes:
            if len(code) != 2 or not code.isalpha() or not code.isascii():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        return ",".join(codes)

    @property
    def allowed_country_set(self) -> frozenset[str]:
        """ALOT_ALLOWED_COUNTRIES as codes; empty when every country is allowed."""
        return frozenset(code for code in self.allowed_countries.split(",") if code)

    @model_validator(mode="after")
    def _stripe_is_complete(self) -> Settings:
        # Never "verify against an empty secret": anything verifies against it.
        if self.payment_provider == "stripe":
            missing = [
                name
                for name, value in (
                    ("ALOT_STRIPE_SECRET_KEY", self.stripe_secret_key),
                    ("ALOT_STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
                )
                if value is None or not value.get_secret_value().strip()
            ]
            if missing:
                raise ValueError(f"ALOT_PAYMENT_PROVIDER=stripe requires {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _celery_has_a_broker(self) -> Settings:
        if self.task_runner == "celery" and not self.redis_url:
            raise ValueError("ALOT_TASK_RUNNER=celery requires ALOT_REDIS_URL (the broker)")
        return self

    @model_validator(mode="after")
    def _heartbeat_beats_idle_timeout(self) -> Settings:
        # Clients ping every heartbeat: a heartbeat as long as the idle timeout would
        # close connections that do everything right.
        if self.ws_heartbeat_seconds * 2 > self.ws_idle_timeout_seconds:
            raise ValueError(
                "ALOT_WS_IDLE_TIMEOUT_SECONDS must be at least twice ALOT_WS_HEARTBEAT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _pool_fits_the_thread_pool(self) -> Settings:
        if self.db_pool_size + self.db_max_overflow > 32:
            raise ValueError(
                "ALOT_DB_POOL_SIZE + ALOT_DB_MAX_OVERFLOW must be at most 32, below the "
                "40 worker threads, or requests could starve each other of threads"
            )
        return self

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.env == "production":
            missing = [
                name
                for name, value in (
                    ("ALOT_DATABASE_URL", self.database_url),
                    ("ALOT_SECRET_KEY", self.secret_key),
                    ("ALOT_FIELD_ENCRYPTION_KEYS", self.field_encryption_keys),
                    ("ALOT_SMTP_HOST", self.smtp_host),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"production requires {', '.join(missing)}")
            if not self.cookie_secure:
                raise ValueError("production requires ALOT_COOKIE_SECURE=true")
            if self.argon2_memory_kib < 19456 or self.argon2_time_cost < 2:
                raise ValueError("production requires Argon2id of at least 19 MiB and 2 passes")
            if self.identity_provider == "sandbox":
                raise ValueError("production refuses ALOT_IDENTITY_PROVIDER=sandbox (no check)")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'alot.db').resolve()}"

    @property
    def dev_tools_enabled(self) -> bool:
        """Generated keys and the sandbox exist only outside production (the dev mailbox
        needs more: see ``alot_platform.dev.endpoints.mailbox_enabled``)."""
        return self.env != "production"


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """Parse "20/minute" into (20 requests, 60 seconds)."""
    count, _, period = rate.partition("/")
    try:
        limit = int(count)
        seconds = _PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"rate {rate!r} is not '<count>/<second|minute|hour|day>'") from None
    if limit <= 0:
        raise ValueError(f"rate {rate!r} must allow at least one request")
    return limit, seconds
