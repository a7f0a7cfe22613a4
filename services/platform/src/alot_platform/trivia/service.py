"""The trivia gate: a player answers a lot's question correctly before buying in it.

Answers are normalized (`normalize_answer`) and compared as HMAC-SHA256 digests under
a key derived from the platform secret, bound to the lot: the database holds no answer
and the same answer on two lots gives two unrelated digests. Attempts come in rounds
(`ALOT_TRIVIA_ATTEMPTS_PER_ROUND`, default 3); a round of failures starts a cooldown
(`ALOT_TRIVIA_COOLDOWN_SECONDS`, default 24 h) before the next round.

Attempts are numbered per (lot, player) under a lock on the player's row, and the
unique (lot, player, number) index refuses a second attempt with the same number, so
concurrent requests can never exceed the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.errors import AlotError, Conflict, Forbidden, InvalidInput
from alot_platform.keys import Keys
from alot_platform.lots.models import Lot
from alot_platform.lots.state import require_selling
from alot_platform.trivia.models import LotTriviaAttempt
from alot_platform.trivia.repository import TriviaRepository
from alot_platform.users.models import User

_KEY_PURPOSE = "trivia-answer"
_INVITE_PURPOSE = "lot-invite-code"


class TriviaNotPassed(Forbidden):
    code = "trivia_not_passed"
    title = "Answer the lot's trivia question first"


class TriviaCooldown(AlotError):
    status_code = 429
    code = "trivia_cooldown"
    title = "No trivia attempts left until the cooldown ends"


class TriviaAttemptConflict(Conflict):
    code = "trivia_attempt_conflict"
    title = "Another attempt on this question is being recorded"


class InviteCodeRequired(InvalidInput):
    code = "invite_code_required"
    title = "This private lot needs its invite code"


class EmptyAnswer(InvalidInput):
    code = "trivia_answer_empty"
    title = "The answer is empty"


def normalize_answer(answer: str) -> str:
    """Fold away case, accents, spacing and surrounding punctuation.

    NFKD splits accented letters into base + combining mark (dropped) and folds
    compatibility forms (full-width letters, ligatures); casefold handles ß and the like.
    """
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", answer).casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = " ".join(letters.split())
    start, end = 0, len(words)
    while start < end and _is_edge_noise(words[start]):
        start += 1
    while end > start and _is_edge_noise(words[end - 1]):
        end -= 1
    return " ".join(words[start:end].split())


def _is_edge_noise(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def answer_digest(keys: Keys, lot_id: uuid.UUID, answer: str) -> str:
    """The stored form of an answer: HMAC-SHA256(key, lot id, normalized answer), hex.

    Raises EmptyAnswer (422) when nothing is left after normalization.
    """
    normalized = normalize_answer(answer)
    if not normalized:
        raise EmptyAnswer("the answer has no letters or digits once spacing and punctuation go")
    message = f"{lot_id}\n{normalized}".encode()
    return hmac.new(keys.derive(_KEY_PURPOSE), message, hashlib.sha256).hexdigest()


def invite_code_digest(keys: Keys, lot_id: uuid.UUID, code: str) -> str:
    """The stored form of a private lot's invite code: like an answer's (normalized,
    HMAC-SHA256 bound to the lot), under a key of its own."""
    normalized = normalize_answer(code)
    if not normalized:
        raise EmptyAnswer("the invite code has no letters or digits", field="invite_code")
    message = f"{lot_id}\n{normalized}".encode()
    return hmac.new(keys.derive(_INVITE_PURPOSE), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TriviaStatus:
    """Where a player stands on a lot's question."""

    passed: bool
    attempts_made: int
    attempts_left: int
    """Attempts left in the current round (0 while cooling down or once passed)."""
    cooldown_until: datetime | None
    """Set while a cooldown is running."""


@dataclass(frozen=True)
class AttemptResult:
    correct: bool
    status: TriviaStatus


def require_passed_trivia(lot: Lot, passed: bool) -> None:
    """Refuse (403 trivia_not_passed) unless ``passed`` (see `passed_trivia`)."""
    if not passed:
        raise TriviaNotPassed(
            f"answer the trivia question of lot {lot.id} before buying tickets",
            lot_id=str(lot.id),
        )


class TriviaService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._attempts = TriviaRepository(session)
        self._platform = platform
        self._per_round = platform.settings.trivia_attempts_per_round
        self._cooldown = timedelta(seconds=platform.settings.trivia_cooldown_seconds)

    def require_passed(self, lot: Lot, user: User) -> None:
        """Refuse (403 trivia_not_passed) a player who has not answered ``lot``'s question."""
        require_passed_trivia(lot, self._attempts.has_passed(lot.id, user.id))

    def status(self, lot: Lot, user: User) -> TriviaStatus:
        return self._status(self._attempts.attempts(lot.id, user.id), self._platform.clock())

    def attempt(
        self, lot: Lot, user: User, answer: str, invite_code: str | None = None
    ) -> AttemptResult:
        """Record one answer; a player who already passed gets their status, nothing written.

        A private lot with an invite code needs the code with the answer: a wrong code
        counts as a wrong answer (so codes are guessed no faster than answers)."""
        now = self._platform.clock()
        # Past the deadline the lot sells nothing, so its question is closed too, even
        # before the tick has marked the lot expired.
        require_selling(lot, now, action="answer its trivia question")
        submitted = answer_digest(self._platform.keys, lot.id, answer)
        invite_ok = True
        if lot.invite_code_hmac is not None:
            if invite_code is None:
                if not self._attempts.has_passed(lot.id, user.id):
                    raise InviteCodeRequired(
                        "this lot is entered with its invite code: send invite_code",
                        field="invite_code",
                    )
            else:
                given = invite_code_digest(self._platform.keys, lot.id, invite_code)
                invite_ok = hmac.compare_digest(given, lot.invite_code_hmac)

        self._attempts.lock_player(user.id)
        attempts = self._attempts.attempts(lot.id, user.id)
        status = self._status(attempts, now)
        if status.passed:
            return AttemptResult(correct=True, status=status)
        if status.cooldown_until is not None:
            wait = math.ceil((status.cooldown_until - now).total_seconds())
            raise TriviaCooldown(
                f"no attempts left; try again after {status.cooldown_until.isoformat()}",
                headers={"Retry-After": str(wait)},
                cooldown_until=status.cooldown_until.isoformat(),
            )

        number = len(attempts) + 1
        correct = hmac.compare_digest(submitted, lot.trivia_answer_hmac) and invite_ok
        ends_round = not correct and number % self._per_round == 0
        recorded = LotTriviaAttempt(
            lot_id=lot.id,
            user_id=user.id,
            attempt_number=number,
            is_correct=correct,
            cooldown_until=now + self._cooldown if ends_round else None,
            created_at=now,
        )
        try:
            self._attempts.add(recorded)
        except IntegrityError:
            # The lock makes this unreachable on PostgreSQL; the unique index is the
            # backstop that keeps the limit even if a caller skipped the lock.
            raise TriviaAttemptConflict("another attempt was recorded at the same time") from None
        return AttemptResult(correct=correct, status=self._status([*attempts, recorded], now))

    def _status(self, attempts: list[LotTriviaAttempt], now: datetime) -> TriviaStatus:
        made = len(attempts)
        if any(a.is_correct for a in attempts):
            return TriviaStatus(True, made, 0, None)
        last = attempts[-1] if attempts else None
        if last is not None and last.cooldown_until is not None and last.cooldown_until > now:
            return TriviaStatus(False, made, 0, last.cooldown_until)
        return TriviaStatus(False, made, self._per_round - made % self._per_round, None)
