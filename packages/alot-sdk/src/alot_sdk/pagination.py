"""Pages of a list, and iteration over every item of every page.

A list method returns its first page. Iterating a page walks every item of the list,
fetching the following pages as it goes (`for lot in client.lots.list(): ...`;
`async for lot in await client.lots.list(): ...`). `iter_pages` walks page by page;
`has_next_page` / `get_next_page` step by hand.

Every list, the ledger's included, answers `{"items": [...], "next_cursor": "..."}`
and takes the cursor back as `?cursor=`; `page.next_cursor` is that opaque string (None
on the last page), so a caller can keep it and resume later with `list(cursor=...)`
(`ledger.transactions(cursor=...)`, `ledger.checkpoints(cursor=...)`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPage", "SyncPage"]

T = TypeVar("T")

Params = dict[str, Any]


class _Page(Generic[T]):
    def __init__(
        self, items: list[T], next_params: Params | None, next_cursor: str | None = None
    ) -> None:
        self.items = items
        self.next_cursor = next_cursor
        """The opaque cursor of the next page (None on the last page)."""
        self._next_params = next_params

    def has_next_page(self) -> bool:
        return self._next_params is not None and bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(items={len(self.items)}, more={self.has_next_page()})"


class SyncPage(_Page[T]):
    """One page of a list; iterate it for every item of the whole list."""

    def __init__(
        self,
        items: list[T],
        next_params: Params | None,
        fetch: Callable[[Params], SyncPage[T]],
        next_cursor: str | None = None,
    ) -> None:
        super().__init__(items, next_params, next_cursor)
        self._fetch = fetch

    def get_next_page(self) -> SyncPage[T]:
        if self._next_params is None or not self.items:
            raise LookupError("this is the last page")
        return self._fetch(self._next_params)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        page: SyncPage[T] = self
        yield page
        while page.has_next_page():
            page = page.get_next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items


class AsyncPage(_Page[T]):
    """One page of a list; `async for` over it for every item of the whole list."""

    def __init__(
        self,
        items: list[T],
        next_params: Params | None,
        fetch: Callable[[Params], Awaitable[AsyncPage[T]]],
        next_cursor: str | None = None,
    ) -> None:
        super().__init__(items, next_params, next_cursor)
        self._fetch = fetch

    async def get_next_page(self) -> AsyncPage[T]:
        if self._next_params is None or not self.items:
            raise LookupError("this is the last page")
        return await self._fetch(self._next_params)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page: AsyncPage[T] = self
        yield page
        while page.has_next_page():
            page = await page.get_next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item
