"""`alot doctor`: whether this deployment can run, checked piece by piece.

Each check says what it found and, when it fails, how to fix it: the configuration
(and settings that are unsafe in production), the database, its migrations, Redis, the
keys, Stripe, and the credit reconciliation. The doctor reads and never writes: it
generates no key, creates no database file and runs no migration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import redis
import stripe
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from alot_ledger.checkpoints import DEV_KEY_NAME, SigningKeyError, load_signer_key
from pydantic import ValidationError
from sqlalchemy import Connection, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from alot_platform.config import Settings
from alot_platform.credits.service import reconcile_credits
from alot_platform.db import Database, unit_of_work
from alot_platform.keys import Keys, MissingSecretError, load_keys
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.lots.models import Lot
from alot_platform.migrate import VERSION_TABLE, alembic_config
from alot_platform.security.crypto import SeedSealer, SeedUnsealError, is_plaintext_seed

LEDGER_VERSION_TABLE = "alembic_version_ledger"
_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    """One finding: ``fix`` says what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def diagnose(read_settings: Callable[[], Settings] = Settings) -> list[Check]:
    """Run every check that applies; the later ones need what the earlier found."""
    try:
        settings = read_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        return [
            Check(
                "configuration",
                False,
                f"the ALOT_* settings do not load: {problems}",
                "correct the ALOT_* variables named (docs/platform/configuration.md)",
            )
        ]
    checks = [_configuration(settings)]
    database = _database(settings)
    checks.append(database)
    migrated = False
    if database.ok:
        migrations = _migrations(settings)
        checks.append(migrations)
        migrated = migrations.ok
    if settings.redis_url:
        checks.append(_redis(settings.redis_url))
    keys_check, keys = _platform_keys(settings)
    checks.append(keys_check)
    if keys is not None and migrated:
        checks.append(_sealed_seeds(settings, keys))
    checks.append(_ledger_signing_key(settings))
    if settings.payment_provider == "stripe":
        checks.append(_stripe(settings))
    if migrated:
        checks.append(_reconciliation(settings))
    return checks


# -- configuration ---------------------------------------------------------------------


def _configuration(settings: Settings) -> Check:
    if settings.env != "production":
        return Check("configuration", True, f"settings load (ALOT_ENV={settings.env})")
    unsafe = _production_hazards(settings)
    if unsafe:
        return Check(
            "configuration",
            False,
            "unsafe in production: " + "; ".join(problem for problem, _ in unsafe),
            "; ".join(fix for _, fix in unsafe),
        )
    return Check("configuration", True, "settings load (ALOT_ENV=production)")


def _production_hazards(settings: Settings) -> list[tuple[str, str]]:
    """(what is unsafe, how to fix it) for a production configuration."""
    hazards: list[tuple[str, str]] = []
    if settings.payment_provider == "sandbox":
        hazards.append(
            (
                "the sandbox payment provider takes no money and is refused in production",
                "set ALOT_PAYMENT_PROVIDER=stripe with its keys",
            )
        )
    stripe_key = settings.stripe_secret_key
    if (
        settings.payment_provider == "stripe"
        and stripe_key is not None
        and not stripe_key.get_secret_value().startswith(("sk_live_", "rk_live_"))
    ):
        hazards.append(
            ("ALOT_STRIPE_SECRET_KEY is a test-mode key", "use the live key (sk_live_...)")
        )
    if settings.payment_provider == "stripe" and settings.stripe_api_base:
        hazards.append(
            (
                f"ALOT_STRIPE_API_BASE sends payments to {settings.stripe_api_base}",
                "unset ALOT_STRIPE_API_BASE",
            )
        )
    if settings.resolved_database_url.startswith("sqlite"):
        hazards.append(
            (
                "SQLite serves one machine's processes only",
                "set ALOT_DATABASE_URL to PostgreSQL",
            )
        )
    if not settings.public_url.startswith("https://"):
        hazards.append(
            (f"ALOT_PUBLIC_URL {settings.public_url} is not https", "serve and set an https URL")
        )
    if ledger_settings(settings).ledger_signing_key_file is None:
        hazards.append(
            (
                "the ledger signs checkpoints with a key generated under ALOT_VAR_DIR",
                "set ALOT_LEDGER_SIGNING_KEY_FILE to a key you keep safe",
            )
        )
    return hazards


