"""`alot`: the platform's management CLI (migrate, create-admin, seed-demo, run).

Exit codes: 0 done, 1 failed, 2 bad usage or input (with a message saying what).
Settings come from `ALOT_*` environment variables, as for the app.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import click
import uvicorn
from pydantic import EmailStr, SecretStr, TypeAdapter, ValidationError

from alot_platform.app import create_app
from alot_platform.auth.passwords import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    check_password_rules,
)
from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.credits.service import reconcile_credits
from alot_platform.db import Database, unit_of_work
from alot_platform.demo import (
    WALKTHROUGH_HEADER,
    DemoLot,
    ensure_demo_admin,
    ensure_demo_lots,
    newcomer_walkthrough,
)
from alot_platform.dev.endpoints import is_loopback, mailbox_enabled
from alot_platform.doctor import as_dict, diagnose
from alot_platform.errors import AlotError
from alot_platform.keys import MissingSecretError, load_keys
from alot_platform.logs import configure_logging
from alot_platform.lots.service import LotService
from alot_platform.mail import mailer_from_settings
from alot_platform.migrate import migrate
from alot_platform.observability import domain_log
from alot_platform.observability.collector import DatabaseCollector
from alot_platform.observability.exposition import (
    MULTIPROC_ENV,
    prepare_multiprocess_dir,
    serve_metrics_port,
)
from alot_platform.outbox import service as outbox
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.outbox.schemas import TaskRead
from alot_platform.payments.reconcile import reconcile_payments
from alot_platform.payments.stripe_provider import StripeProvider
from alot_platform.payments.tasks import retry_unprocessed_events
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_platform.security.crypto import SeedUnsealError
from alot_platform.serve import (
    SERVER_OPTIONS,
    bind_socket,
    can_share_port,
    http_limits,
    raise_open_files_limit,
    serve,
)
from alot_platform.users.models import Role
from alot_platform.users.schemas import Username
from alot_platform.users.service import UserService
from alot_platform.witnesses.local import LocalWitness, local_witness_wanted
from alot_platform.worker import make_app


class BadInput(click.ClickException):
    exit_code = 2


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise BadInput(f"invalid ALOT_* configuration: {error}") from None


def _platform(settings: Settings) -> PlatformContext:
    if settings.task_runner == "thread":
        # A command ends when its work does: the tasks its commits write run before it
        # returns, not on a thread that would die with it.
        settings = settings.model_copy(update={"task_runner": "inline"})
    try:
        keys = load_keys(settings)
    except MissingSecretError as error:
        raise BadInput(str(error)) from None
    return PlatformContext.build(settings, system_clock, keys, mailer_from_settings(settings))


@click.group()
def main() -> None:
    """Manage the ALOT! platform."""


@main.command("migrate")
def migrate_command() -> None:
    """Bring the database to the current schema (idempotent)."""
    settings = _settings()
    migrate(settings)
    click.echo(f"OK: database migrated ({_display_url(settings)})")


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ALOT_ADMIN_PASSWORD",
    help="prompted for when not given (or ALOT_ADMIN_PASSWORD)",
)
def create_admin(email: str, username: str, password: str) -> None:
    """Create a verified admin account (run `alot migrate` first)."""
    try:
        email = TypeAdapter(EmailStr).validate_python(email)
    except ValidationError:
        raise BadInput(f"not an email address: {email!r}") from None
    try:
        username = TypeAdapter(Username).validate_python(username)
    except ValidationError:
        raise BadInput(f"a username is 3-32 letters, digits or underscores: {username!r}") from None
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise BadInput(
            f"the password must be {PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} characters"
        )
    platform = _platform(_settings())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            users = UserService(session, platform)
            if users.get_by_email(email) is not None:
                raise BadInput(f"an account with email {email} already exists")
            check_password_rules(password, email=email, username=username)
            users.check_username_free(username)
            user = users.create(
                email=email,
                username=username,
                hashed_password=platform.hasher.hash(password),
                date_of_birth=None,
                roles=(Role.PLAYER, Role.ADMIN),
                verified_email=True,
            )
    except AlotError as error:
        raise BadInput(error.detail) from None
    finally:
        platform.database.dispose()
    click.echo(f"OK: admin {user.username} <{user.email}> created (id {user.id})")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo admin (once) and open demo lots; print credentials and answers."""
    settings = _settings()
    platform = _platform(settings)
    try:
        credentials, created = ensure_demo_admin(platform)
        demo_lots = ensure_demo_lots(platform)
    finally:
        platform.database.dispose()
    click.echo(f"OK: demo admin {'created' if created else 'already present'}")
    click.echo(f"    email:    {credentials.email}")
    click.echo(f"    password: {credentials.password}")
    _echo_demo_lots(demo_lots)
    if settings.env == "development" and not settings.smtp_host:
        click.echo("")
        click.echo(WALKTHROUGH_HEADER)
        secret = settings.dev_mailbox_secret
        steps = newcomer_walkthrough(
            settings.public_url.rstrip("/"),
            secret.get_secret_value() if secret is not None else None,
            demo_lots,
        )
        for line in steps:
            click.echo(f"    {line}")


