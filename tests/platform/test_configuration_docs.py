"""Every setting has a row in docs/platform/configuration.md (one row per `ALOT_*` name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alot_ledger.settings import LedgerSettings
from alot_platform.config import Settings
from pydantic_settings import BaseSettings

DOC = Path(__file__).parents[2] / "docs" / "platform" / "configuration.md"


def _documented() -> set[str]:
    return set(re.findall(r"^\| `(ALOT_[A-Z0-9_]+)` \|", DOC.read_text(), re.MULTILINE))


def _variables(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


@pytest.mark.parametrize("settings", [Settings, LedgerSettings])
def test_every_setting_has_a_row(settings: type[BaseSettings]) -> None:
    missing = sorted(_variables(settings) - _documented())
    assert not missing, f"add a row to {DOC.name} for: {', '.join(missing)}"