# -- database and migrations -----------------------------------------------------------


def _sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file, if the database is one (not in memory)."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


@contextmanager
def _connection(settings: Settings) -> Iterator[Connection]:
    database = Database(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        with database.engine.connect() as connection:
            yield connection
    finally:
        database.dispose()


def _database(settings: Settings) -> Check:
    where = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    path = _sqlite_file(settings)
    if path is not None and not path.exists():
        # Connecting would create an empty file: say so instead.
        return Check(
            "database",
            False,
            f"no database at {path}",
            "run `alot migrate` (it creates and migrates the database)",
        )
    try:
        with _connection(settings) as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        return Check(
            "database",
            False,
            f"cannot reach {where}: {_first_line(error)}",
            "start the database or correct ALOT_DATABASE_URL",
        )
    return Check("database", True, f"reachable ({where})")


def _migrations(settings: Settings) -> Check:
    histories = (
        ("platform", alembic_config(settings.resolved_database_url), VERSION_TABLE),
        ("ledger", _ledger_alembic_config(), LEDGER_VERSION_TABLE),
    )
    behind: list[str] = []
    ahead: list[str] = []
    try:
        with _connection(settings) as connection:
            for name, config, version_table in histories:
                scripts = ScriptDirectory.from_config(config)
                current = set(
                    MigrationContext.configure(
                        connection, opts={"version_table": version_table}
                    ).get_current_heads()
                )
                heads = set(scripts.get_heads())
                if current == heads:
                    continue
                if not _all_known(scripts, current):
                    ahead.append(f"{name} at {_revisions(current)}")
                else:
                    behind.append(f"{name} at {_revisions(current)}, code at {_revisions(heads)}")
    except SQLAlchemyError as error:
        return Check(
            "migrations", False, f"cannot read: {_first_line(error)}", "run `alot migrate`"
        )
    if ahead:
        return Check(
            "migrations",
            False,
            "the database is newer than this code: " + "; ".join(ahead),
            "deploy the release that migrated it (never downgrade by hand)",
        )
    if behind:
        return Check(
            "migrations",
            False,
            "not at head: " + "; ".join(behind),
            "run `alot migrate`",
        )
    return Check("migrations", True, "platform and ledger at head")


def _ledger_alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("alot_ledger") / "migrations"))
    return config


def _all_known(scripts: ScriptDirectory, revisions: set[str]) -> bool:
    try:
        return all(scripts.get_revision(revision) is not None for revision in revisions)
    except CommandError:
        return False


