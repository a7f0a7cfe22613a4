"""The ledger's configuration, from ``ALOT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALOT_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/alot.db", description="SQLAlchemy or libpq URL"
    )
    var_dir: Path = Field(default=Path("var"), description="where dev keys are generated")
    ledger_signing_key_file: Path | None = Field(
        default=None, description="file holding the signer key (PRIVATE+KEY+<origin>+...)"
    )
    ledger_origin: str = Field(
        default="alot.local/ledger", description="checkpoint origin and signing key name"
    )
    ledger_public: bool = Field(default=False, description="reads open to anyone")
    ledger_checkpoint_interval: float = Field(
        default=60.0, gt=0, description="seconds between periodic checkpoints"
    )
    ledger_service_token: str = Field(
        default="", description="bearer token for writes (empty: writes refused)"
    )
    ledger_auditor_token: str = Field(
        default="", description="bearer token for reads when not public (standalone app)"
    )
