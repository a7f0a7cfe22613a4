"""Password hashing and password rules.

Argon2id (pwdlib) hashes every new password. bcrypt (cost 12, the architecture
document's original choice) hashes are still verified, and any hash that is not
current Argon2id with the configured parameters is replaced at the next successful
login. Unknown users are checked against a dummy hash so that a login for a
non-existent email costs the same time as one with a wrong password.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from alot_platform.config import Settings
from alot_platform.errors import InvalidInput

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 256


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "Password too weak"


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("alot_platform.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password_rules(password: str, *, email: str, username: str) -> None:
    """Raise WeakPassword for a password an attacker would try early."""
    lowered = password.lower()
    if lowered in common_passwords():
        raise WeakPassword("this password is among the most commonly used; choose another")
    local_part = email.split("@", 1)[0]
    if lowered in {email.lower(), local_part.lower(), username.lower()}:
        raise WeakPassword("the password must not be your email address or username")
    if len(set(password)) < 3:
        raise WeakPassword("the password repeats too few different characters")


class PasswordHasher:
    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
                BcryptHasher(rounds=12),
            )
        )
        self._dummy_hash = self._hash.hash("not a real password: equalizes login timing")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """(matches, replacement hash or None). hashed=None runs the dummy check."""
        if hashed is None:
            self._hash.verify(password, self._dummy_hash)
            return False, None
        try:
            return self._hash.verify_and_update(password, hashed)
        except ValueError:
            # bcrypt refuses passwords over 72 bytes; such a password never matched one.
            return False, None
