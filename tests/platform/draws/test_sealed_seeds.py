"""Server seeds sealed at rest: a dump shows no undrawn seed, a sealed seed is bound to
its lot, keys rotate, and migration 0005 seals the seeds stored in the clear before it."""

from __future__ import annotations

import base64
import logging
import os
import secrets
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import alot_ledger
import pytest
from alembic import command
from alot_platform.cli import main as alot_cli
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.tasks import run_draw_and_settle
from alot_platform.keys import Keys, load_keys
from alot_platform.lots.models import Lot
from alot_platform.migrate import alembic_config, migrate
from alot_platform.security.crypto import SeedSealer, SeedUnsealError
from alot_verify.draw import verify_draw_proof
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Uuid,
    column,
    create_engine,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql.expression import TableClause


def _dump(engine: Engine) -> str:
    """Every value of every table in the database (the ledger's and Alembic's too), as a
    dump or a read replica would show them."""
    metadata = MetaData()
    with warnings.catch_warnings():
        # The one-freeze-per-lot index is over an expression, which SQLite's reflection
        # skips; the rows are what a dump shows, and they are all read.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        metadata.reflect(engine)
    lines = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                values = (v.hex() if isinstance(v, bytes | memoryview) else v for v in row)
                lines.append(f"{table.name}: " + " | ".join(str(v) for v in values))
    return "\n".join(lines)


def _field_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_a_dump_before_the_draw_reveals_no_server_seed(
    http: Any, platform: PlatformContext, caplog: pytest.LogCaptureFixture
) -> None:
    served: list[str] = []
    with caplog.at_level(logging.DEBUG):
        lot = http.open_lot()
        lot_id = lot["id"]
        served.append(str(lot))
        ada, bob = http.player(lot_id), http.player(lot_id)
        bought = http.buy(ada, lot_id, 1)  # 4.50 of 10.00: open, not funded
        assert bought.status_code == 201, bought.text
        served.append(bought.text)
        for path in (f"/api/lots/{lot_id}", f"/api/lots/{lot_id}/draw", "/api/lots"):
            served.append(http.client.get(path).text)
            served.append(http.admin_get(path).text)
        served.append(http.admin_get("/api/ledger/export").text)
        dump = _dump(platform.database.engine)
        logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)

    for _ in range(2):  # 4.50 + 4.50 + 4.50 >= 10.00: funds; the draw runs after it
        funding = http.buy(bob, lot_id, 1)
        assert funding.status_code == 201, funding.text
    assert funding.json()["lot_status"] == "funded"
    proof = http.client.get(f"/api/lots/{lot_id}/draw/proof").json()
    verify_draw_proof(proof)  # the draw still reproduces from its published proof
    seed = proof["server_seed"]

    assert lot_id.replace("-", "") in dump.replace("-", "")  # the lot's row is in the dump
    assert seed not in dump
    assert seed not in logged
    assert all(seed not in answer for answer in served)
    # After the draw the seed is public: the draw record and the ledger carry it.
    assert seed in _dump(platform.database.engine)


def test_a_sealed_seed_is_bound_to_its_lot_and_its_bytes() -> None:
    sealer = SeedSealer([os.urandom(32)])
    lot, other_lot = uuid.uuid4(), uuid.uuid4()
    seed = secrets.token_hex(32)
    sealed = sealer.seal(seed, lot)
    assert seed not in sealed
    assert sealer.unseal(sealed, lot) == seed
    with pytest.raises(SeedUnsealError, match=f"lot {other_lot} does not unseal"):
        sealer.unseal(sealed, other_lot)
    version, key_id, payload = sealed.split(".")
    flipped = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    for tampered in (f"{version}.{key_id}.{flipped}", sealed[:-6], "v1.00000000." + payload):
        with pytest.raises(SeedUnsealError, match="sealed for another lot, altered"):
            sealer.unseal(tampered, lot)


def test_a_seed_moved_to_another_lot_stops_its_draw(lots: Any, api: Any) -> None:
    player = api.account().id
    first, second = lots.open_lot(target_cents=1000), lots.open_lot(target_cents=1000)
    with lots.session() as session:
        stolen = session.get(Lot, first).server_seed_sealed
        session.execute(update(Lot).where(Lot.id == second).values(server_seed_sealed=stolen))
    # The seed is revealed when the lot is funded, so a seed that does not unseal stops
    # the funding purchase itself (its charge is given back): nothing is frozen.
    with pytest.raises(SeedUnsealError, match=str(second)):
        lots.buy(second, player, 10, cash=1000)
    assert lots.lot(second).status == "open"
    assert lots.rows(LotteryDraw, lot_id=second) == []