def _echo_demo_lots(demo_lots: list[DemoLot]) -> None:
    click.echo(f"OK: {len(demo_lots)} demo lots open ({sum(lot.created for lot in demo_lots)} new)")
    for lot in demo_lots:
        click.echo(f"    {lot.id}  {lot.title}")
        click.echo(f"        trivia: {lot.question}  answer: {lot.answer}")


@main.command("tick")
def tick() -> None:
    """Run the periodic jobs once: expiry, overdue refunds, waiting draws, ledger checkpoint.

    Safe beside a running server's scheduler or another tick: nothing is done twice.
    """
    platform = _platform(_settings())
    try:
        report = run_tick(platform, ledger_checkpointer(platform))
    finally:
        platform.database.dispose()
    if report.failures:
        click.echo(f"FAIL: {report.summary()} ({', '.join(report.failures)})", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.summary()}")


@main.command("openapi")
def openapi() -> None:
    """Print the API's OpenAPI document (JSON): what the web client's types come from."""
    app = create_app(_settings())
    click.echo(json.dumps(app.openapi(), indent=2, sort_keys=True))


@main.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help="print the differences as JSON")
def reconcile(as_json: bool) -> None:
    """Check every credit balance against the ledger (exit 1 on any difference).

    The ledger's user:<id>:credits accounts are the truth; user_universal_credits is a
    projection of them written in the same transactions.
    """
    platform = _platform(_settings())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            differences = reconcile_credits(session)
    finally:
        platform.database.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not differences,
                    "differences": [
                        {
                            "account": d.account,
                            "asset": d.asset,
                            "ledger_balance": d.ledger_balance,
                            "projected_balance": d.projected_balance,
                        }
                        for d in differences
                    ],
                }
            )
        )
    else:
        for d in differences:
            projected = "no row" if d.projected_balance is None else d.projected_balance
            click.echo(
                f"FAIL: {d.account} {d.asset}: ledger {d.ledger_balance}, projection {projected}"
            )
        if not differences:
            click.echo("OK: every credit balance agrees with the ledger")
    if differences:
        raise SystemExit(1)


@main.group("payments")
def payments() -> None:
    """Payments through the provider (Stripe): reconcile, retry stored events."""


