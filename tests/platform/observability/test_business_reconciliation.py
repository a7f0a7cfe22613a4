"""`alot reconcile` sets the reconciliation gauge to the differences it found.

The gauge is what the reconciliation alert watches: 1 while a credit balance disagrees
with the ledger, back to 0 on a clean database.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alot_platform.cli import main
from alot_platform.credits.models import UserUniversalCredits
from alot_platform.scheduler import run_tick
from click.testing import CliRunner
from sqlalchemy import update

from tests.platform.conftest import Services
from tests.platform.observability.reading import sample


def _reconcile(db_url: str, var_dir: Path) -> Any:
    env = {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(var_dir),
        "ALOT_TASK_RUNNER": "inline",
    }
    return CliRunner().invoke(main, ["reconcile"], env=env)


def _shift_balance(services: Services, user_id: str, by: int) -> None:
    """Write the credit projection without its ledger transaction (the bug reconcile finds)."""
    with services.session() as session:
        session.execute(
            update(UserUniversalCredits)
            .where(UserUniversalCredits.user_id == uuid.UUID(user_id))
            .values(balance=UserUniversalCredits.balance + by)
        )


def test_alot_reconcile_sets_the_gauge_to_the_differences_found(
    services: Services, api: Any, db_url: str, tmp_path: Path, domain_lines: Any
) -> None:
    player = api.account()
    services.grant_credits(player.id, 500)
    _shift_balance(services, player.id, 7)

    found = _reconcile(db_url, tmp_path / "cli-var")
    assert found.exit_code == 1, found.output
    assert sample("alot_reconciliation_mismatches", check="credits") == 1

    _shift_balance(services, player.id, -7)
    clean = _reconcile(db_url, tmp_path / "cli-var")
    assert clean.exit_code == 0, clean.output
    assert sample("alot_reconciliation_mismatches", check="credits") == 0
    assert [
        (line["check"], line["mismatches"]) for line in domain_lines("reconciliation_done")
    ] == [
        ("credits", 1),
        ("credits", 0),
    ]


def test_the_admin_desks_reconciliation_sets_the_gauge_too(
    services: Services, api: Any, client: Any
) -> None:
    admin = api.admin()
    player = api.account()
    services.grant_credits(player.id, 500)
    _shift_balance(services, player.id, 3)
    response = client.get("/api/admin/reconciliation", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert sample("alot_reconciliation_mismatches", check="credits") == 1

    _shift_balance(services, player.id, -3)
    response = client.get("/api/admin/reconciliation", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert sample("alot_reconciliation_mismatches", check="credits") == 0


def test_the_ticks_reconcile_every_interval_and_set_the_gauge(
    services: Services, api: Any, platform: Any
) -> None:
    player = api.account()
    services.grant_credits(player.id, 500)
    _shift_balance(services, player.id, 4)
    run_tick(platform)  # this process's first tick on this database reconciles
    assert sample("alot_reconciliation_mismatches", check="credits") == 1

    _shift_balance(services, player.id, -4)
    run_tick(platform)  # within ALOT_RECONCILE_INTERVAL_SECONDS: not again
    assert sample("alot_reconciliation_mismatches", check="credits") == 1
