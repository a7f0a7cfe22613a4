"""Set-up for web/e2e/tasks.spec.ts: a dead background task on the e2e server's data.

The platform's own code does it, as the Python tests do: a draw is enqueued for a lot
that does not exist (what funding enqueues for a real lot), in one transaction; the
inline runner runs it after the commit, it fails, and with ALOT_TASK_MAX_ATTEMPTS=1
(the caller's environment) it is dead at once. Prints the task's id and key.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.keys import load_keys
from alot_platform.mail import mailer_from_settings
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.outbox.service import enqueue_task


def main() -> None:
    settings = Settings()  # ALOT_VAR_DIR: the e2e server's database and keys
    if settings.task_runner != "inline" or settings.task_max_attempts != 1:
        raise SystemExit("run with ALOT_TASK_RUNNER=inline ALOT_TASK_MAX_ATTEMPTS=1")
    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    lot_id = str(uuid.uuid4())
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            item = enqueue_task(
                session,
                task="draw",
                key=f"draw:{lot_id}",
                payload={"lot_id": lot_id},
                now=platform.clock(),
            )
            item_id, key = item.id, item.key
        with contextmanager(unit_of_work)(platform.database) as session:
            status = session.get(OutboxItem, item_id).status  # type: ignore[union-attr]
    finally:
        platform.database.dispose()
    if status != OutboxStatus.DEAD.value:
        raise SystemExit(f"the poison task is {status}, not dead")
    print(item_id, key)


if __name__ == "__main__":
    main()
