"""The drand beacon an alot-v2 draw mixes in: choosing a future round, reading it later.

Only configured when `ALOT_DRAND_URL` is set; without it lots are frozen with
`"beacon": null` and `make run` works offline. The chain must be one `alot-verify`
knows (its scheme and timing are then checked by every verifier).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx
from alot_verify.beacon import KNOWN_CHAINS, DrandChain

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
        """The round to freeze: the first one due at least 30 s after ``funded_at``."""
        not_before = int(funded_at.timestamp()) + MIN_DELAY_SECONDS
        return {
            "chain_hash": self.chain.chain_hash,
            "scheme": self.chain.scheme,
            "round": self.chain.first_round_after(not_before),
        }

    def read(self, round_number: int) -> dict[str, Any] | None:
        """The published round as drand serves it, or None if it is not available yet."""
        url = f"{self.url}/{self.chain.chain_hash}/public/{round_number}"
        try:
            response = httpx.get(url, timeout=self._timeout)
        except httpx.HTTPError as error:
            _log.warning("drand round %s unavailable: %s", round_number, error)
            return None
        if response.status_code != 200:
            _log.info("drand round %s not served yet (%s)", round_number, response.status_code)
            return None
        reading: dict[str, Any] = response.json()
        return reading