@payments.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help="print the disagreements as JSON")
@click.option(
    "--transfers-since",
    "transfers_since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="compare only Stripe transfers created on or after this day (UTC); default all",
)
def payments_reconcile(as_json: bool, transfers_since: datetime | None) -> None:
    """List every disagreement between purchases and Stripe's records (exit 1 if any).

    Also lists stored webhook events that were not applied, matched no purchase, or
    report a dispute or a refund the platform did not make; and host payouts against
    Stripe's transfers and the ledger (a transfer without a payout, a payout without its
    transfer or its ledger entry, amounts or accounts that differ, payouts unfinished).
    """
    platform = _platform(_settings())
    try:
        provider = platform.payments
        if not isinstance(provider, StripeProvider):
            raise BadInput(
                f"payments reconcile compares purchases with Stripe's records; the provider"
                f" is {provider.name!r} (set ALOT_PAYMENT_PROVIDER=stripe)"
            )
        with contextmanager(unit_of_work)(platform.database) as session:
            since = (
                None
                if transfers_since is None
                else int(transfers_since.replace(tzinfo=UTC).timestamp())
            )
            found = reconcile_payments(session, provider, transfers_since=since)
    finally:
        platform.database.dispose()
    if as_json:
        rows = [
            {"subject": d.subject, "problem": d.problem, "ours": d.ours, "theirs": d.theirs}
            for d in found
        ]
        click.echo(json.dumps({"ok": not found, "disagreements": rows}))
    else:
        for d in found:
            click.echo(f"FAIL: {d.subject} {d.problem}: ours {d.ours}; provider {d.theirs}")
        if not found:
            click.echo("OK: every purchase agrees with the provider's records")
    if found:
        raise SystemExit(1)


@payments.command("retry-events")
@click.option(
    "--older-than",
    "older_than",
    default=60,
    show_default=True,
    type=click.IntRange(0),
    help="seconds since an event was received",
)
def payments_retry_events(older_than: int) -> None:
    """Apply stored webhook events not applied yet (after a crash or a provider outage)."""
    platform = _platform(_settings())
    try:
        report = retry_unprocessed_events(platform, older_than_seconds=older_than)
    finally:
        platform.database.dispose()
    if report.failed:
        click.echo(f"FAIL: {report.failed} event(s) still failing (see the log)", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.applied} event(s) applied")


_HOST_HELP = "the address to listen on (a loopback address unless --unsafe-dev-on-network)"
_UNSAFE_HELP = (
    "allow a development server (ALOT_ENV other than production) on a non-loopback"
    " address; the dev mailbox stays unmounted there"
)


def _check_bind_address(settings: Settings, host: str, unsafe_dev_on_network: bool) -> None:
    """A development server listens on loopback only, unless the user insists."""
    if settings.env != "production" and not is_loopback(host) and not unsafe_dev_on_network:
        raise BadInput(
            f"refusing to serve ALOT_ENV={settings.env} on {host}, which is not a loopback"
            " address: use --host 127.0.0.1, or pass --unsafe-dev-on-network"
        )


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help=_HOST_HELP)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--unsafe-dev-on-network", is_flag=True, help=_UNSAFE_HELP)
def run(host: str, port: int, unsafe_dev_on_network: bool) -> None:
    """Migrate, seed the demo admin and demo lots, and serve the API.

    The port is taken first: if it is in use nothing is migrated or seeded (exit 2). In
    development each start generates a new dev secret for the dev mailbox and prints it.
    Unless ALOT_WITNESSES is set or ALOT_LOCAL_WITNESS=0, a local witness process
    (`alot-witness serve`, its key under <var_dir>/witness/) cosigns the checkpoints and
    stops with the server.
    """
    settings = _settings()
    _check_bind_address(settings, host, unsafe_dev_on_network)
    raise_open_files_limit()  # one descriptor per open WebSocket
    try:
        sock = bind_socket(host, port)
    except OSError as error:
        raise BadInput(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
            " (another server there? pick one with --port, or PORT= for make run)"
        ) from None
    witness: LocalWitness | None = None
    try:
        base = f"http://{_url_host(host)}:{port}"
        updates: dict[str, object] = {"dev_bind_host": host}
        if "ALOT_PUBLIC_URL" not in os.environ:  # the emails' links point at this server
            updates["public_url"] = base
        if "ALOT_SCHEDULER_ENABLED" not in os.environ:  # a server runs its periodic jobs
            updates["scheduler_enabled"] = True
        if settings.dev_mailbox_secret is None:  # a fresh one per start
            updates["dev_mailbox_secret"] = SecretStr(secrets.token_urlsafe(24))
        settings = settings.model_copy(update=updates)
        # Started now, waited for after the migrations: it costs the start-up nothing.
        witness = LocalWitness.start(settings) if local_witness_wanted(settings) else None
        if witness is not None:
            witness.stop_before_termination()
        migrate(settings)
        platform = _platform(settings)
        try:
            credentials, _ = ensure_demo_admin(platform)
            demo_lots = ensure_demo_lots(platform)
        finally:
            platform.database.dispose()
        _echo_demo_lots(demo_lots)
        witnessed = None if witness is None else witness.wait_ready()
        if witnessed is not None:
            settings = settings.model_copy(update={"witnesses": (witnessed,)})
        mailbox = _mailbox_url(settings, base)
        click.echo("")
        if (settings.web_dir / "index.html").is_file():
            click.echo(f"  web client           {base}/   <- open this to play")
        else:
            click.echo("  web client           not built (needs Node.js 20+; make run builds it)")
        click.echo(f"  ALOT! platform API   {base}")
        click.echo(f"  interactive docs     {base}/docs")
        click.echo(f"  database             {_display_url(settings)}")
        click.echo(f"  demo admin           {credentials.email} / {credentials.password}")
        click.echo(f"  witnesses            {_witnesses_line(settings, witness)}")
        if mailbox is not None:
            click.echo(f"  dev mailbox          {mailbox}")
        elif settings.env == "development" and not is_loopback(host):
            click.echo("  dev mailbox          off: the server is not on a loopback address")
        click.echo("")
        _echo_walkthrough(settings, base, demo_lots)
        app = create_app(settings)
        platform = app.state.platform
        _serve_metrics_port(
            settings, DatabaseCollector(platform.database, platform.clock, settings)
        )
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, **SERVER_OPTIONS, **http_limits(settings))
        )
        server.run(sockets=[sock])
    finally:
        sock.close()
        if witness is not None:
            witness.stop()


