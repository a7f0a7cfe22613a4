"""The clients' surface: Alot and AsyncAlot mirrored method for method, configuration
from arguments and ALOT_* variables, and the money helpers."""

from __future__ import annotations

import inspect
from decimal import Decimal

import httpx
import pytest
from alot_sdk import Alot, AsyncAlot, money


def _resources(client: object) -> dict[str, object]:
    found: dict[str, object] = {}
    for name, value in vars(client).items():
        if name.startswith("_") or not hasattr(value, "_client"):
            continue
        found[name] = value
        for sub, nested in vars(value).items():
            if not sub.startswith("_") and hasattr(nested, "_client"):
                found[f"{name}.{sub}"] = nested
    return found


def _methods(resource: object) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(type(resource), inspect.isfunction)
        if not name.startswith("_")
    }


def test_sync_and_async_clients_mirror_each_other() -> None:
    sync_client, async_client = Alot(), AsyncAlot()
    sync_resources, async_resources = _resources(sync_client), _resources(async_client)
    assert sorted(sync_resources) == sorted(async_resources)
    assert {"lots", "entries", "trivia", "credits", "reveals", "ledger", "admin.lots"} <= set(
        sync_resources
    )
    for name, resource in sync_resources.items():
        twin = async_resources[name]
        sync_methods, async_methods = _methods(resource), _methods(twin)
        assert sorted(sync_methods) == sorted(async_methods), name
        for method, signature in sync_methods.items():
            assert list(signature.parameters) == list(async_methods[method].parameters), (
                f"{name}.{method}"
            )
            assert inspect.iscoroutinefunction(getattr(type(twin), method)), f"{name}.{method}"
    sync_client.close()


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALOT_BASE_URL", "https://alot.example/")
    monkeypatch.setenv("ALOT_API_TOKEN", "access-from-env")
    monkeypatch.setenv("ALOT_REFRESH_TOKEN", "refresh-from-env")
    monkeypatch.setenv("ALOT_TIMEOUT", "2.5")
    monkeypatch.setenv("ALOT_MAX_RETRIES", "5")
    monkeypatch.setenv("ALOT_VERIFY_LEDGER_KEY", "alot.example/ledger+00000000+AAAA")
    client = Alot()
    assert str(client.base_url) == "https://alot.example/"
    assert (client.access_token, client.refresh_token) == ("access-from-env", "refresh-from-env")
    assert client.timeout == httpx.Timeout(2.5)
    assert client.max_retries == 5
    assert client.ledger_verifier_key == "alot.example/ledger+00000000+AAAA"

    explicit = Alot(
        base_url="http://127.0.0.1:9000/api-root",
        api_token="access-from-argument",
        timeout=1,
        max_retries=0,
    )
    assert explicit._url("/api/lots") == httpx.URL("http://127.0.0.1:9000/api-root/api/lots")
    assert explicit.access_token == "access-from-argument"
    assert (explicit.timeout, explicit.max_retries) == (httpx.Timeout(1), 0)
    client.close()
    explicit.close()


def test_defaults_and_bad_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALOT_BASE_URL", "ALOT_API_TOKEN", "ALOT_TIMEOUT", "ALOT_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    client = Alot()
    assert str(client.base_url) == "http://127.0.0.1:8000/"
    assert client.access_token is None
    assert client.max_retries == 2
    assert "alot-sdk/" in client._default_headers["User-Agent"]
    monkeypatch.setenv("ALOT_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="ALOT_TIMEOUT"):
        Alot()
    monkeypatch.setenv("ALOT_TIMEOUT", "3")
    monkeypatch.setenv("ALOT_MAX_RETRIES", "-1")
    with pytest.raises(ValueError, match="max_retries"):
        Alot()
    client.close()


def test_money_is_integers_formatted_only_for_display() -> None:
    assert money.format_money(123_456) == "$1,234.56"
    assert money.format_money(-5) == "-$0.05"
    assert money.format_money(150_000, "CHF") == "1,500.00 CHF"
    assert money.format_money(1234, "JPY") == "1,234 JPY"
    assert money.format_minor_units(1250) == "12.50"
    assert money.to_minor_units("12.34") == 1234
    assert money.to_minor_units(Decimal("0.1")) == 10
    assert money.format_credits(1) == "1 credit"
    assert money.format_credits(1250) == "1,250 credits"
    assert money.credits_value_cents(250) == 250
    with pytest.raises(ValueError, match="finer"):
        money.to_minor_units("0.001")
    with pytest.raises(ValueError, match="not an amount"):
        money.to_minor_units("ten")
    with pytest.raises(TypeError, match="integers"):
        money.format_money(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency"):
        money.format_money(1, "XYZ")