def _revisions(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "no revision (empty)"


# -- Redis -----------------------------------------------------------------------------


def _redis(url: str) -> Check:
    where = _without_password(url)
    client = redis.Redis.from_url(
        url, socket_connect_timeout=_TIMEOUT_SECONDS, socket_timeout=_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return Check(
            "redis",
            False,
            f"cannot reach {where}: {_first_line(error)}",
            "start Redis or correct ALOT_REDIS_URL",
        )
    finally:
        client.close()
    return Check("redis", True, f"reachable ({where})")


def _without_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# -- keys ------------------------------------------------------------------------------


def _platform_keys(settings: Settings) -> tuple[Check, Keys | None]:
    """The signing secret (JWT, CSRF) and the field keys (PII, seed sealing)."""
    folder = settings.var_dir / "keys"
    not_generated = [
        name
        for name, configured in (
            ("secret.key", settings.secret_key),
            ("field_encryption.key", settings.field_encryption_keys),
        )
        if configured is None and not (folder / name).exists()
    ]
    if not_generated:
        # Only outside production (production requires both settings): the first
        # start generates them. The doctor does not, so that it changes nothing.
        return (
            Check(
                "keys",
                True,
                f"development keys not generated yet ({', '.join(not_generated)});"
                " the first `alot run` or `alot serve` generates them",
            ),
            None,
        )
    try:
        keys = load_keys(settings)
    except (MissingSecretError, OSError) as error:
        return (
            Check(
                "keys",
                False,
                f"cannot load: {error}",
                "set ALOT_SECRET_KEY (32+ characters) and ALOT_FIELD_ENCRYPTION_KEYS"
                " (base64url 32-byte keys), or restore the files under ALOT_VAR_DIR/keys",
            ),
            None,
        )
    return (
        Check(
            "keys",
            True,
            f"JWT signing secret and {len(keys.field_encryption)} field encryption key(s)"
            " (PII, seed sealing) load",
        ),
        keys,
    )


def _sealed_seeds(settings: Settings, keys: Keys) -> Check:
    """The newest sealed server seed opens with the configured keys (a key dropped too
    early from ALOT_FIELD_ENCRYPTION_KEYS would make its lot undrawable)."""
    try:
        with _connection(settings) as connection:
            row = connection.execute(
                select(Lot.id, Lot.server_seed_sealed)
                .where(Lot.server_seed_sealed.is_not(None))
                .order_by(Lot.created_at.desc())
                .limit(1)
            ).first()
    except SQLAlchemyError as error:
        return Check("seed sealing", False, f"cannot read lots: {_first_line(error)}")
    if row is None or row.server_seed_sealed is None:
        return Check("seed sealing", True, "no sealed seed yet")
    lot_id, sealed = row.id, row.server_seed_sealed
    if is_plaintext_seed(sealed):
        return Check(
            "seed sealing",
            False,
            f"lot {lot_id} holds its server seed in the clear",
            "run `alot keys reseal-seeds`",
        )
    try:
        SeedSealer(keys.seed_sealing).unseal(sealed, lot_id)
    except SeedUnsealError as error:
        return Check(
            "seed sealing",
            False,
            f"the newest sealed seed does not open: {error}",
            "put the old key back in ALOT_FIELD_ENCRYPTION_KEYS (after the new one),"
            " then run `alot keys reseal-seeds`",
        )
    return Check("seed sealing", True, "the newest sealed seed opens with the configured keys")


def _ledger_signing_key(settings: Settings) -> Check:
    ledger = ledger_settings(settings)
    if ledger.ledger_signing_key_file is None and not (ledger.var_dir / DEV_KEY_NAME).exists():
        return Check(
            "ledger signing key",
            True,
            "development key not generated yet; the first checkpoint generates it",
        )
    try:
        load_signer_key(ledger)
    except SigningKeyError as error:
        return Check(
            "ledger signing key",
            False,
            str(error),
            "point ALOT_LEDGER_SIGNING_KEY_FILE at a readable signer key named for"
            f" ALOT_LEDGER_ORIGIN ({ledger.ledger_origin})",
        )
    source = ledger.ledger_signing_key_file or ledger.var_dir / DEV_KEY_NAME
    return Check("ledger signing key", True, f"loads from {source}")


# -- Stripe ----------------------------------------------------------------------------


def _stripe(settings: Settings) -> Check:
    assert settings.stripe_secret_key is not None  # Settings requires it for stripe
    base = settings.stripe_api_base or stripe.DEFAULT_API_BASE
    client = stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses={"api": base},
        max_network_retries=0,
        http_client=stripe.RequestsClient(
            timeout=min(settings.stripe_timeout_seconds, _TIMEOUT_SECONDS)
        ),
    )
    try:
        # The cheapest authenticated read every account may make.
        client.v1.refunds.list(params={"limit": 1})
    except stripe.AuthenticationError as error:
        return Check(
            "stripe",
            False,
            f"{base} refused the key: {error.user_message or error}",
            "set ALOT_STRIPE_SECRET_KEY to the account's secret key",
        )
    except stripe.StripeError as error:
        return Check(
            "stripe",
            False,
            f"cannot reach {base}: {_first_line(error)}",
            "check outbound HTTPS to Stripe (or ALOT_STRIPE_API_BASE)",
        )
    return Check("stripe", True, f"reachable with the configured key ({base})")


# -- reconciliation --------------------------------------------------------------------


def _reconciliation(settings: Settings) -> Check:
    database = Database(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        with contextmanager(unit_of_work)(database) as session:
            differences = reconcile_credits(session)
    except SQLAlchemyError as error:
        return Check("reconciliation", False, f"cannot run: {_first_line(error)}")
    finally:
        database.dispose()
    if differences:
        return Check(
            "reconciliation",
            False,
            f"{len(differences)} credit balance(s) differ from the ledger",
            "run `alot reconcile` for the accounts, and investigate (never edit balances)",
        )
    return Check("reconciliation", True, "every credit balance agrees with the ledger")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def as_dict(check: Check) -> dict[str, object]:
    return asdict(check)
