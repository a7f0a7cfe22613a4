"""Alembic environment for the ledger's own migration history.

The ledger keeps its version in ``alembic_version_ledger`` so that it can share a
database with the platform's migrations. ``alot_ledger.migrate`` passes the connection
in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from alot_ledger.tables import metadata

VERSION_TABLE = "alembic_version_ledger"


def _include_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    # Only the ledger's own tables: the platform's tables live in the same database.
    return type_ != "table" or bool(name and name.startswith("ledger_"))


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
