"""Set-up for web/e2e/terms.spec.ts: a player whose accepted terms are an older version.

The e2e server runs with one terms version for the whole suite; publishing a new one
means restarting it with another ALOT_TERMS_VERSION. What a new version changes for a
player is that their acceptance on record is no longer of the current version: so this
records the player (by email, the first argument) as having accepted only an earlier
version, which is exactly the state a restart with a newer version leaves them in.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from alot_platform.compliance.models import Document, TermsAcceptance
from alot_platform.config import Settings
from alot_platform.db import Database, unit_of_work
from alot_platform.users.models import User
from sqlalchemy import delete, select

EARLIER_VERSION = "2026-06-01"


def main(email: str) -> None:
    settings = Settings()  # ALOT_VAR_DIR: the e2e server's database
    database = Database(settings.resolved_database_url)
    try:
        with contextmanager(unit_of_work)(database) as session:
            user = session.scalars(select(User).where(User.email == email.lower())).one()
            session.execute(delete(TermsAcceptance).where(TermsAcceptance.user_id == user.id))
            for document in Document:
                session.add(
                    TermsAcceptance(
                        user_id=user.id,
                        document=document.value,
                        version=EARLIER_VERSION,
                        source="registration",
                        accepted_at=user.created_at,
                    )
                )
    finally:
        database.dispose()
    print(user.id)


if __name__ == "__main__":
    main(sys.argv[1])
