"""`Alot` and `AsyncAlot`: the two clients, mirrored method for method.

Both are configured the same way (arguments first, then `ALOT_*` environment
variables, then defaults), hold the same resources (`client.lots`, `client.entries`,
...) and follow the same request loop: send, refresh the session once on a 401, retry
by the rules in `_base_client`, raise by the tree in `errors`. They differ only in how
they send, sleep and lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from alot_sdk._base_client import BaseClient, M, Params, RequestSpec, cursor_of
from alot_sdk.checkpoints import CheckpointMemory
from alot_sdk.errors import (
    AlotError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    status_error,
)
from alot_sdk.models import SessionTokens
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources.admin import Admin, AsyncAdmin
from alot_sdk.resources.audit import AsyncAudit, Audit
from alot_sdk.resources.auth import AsyncAuth, Auth
from alot_sdk.resources.credits import AsyncCredits, Credits
from alot_sdk.resources.dev import AsyncDev, Dev
from alot_sdk.resources.entries import AsyncEntries, Entries
from alot_sdk.resources.fulfillment import AsyncFulfillment, Fulfillment
from alot_sdk.resources.hosts import AsyncHosts, Hosts
from alot_sdk.resources.images import AsyncImages, Images
from alot_sdk.resources.ledger import AsyncLedger, Ledger
from alot_sdk.resources.lots import AsyncLots, Lots
from alot_sdk.resources.notifications import AsyncNotifications, Notifications
from alot_sdk.resources.payouts import AsyncPayouts, Payouts
from alot_sdk.resources.play import AsyncPlay, Play
from alot_sdk.resources.refunds import AsyncRefunds, Refunds
from alot_sdk.resources.reveals import AsyncReveals, Reveals
from alot_sdk.resources.terms import AsyncTerms, Terms
from alot_sdk.resources.trivia import AsyncTrivia, Trivia
from alot_sdk.resources.users import AsyncUsers, Users

__all__ = ["Alot", "AsyncAlot"]

_log = logging.getLogger("alot_sdk")

NextParams = Callable[[Mapping[str, Any], Params], Params | None]


class Alot(BaseClient):
    """The synchronous ALOT! client. Thread-safe: share one across threads.

    Args:
        base_url: the platform's address (else `ALOT_BASE_URL`, else the local dev server).
        api_token: an access token to send (else `ALOT_API_TOKEN`); or call
            `client.auth.login(email, password)`.
        refresh_token: lets the client renew an expired access token by itself (else
            `ALOT_REFRESH_TOKEN`; login sets it).
        timeout: seconds, or an `httpx.Timeout` (else `ALOT_TIMEOUT`, else 30 s).
        max_retries: retries after a retryable failure (else `ALOT_MAX_RETRIES`, else 2).
        ledger_verifier_key: the pinned checkpoint key for `ledger.verify_inclusion`
            (else `ALOT_VERIFY_LEDGER_KEY`). Obtain it out of band, never from the
            server you are checking.
        default_headers: sent with every request.
        checkpoint_memory: what `ledger.cosigned_checkpoint` remembers of each ledger
            (a `CheckpointMemory`, e.g. on a file); default: a fresh one in memory.
        http_client: an `httpx.Client` to send with (its transport, proxies, ...);
            the caller closes it.
    """

    def __init__(
        self,
        *,
        base_url: str | httpx.URL | None = None,
        api_token: str | None = None,
        refresh_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        ledger_verifier_key: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        checkpoint_memory: CheckpointMemory | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_token=api_token,
            refresh_token=refresh_token,
            timeout=timeout,
            max_retries=max_retries,
            ledger_verifier_key=ledger_verifier_key,
            default_headers=default_headers,
            checkpoint_memory=checkpoint_memory,
        )
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(timeout=self.timeout)
        # One refresh at a time: a refresh token works once, and a second use of it
        # revokes the whole session.
        self._refresh_lock = threading.Lock()
        self.auth = Auth(self)
        self.users = Users(self)
        self.terms = Terms(self)
        self.lots = Lots(self)
        self.trivia = Trivia(self)
        self.entries = Entries(self)
        self.credits = Credits(self)
        self.reveals = Reveals(self)
        self.fulfillment = Fulfillment(self)
        self.hosts = Hosts(self)
        self.refunds = Refunds(self)
        self.images = Images(self)
        self.payouts = Payouts(self)
        self.notifications = Notifications(self)
        self.play = Play(self)
        self.ledger = Ledger(self)
        self.admin = Admin(self)
        self.audit = Audit(self)
        self.dev = Dev(self)

    def close(self) -> None:
        """Close the connection pool (not an `http_client` the caller passed in)."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the request loop ----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
        replay_safe: bool | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        spec = RequestSpec(
            method,
            path,
            params,
            json,
            files=files,
            idempotency_key=idempotency_key,
            authenticated=authenticated,
            replay_safe=replay_safe,
            stream=stream,
        )
        # Generated once, before the first attempt: every retry is the same request.
        key = spec.idempotency_key or (self._idempotency_key() if method == "POST" else None)
        attempt = 0
        refreshed = False
        while True:
            token = self._access_token if spec.authenticated else None
            request = self._http.build_request(
                spec.method,
                self._url(spec.path),
                params=spec.params,
                json=spec.json,
                files=spec.files,
                headers=self._request_headers(spec, token, key),
                timeout=self.timeout,
            )
            try:
                response = self._http.send(request, stream=spec.stream)
            except httpx.TransportError as error:
                if attempt < self.max_retries and self._may_resend(error, spec):
                    delay = self._retry_delay(attempt, None)
                    _log.info("%s %s failed (%r); retry in %.2fs", method, path, error, delay)
                    self._sleep(delay)
                    attempt += 1
                    continue
                if isinstance(error, httpx.TimeoutException):
                    raise APITimeoutError(request=request) from error
                raise APIConnectionError(
                    str(error) or type(error).__name__, request=request
                ) from error
            if response.is_success:
                return response
            response.read()
            response.close()
            if (
                response.status_code == 401
                and token is not None
                and not refreshed
                and self._refresh_after(token)
            ):
                refreshed = True
                continue
            if attempt < self.max_retries and self._should_retry(response):
                delay = self._retry_delay(attempt, response)
                _log.info(
                    "%s %s answered %s; retry in %.2fs", method, path, response.status_code, delay
                )
                self._sleep(delay)
                attempt += 1
                continue
            raise status_error(response)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    # -- the session ---------------------------------------------------------------

    def _refresh_after(self, rejected_token: str) -> bool:
        """After a 401 on `rejected_token`: renew the session once; may the call go again?"""
        with self._refresh_lock:
            if self._access_token != rejected_token:
                return self._access_token is not None  # another call refreshed meanwhile
            if self._refresh_token is None:
                return False
            self._refresh_locked()
            return True

    def _refresh(self) -> SessionTokens:
        with self._refresh_lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> SessionTokens:
        if self._refresh_token is None:
            raise AlotError("no refresh token: log in first")
        try:
            response = self._request(
                "POST",
                "/api/auth/refresh",
                json={"refresh_token": self._refresh_token},
                authenticated=False,
            )
        except AuthenticationError:
            self._forget_tokens()  # the session is over; a retry with it cannot succeed
            raise
        tokens = self._parse(response, SessionTokens)
        self._store_tokens(tokens)
        return tokens

    # -- typed helpers for resources -----------------------------------------------

    def _get_page(
        self, path: str, params: Params, model: type[M], items_key: str, next_params: NextParams
    ) -> SyncPage[M]:
        response = self._request("GET", path, params=params)
        items, data = self._page_data(response, model, items_key)
        return SyncPage(
            items,
            next_params(data, params),
            lambda following: self._get_page(path, following, model, items_key, next_params),
            cursor_of(data),
        )