def _witnesses_line(settings: Settings, witness: LocalWitness | None) -> str:
    if witness is not None and settings.witnesses:
        return f"{settings.witnesses[0].url} (local, {witness.data_dir})"
    if settings.witnesses:
        return ", ".join(w.url for w in settings.witnesses) + " (ALOT_WITNESSES)"
    return "none: checkpoints are not witnessed"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _mailbox_url(settings: Settings, base: str) -> str | None:
    """The dev mailbox's URL with this run's secret, if the server mounts it."""
    if not mailbox_enabled(settings) or settings.smtp_host:
        return None
    secret = settings.dev_mailbox_secret
    if secret is None:
        return f"{base}/api/dev/mailbox (admins only: no ALOT_DEV_MAILBOX_SECRET)"
    return f"{base}/api/dev/mailbox?secret={secret.get_secret_value()}"


def _echo_walkthrough(settings: Settings, base: str, demo_lots: list[DemoLot]) -> None:
    secret = settings.dev_mailbox_secret
    if not mailbox_enabled(settings) or settings.smtp_host or secret is None:
        return
    steps = newcomer_walkthrough(base, secret.get_secret_value(), demo_lots)
    if steps:
        click.echo(WALKTHROUGH_HEADER)
        for line in steps:
            click.echo(f"    {line}")
        click.echo("")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help=_HOST_HELP)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=os.cpu_count() or 1,
    show_default="one per core",
    type=click.IntRange(1, 64),
    help="server processes, each with its own socket on the port (SO_REUSEPORT)",
)
@click.option("--unsafe-dev-on-network", is_flag=True, help=_UNSAFE_HELP)
def serve_command(host: str, port: int, workers: int, unsafe_dev_on_network: bool) -> None:
    """Serve the API for production: no migrations, no demo data, WORKERS processes.

    Configure with ALOT_* variables and run `alot migrate` first. The kernel spreads
    connections over the workers (see alot_platform/serve.py). Periodic jobs: run `alot
    tick` every minute, or set ALOT_SCHEDULER_ENABLED=true to tick in every worker (a
    tick is safe to run several times at once).
    """
    settings = _settings()
    _check_bind_address(settings, host, unsafe_dev_on_network)
    if not can_share_port():
        raise click.UsageError("`alot serve` needs SO_REUSEPORT (Linux); use uvicorn here")
    # The workers build their apps from the environment: tell them where they listen (the
    # dev mailbox is mounted on loopback only).
    previous = os.environ.get("ALOT_DEV_BIND_HOST")
    os.environ["ALOT_DEV_BIND_HOST"] = host
    if workers > 1 and not settings.redis_url and "ALOT_CACHE_ENABLED" not in os.environ:
        # Each worker's in-process cache would hear only its own writes (docs: caching).
        os.environ["ALOT_CACHE_ENABLED"] = "false"
        click.echo("note: the cache is off: several workers and no ALOT_REDIS_URL", err=True)
    # Before the workers start: they write their metrics there (observability.exposition).
    prepare_multiprocess_dir(settings, "serve")
    # This process serves ALOT_METRICS_PORT: it lives as long as the server does.
    scrape_database = Database(settings.resolved_database_url, pool_size=1, max_overflow=0)
    _serve_metrics_port(settings, DatabaseCollector(scrape_database, system_clock, settings))
    try:
        status = serve(host, port, workers)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    finally:
        if previous is None:
            os.environ.pop("ALOT_DEV_BIND_HOST", None)
        else:
            os.environ["ALOT_DEV_BIND_HOST"] = previous
        scrape_database.dispose()
    raise SystemExit(status)


