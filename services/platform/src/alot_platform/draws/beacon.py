"""The drand beacon an alot-v2 draw mixes in: choosing a future round, reading it later.

Only configured when `ALOT_DRAND_URL` is set; without it alot-v2 lots open declared
beacon-less (`"beacon": null`) and `make run` works offline. The chain must be one
`alot-verify` pins (its key, scheme and timing are then checked by every verifier). A
lot declares its chain when it opens, and its round is chosen at funding from that
chain alone (``frozen_round``), even if no endpoint is configured by then: the draw
then waits for one, never going ahead without its beacon.

A round is used only once its BLS signature verifies under the chain's public key
pinned in `alot-verify` (the check `alot-verify draw` runs by default): the drand
endpoint, or anything between it and us, cannot feed the draw a randomness of its
choosing. The check is `alot_verify.beacon.verify_round`, the very function auditors
run. A round that does not verify is refused like a round not published yet: it is
logged, never used, and the draw waits for a copy that verifies.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Any

import httpx
from alot_verify.beacon import KNOWN_CHAINS, DrandChain, verify_round
from alot_verify.errors import VerificationError

from alot_platform.config import Settings

_log = logging.getLogger(__name__)

# The spec asks for a round due at least this long after funding, so that the round
# cannot have been published (or be about to be) when the inputs are frozen.
MIN_DELAY_SECONDS = 30


class DrandBeacon:
    def __init__(self, url: str, chain: DrandChain, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.chain = chain
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> DrandBeacon | None:
        if not settings.drand_url:
            return None
        chain = KNOWN_CHAINS.get(settings.drand_chain_hash)
        if chain is None:
            raise ValueError(
                f"ALOT_DRAND_CHAIN_HASH {settings.drand_chain_hash} is not a chain alot-verify"
                f" knows ({', '.join(sorted(c.name for c in KNOWN_CHAINS.values()))})"
            )
        return cls(settings.drand_url, chain)

    def choose(self, funded_at: datetime) -> dict[str, Any]:
        """The round to freeze: the first one due more than 30 s after ``funded_at``."""
        return frozen_round(self.chain, funded_at)

    def read(self, round_number: int) -> dict[str, Any] | None:
        """The published round as drand serves it, or None if it is not available yet.

        Raises RoundNotVerified when what is served is not that round signed by the
        chain's key.
        """
        url = f"{self.url}/{self.chain.chain_hash}/public/{round_number}"
        try:
            response = httpx.get(url, timeout=self._timeout)
        except httpx.HTTPError as error:
            _log.warning("drand round %s unavailable: %s", round_number, error)
            return None
        if response.status_code != 200:
            _log.info("drand round %s not served yet (%s)", round_number, response.status_code)
            return None
        try:
            reading = response.json()
            self.check(round_number, reading)
        except (ValueError, VerificationError) as error:
            _log.error(
                "drand round %s from %s does not verify, not used (the draw waits): %s",
                round_number,
                self.url,
                error,
            )
            raise RoundNotVerified(round_number, str(error)) from error
        checked: dict[str, Any] = reading
        return checked

    def check(self, round_number: int, reading: Any) -> None:
        """Raise unless ``reading`` is round ``round_number`` of this chain as every
        verifier checks it (``alot_verify.beacon.verify_round``): its randomness the hash
        of its signature, its previous signature the chain's (chained scheme), and its
        signature the pinned chain key's."""
        verify_round(self.chain, round_number, reading)


def frozen_round(chain: DrandChain, funded_at: datetime) -> dict[str, Any]:
    """The beacon a lot funded at ``funded_at`` freezes (the spec's rule): the first
    round of ``chain`` due strictly after floor(funded_at) + 30 s. Needs no drand
    endpoint: the round is computed from the chain's genesis and period."""
    not_before = math.floor(funded_at.timestamp()) + MIN_DELAY_SECONDS
    return {
        "chain_hash": chain.chain_hash,
        "scheme": chain.scheme,
        "round": chain.first_round_after(not_before),
    }


class RoundNotVerified(Exception):
    """drand served something for the round that is not the round signed by the chain."""

    def __init__(self, round_number: int, reason: str) -> None:
        super().__init__(f"drand round {round_number} does not verify: {reason}")
        self.round = round_number
        self.reason = reason