class AsyncAlot(BaseClient):
    """The asynchronous ALOT! client, `Alot` method for method with `await`.

    Takes the same arguments as `Alot`; `http_client` is an `httpx.AsyncClient`.
    Safe to share between tasks of one event loop.
    """

    def __init__(
        self,
        *,
        base_url: str | httpx.URL | None = None,
        api_token: str | None = None,
        refresh_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        ledger_verifier_key: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        checkpoint_memory: CheckpointMemory | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_token=api_token,
            refresh_token=refresh_token,
            timeout=timeout,
            max_retries=max_retries,
            ledger_verifier_key=ledger_verifier_key,
            default_headers=default_headers,
            checkpoint_memory=checkpoint_memory,
        )
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout)
        # One refresh at a time: a refresh token works once, and a second use of it
        # revokes the whole session.
        self._refresh_lock = anyio.Lock()
        self.auth = AsyncAuth(self)
        self.users = AsyncUsers(self)
        self.terms = AsyncTerms(self)
        self.lots = AsyncLots(self)
        self.trivia = AsyncTrivia(self)
        self.entries = AsyncEntries(self)
        self.credits = AsyncCredits(self)
        self.reveals = AsyncReveals(self)
        self.fulfillment = AsyncFulfillment(self)
        self.hosts = AsyncHosts(self)
        self.refunds = AsyncRefunds(self)
        self.images = AsyncImages(self)
        self.payouts = AsyncPayouts(self)
        self.notifications = AsyncNotifications(self)
        self.play = AsyncPlay(self)
        self.ledger = AsyncLedger(self)
        self.admin = AsyncAdmin(self)
        self.audit = AsyncAudit(self)
        self.dev = AsyncDev(self)

    async def close(self) -> None:
        """Close the connection pool (not an `http_client` the caller passed in)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the request loop ----------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
        replay_safe: bool | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        spec = RequestSpec(
            method,
            path,
            params,
            json,
            files=files,
            idempotency_key=idempotency_key,
            authenticated=authenticated,
            replay_safe=replay_safe,
            stream=stream,
        )
        # Generated once, before the first attempt: every retry is the same request.
        key = spec.idempotency_key or (self._idempotency_key() if method == "POST" else None)
        attempt = 0
        refreshed = False
        while True:
            token = self._access_token if spec.authenticated else None
            request = self._http.build_request(
                spec.method,
                self._url(spec.path),
                params=spec.params,
                json=spec.json,
                files=spec.files,
                headers=self._request_headers(spec, token, key),
                timeout=self.timeout,
            )
            try:
                response = await self._http.send(request, stream=spec.stream)
            except httpx.TransportError as error:
                if attempt < self.max_retries and self._may_resend(error, spec):
                    delay = self._retry_delay(attempt, None)
                    _log.info("%s %s failed (%r); retry in %.2fs", method, path, error, delay)
                    await self._sleep(delay)
                    attempt += 1
                    continue
                if isinstance(error, httpx.TimeoutException):
                    raise APITimeoutError(request=request) from error
                raise APIConnectionError(
                    str(error) or type(error).__name__, request=request
                ) from error
            if response.is_success:
                return response
            await response.aread()
            await response.aclose()
            if (
                response.status_code == 401
                and token is not None
                and not refreshed
                and await self._refresh_after(token)
            ):
                refreshed = True
                continue
            if attempt < self.max_retries and self._should_retry(response):
                delay = self._retry_delay(attempt, response)
                _log.info(
                    "%s %s answered %s; retry in %.2fs", method, path, response.status_code, delay
                )
                await self._sleep(delay)
                attempt += 1
                continue
            raise status_error(response)

    async def _sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    # -- the session ---------------------------------------------------------------

    async def _refresh_after(self, rejected_token: str) -> bool:
        """After a 401 on `rejected_token`: renew the session once; may the call go again?"""
        async with self._refresh_lock:
            if self._access_token != rejected_token:
                return self._access_token is not None  # another call refreshed meanwhile
            if self._refresh_token is None:
                return False
            await self._refresh_locked()
            return True

    async def _refresh(self) -> SessionTokens:
        async with self._refresh_lock:
            return await self._refresh_locked()

    async def _refresh_locked(self) -> SessionTokens:
        if self._refresh_token is None:
            raise AlotError("no refresh token: log in first")
        try:
            response = await self._request(
                "POST",
                "/api/auth/refresh",
                json={"refresh_token": self._refresh_token},
                authenticated=False,
            )
        except AuthenticationError:
            self._forget_tokens()  # the session is over; a retry with it cannot succeed
            raise
        tokens = self._parse(response, SessionTokens)
        self._store_tokens(tokens)
        return tokens

    # -- typed helpers for resources -----------------------------------------------

    async def _get_page(
        self, path: str, params: Params, model: type[M], items_key: str, next_params: NextParams
    ) -> AsyncPage[M]:
        response = await self._request("GET", path, params=params)
        items, data = self._page_data(response, model, items_key)
        return AsyncPage(
            items,
            next_params(data, params),
            lambda following: self._get_page(path, following, model, items_key, next_params),
            cursor_of(data),
        )