def _serve_metrics_port(settings: Settings, *collectors: DatabaseCollector) -> None:
    try:
        serve_metrics_port(settings, *collectors)
    except OSError as error:
        raise BadInput(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: {error}"
        ) from None


def _display_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    scheme, sep, rest = url.partition("://")
    if "@" in rest:  # hide credentials
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


@main.command("worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run a Celery worker for the outbox's tasks and the periodic jobs (needs
    ALOT_REDIS_URL). Extra arguments go to `celery worker` (e.g. --concurrency 4).

    Its processes write their metrics to PROMETHEUS_MULTIPROC_DIR (by default a fresh
    directory under ALOT_VAR_DIR), served on ALOT_METRICS_PORT when that is set.
    """
    settings = _settings()
    if not settings.redis_url:
        raise BadInput("alot worker needs ALOT_REDIS_URL: Celery's broker is Redis")
    if MULTIPROC_ENV not in os.environ:
        # The metrics were created when this process imported the platform, in memory:
        # start again (same pid) with the directory set, so that they are created there.
        prepare_multiprocess_dir(settings, "worker")
        argv = [sys.executable, "-m", "alot_platform.cli", "worker", *ctx.args]
        os.execv(sys.executable, argv)  # noqa: S606 (this very command, again)
    prepare_multiprocess_dir(settings, "worker")
    _serve_metrics_port(settings)
    _celery(ctx, "worker", "--loglevel", "INFO", settings=settings)


@main.command("beat", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def beat(ctx: click.Context) -> None:
    """Run Celery beat: the tick every ALOT_SCHEDULER_INTERVAL_SECONDS and the outbox sweep
    every ALOT_OUTBOX_SWEEP_SECONDS. Run one; a second one by mistake does no harm."""
    settings = _settings()
    schedule = settings.var_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    _celery(ctx, "beat", "--loglevel", "INFO", "--schedule", str(schedule), settings=settings)


def _celery(
    ctx: click.Context, command: str, *defaults: str, settings: Settings | None = None
) -> None:
    settings = settings or _settings()
    if not settings.redis_url:
        raise BadInput(f"alot {command} needs ALOT_REDIS_URL: Celery's broker is Redis")
    if settings.task_runner != "celery":
        click.echo(
            "note: ALOT_TASK_RUNNER is not celery here; the API must run with"
            " ALOT_TASK_RUNNER=celery for its tasks to reach this " + command,
            err=True,
        )
    from alot_platform.observability.sentry import init_sentry

    init_sentry(settings, f"alot-{command}")
    # The domain lines say which kind of process wrote them, in the JSON log.
    domain_log.set_service("worker" if command == "worker" else "beat")
    configure_logging(settings.log_level)
    make_app(settings).start([command, *defaults, *ctx.args])


@main.group()
def tasks() -> None:
    """The outbox's background tasks: dead letters."""