def test_a_seed_sealed_with_an_old_key_unseals_after_rotation_and_reseals(
    make_client: Callable[..., TestClient], db_url: str, tmp_path: Path, lots: Any, api: Any
) -> None:
    old, new = _field_key(), _field_key()
    old_keys = Keys(b"s" * 32, (base64.urlsafe_b64decode(old),))
    rotated_keys = Keys(b"s" * 32, tuple(base64.urlsafe_b64decode(k) for k in (new, old)))
    seed, lot_id = secrets.token_hex(32), uuid.uuid4()
    sealed_before = SeedSealer(old_keys.seed_sealing).seal(seed, lot_id)
    rotated = SeedSealer(rotated_keys.seed_sealing)
    assert rotated.unseal(sealed_before, lot_id) == seed
    assert not rotated.is_current(sealed_before)
    # Seed keys are derived: a field key is never used as is, and each field key
    # yields its own seed key.
    assert set(rotated_keys.seed_sealing).isdisjoint(rotated_keys.field_encryption)

    app_before = make_client(field_encryption_keys=old)
    platform_before: PlatformContext = app_before.app.state.platform  # type: ignore[attr-defined]
    lots.platform = platform_before
    lot = lots.open_lot(target_cents=1000)
    stored_before = lots.lot(lot).server_seed_sealed

    env = {
        "ALOT_ENV": "test",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(tmp_path / "var"),
        "ALOT_FIELD_ENCRYPTION_KEYS": f"{new},{old}",
    }
    result = CliRunner().invoke(alot_cli, ["keys", "reseal-seeds"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 1 server seeds re-sealed with key ")
    again = CliRunner().invoke(alot_cli, ["keys", "reseal-seeds"], env=env)
    assert again.output.startswith("OK: 0 server seeds re-sealed"), again.output

    stored_after = lots.lot(lot).server_seed_sealed
    assert stored_after != stored_before
    only_new = SeedSealer(Keys(b"s" * 32, (base64.urlsafe_b64decode(new),)).seed_sealing)
    assert only_new.unseal(stored_after, lot) == platform_before.seed_sealer.unseal(
        stored_before, lot
    )

    # The app with the rotated keys draws the lot, with the seed sealed when it opened.
    rotated_client = make_client(field_encryption_keys=f"{new},{old}")
    lots.platform = rotated_client.app.state.platform  # type: ignore[attr-defined]
    lots.buy(lot, api.account().id, 10, cash=1000)
    assert run_draw_and_settle(lots.platform, lot).drawn
    (draw,) = lots.rows(LotteryDraw, lot_id=lot)
    assert draw.server_seed == only_new.unseal(stored_after, lot)
    verify_draw_proof(draw.proof)


def _columns_at_0004(name: str, plain: str, **typed: Any) -> TableClause:
    """The columns a 0004 row needs (the current models name them differently)."""
    return table(
        name,
        *(column(c, String()) for c in plain.split()),
        *(column(c, t) for c, t in typed.items()),
    )


_STAMPS = {"created_at": DateTime(timezone=True), "updated_at": DateTime(timezone=True)}
_AT_0004 = {
    "product_classes": _columns_at_0004(
        "product_classes",
        "name category tier currency",
        id=Uuid(),
        retail_value_cents=BigInteger(),
        specifications=JSON(),
        images=JSON(),
        **_STAMPS,
    ),
    "lots": _columns_at_0004(
        "lots",
        "lot_type title currency status visibility trivia_question trivia_answer_hmac"
        " draw_algorithm server_seed server_seed_commitment",
        id=Uuid(),
        product_class_id=Uuid(),
        funding_target_cents=BigInteger(),
        deadline=DateTime(timezone=True),
        cash_cents=BigInteger(),
        credits_spent=BigInteger(),
        tickets_sold=Integer(),
        entry_bundles=JSON(),
        non_winner_credit_rate_percent=Integer(),
        **_STAMPS,
    ),
}


def _insert_lot_at_0004(engine: Engine, old_rows: Any, status: str, seed: str | None) -> uuid.UUID:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    products, lots_table = _AT_0004["product_classes"], _AT_0004["lots"]
    with engine.begin() as connection:
        lot_id: uuid.UUID = old_rows.lot(
            connection,
            lots_table,
            now,
            product_class_id=old_rows.product(connection, products, now),
            status=status,
            server_seed=seed,
            server_seed_commitment=None if seed is None else "c" * 64,
        )
    return lot_id


def test_migration_0005_seals_the_seeds_stored_in_the_clear(
    make_settings: Callable[..., Settings], db_url: str, old_rows: Any
) -> None:
    settings = make_settings()
    alot_ledger.migrate(db_url)
    command.upgrade(alembic_config(db_url), "0004")
    engine = create_engine(db_url)
    try:
        seeds = {status: secrets.token_hex(32) for status in ("open", "funded", "settled")}
        lot_ids = {
            status: _insert_lot_at_0004(engine, old_rows, status, seed)
            for status, seed in seeds.items()
        }
        never_opened = _insert_lot_at_0004(engine, old_rows, "created", None)

        migrate(settings)

        dump = _dump(engine)
        assert not [status for status, seed in seeds.items() if seed in dump]
        sealer = SeedSealer(load_keys(settings).seed_sealing)
        with engine.connect() as connection:
            stored = dict(connection.execute(select(Lot.id, Lot.server_seed_sealed)).all())
        for status, seed in seeds.items():
            assert sealer.unseal(stored[lot_ids[status]], lot_ids[status]) == seed
        assert stored[never_opened] is None

        migrate(settings)  # nothing left to seal: the sealed values stay as they are
        with engine.connect() as connection:
            again = dict(connection.execute(select(Lot.id, Lot.server_seed_sealed)).all())
        assert again == stored

        # Downgrading gives the seeds back in the clear, as 0004 kept them.
        config = alembic_config(db_url)
        config.attributes["settings"] = settings
        command.downgrade(config, "0004")
        with engine.connect() as connection:
            plain = dict(connection.execute(text("SELECT id, server_seed FROM lots")).all())
        assert sorted(v for v in plain.values() if v) == sorted(seeds.values())
    finally:
        engine.dispose()


def test_the_sqlite_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    fresh, old = tmp_path / "fresh" / "alot.db", tmp_path / "old.db"
    old.touch(mode=0o644)
    old.chmod(0o644)  # as a database made before the fix, under a usual umask
    previous_umask = os.umask(0o022)
    try:
        for database in (fresh, old):
            migrate(Settings(env="test", var_dir=tmp_path, database_url=f"sqlite:///{database}"))
            assert database.stat().st_mode & 0o077 == 0, oct(database.stat().st_mode)
    finally:
        os.umask(previous_umask)