@tasks.command("failed")
@click.option("--json", "as_json", is_flag=True, help="print them as JSON lines")
def tasks_failed(as_json: bool) -> None:
    """List the dead tasks (failed on every attempt), latest first."""
    platform = _platform(_settings())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            found: list[TaskRead] = []
            cursor: str | None = None
            while True:
                items, cursor = outbox.dead(session, cursor=cursor, limit=500)
                found += [TaskRead.of(item) for item in items]
                if cursor is None:
                    break
    finally:
        platform.database.dispose()
    for task in found:
        if as_json:
            click.echo(task.model_dump_json())
        else:
            click.echo(f"{task.id}  {task.key}  attempts {task.attempts}  {task.last_error}")
    click.echo(f"OK: {len(found)} dead task(s)", err=as_json)


@tasks.command("retry")
@click.argument("task_ids", nargs=-1, type=click.UUID)
@click.option("--all", "retry_all", is_flag=True, help="retry every dead task")
def tasks_retry(task_ids: tuple[uuid.UUID, ...], retry_all: bool) -> None:
    """Give dead tasks a new round of attempts (by id, or --all), and run them.

    Each handler is idempotent: retrying work that in fact succeeded does nothing twice.
    """
    if bool(task_ids) == retry_all:
        raise BadInput("name the tasks to retry (their ids), or pass --all")
    platform = _platform(_settings())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            if retry_all:
                ids: list[uuid.UUID] = []
                cursor: str | None = None
                while True:
                    items, cursor = outbox.dead(session, cursor=cursor, limit=500)
                    ids += [item.id for item in items]
                    if cursor is None:
                        break
            else:
                ids = list(task_ids)
            for task_id in ids:
                outbox.retry(session, task_id, platform.clock())
        if platform.settings.task_runner == "celery":
            click.echo(f"OK: {len(ids)} task(s) pending again, sent to the workers")
            return
        # Committed, and so run (inline) before the commit returned.
        with contextmanager(unit_of_work)(platform.database) as session:
            failing = [
                f"{task_id}: {item.last_error}"
                for task_id in ids
                if (item := session.get(OutboxItem, task_id)) is not None
                and item.status != OutboxStatus.DONE.value
            ]
    except AlotError as error:
        raise BadInput(error.detail) from None
    finally:
        platform.database.dispose()
    if failing:
        click.echo(f"FAIL: {len(failing)} of {len(ids)} task(s) failed again", err=True)
        for line in failing:
            click.echo(f"  {line}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {len(ids)} task(s) retried and done")


@main.group()
def keys() -> None:
    """Key rotation chores."""


@keys.command("reseal-seeds")
def keys_reseal_seeds() -> None:
    """Re-seal every lot's server seed with the first ALOT_FIELD_ENCRYPTION_KEYS key.

    Run after putting a new key first. Seeds no longer need the old key then, but
    personal fields encrypted with it still do. Safe to run again.
    """
    platform = _platform(_settings())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            resealed = LotService(session, platform).reseal_seeds()
    except SeedUnsealError as error:
        click.echo(f"FAIL: {error}", err=True)
        raise SystemExit(1) from None
    finally:
        platform.database.dispose()
    click.echo(
        f"OK: {resealed} server seeds re-sealed with key {platform.seed_sealer.current_key_id}"
    )


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="print the checks as JSON")
def doctor_command(as_json: bool) -> None:
    """Check configuration, database, migrations, Redis, keys, Stripe and reconciliation
    (exit 1 when any check fails; each failure says how to fix it)."""
    checks = diagnose()
    healthy = all(check.ok for check in checks)
    if as_json:
        click.echo(json.dumps({"ok": healthy, "checks": [as_dict(c) for c in checks]}))
    else:
        for check in checks:
            click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
            if not check.ok and check.fix:
                click.echo(f"      fix: {check.fix}")
    if not healthy:
        raise SystemExit(1)


if __name__ == "__main__":  # `alot worker` starts itself again this way
    main(prog_name="alot")
