"""Cached reads of lots (L1), their leaderboards and balances (L2) and settled draws (L3).

A lot's view is cached in two parts: the static part (``lot_read`` as built from the
database, under the lot's and the catalogue's versions) and the live record (status,
tickets sold, funding), written through by every purchase batch and state change
(invalidation.py). A read appends the live figures to the static part and computes
the time-dependent field (``seconds_left``) at answer time, so a hot lot's purchases
never invalidate its view or the lists it is on. List pages cache their ordered ids
only, under the lists' version (bumped when a lot changes state).

Views are kept and sent as JSON text: a hit parses only a line of metadata and the
live record, never the view itself.

Only what an anonymous caller may see is cached: admins, and lots an anonymous caller
may not see (created, private), always read the database, and every read checks the
lot's visibility (the cached view's, or the database's on a miss).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Response
from sqlalchemy.orm import Session

from alot_platform.cache import keys
from alot_platform.cache.invalidation import write_live
from alot_platform.cache.service import Cache, Entry
from alot_platform.context import PlatformContext
from alot_platform.credits.schemas import CreditsRead
from alot_platform.credits.service import CreditsService
from alot_platform.draws.schemas import draw_read
from alot_platform.draws.service import DrawNotDone, DrawService
from alot_platform.lots.models import Lot, LotStatus, Visibility
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.schemas import LeaderboardPage, LeaderboardRow, LotSort, lot_read
from alot_platform.lots.service import LotService, is_admin
from alot_platform.money import format_cents
from alot_platform.users.models import User

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_RUNNING = frozenset({LotStatus.CREATED.value, LotStatus.OPEN.value})
# The members of a lot's view that follow its live record and the clock: appended to
# the static part on every read.
_LIVE = ("funding", "tickets_sold", "odds_per_ticket", "seconds_left")


def dumps(value: Any) -> str:
    """JSON as FastAPI's JSONResponse writes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_body(text: str) -> Response:
    """A JSON response from a body already written (cached views are kept as text)."""
    return Response(text.encode(), media_type="application/json")


def _cacheable(lot: Lot) -> bool:
    """Whether anyone may see ``lot`` (an anonymous caller can): only those are cached."""
    return lot.status != LotStatus.CREATED and lot.visibility != Visibility.PRIVATE


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


class LotViews:
    """The public views of lots, as JSON text, from the cache when it holds them."""

    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._cache: Cache = platform.cache
        self._lots = LotService(session, platform)

    # -- one lot --------------------------------------------------------------------

    def detail(self, lot_id: uuid.UUID, viewer: User | None) -> str:
        """GET /api/lots/{id}'s body (404 for a lot ``viewer`` may not see)."""
        now = self._platform.clock()
        if is_admin(viewer) or not self._cache.usable:
            lot = self._lots.get_visible(lot_id, viewer)
            return dumps(_json(lot, now, admin=is_admin(viewer)))
        found = self._cached([lot_id], now)[0].get(lot_id)
        if found is not None:
            self._cache.hit("lot")
            return found
        self._cache.miss("lot")

        def load() -> str:
            _, versions = self._cached([lot_id], now)  # read before the database is
            lot = self._lots.get_visible(lot_id, viewer)
            if _cacheable(lot) and lot.id in versions:
                self._fill([lot], versions)
            return dumps(_json(lot, now, admin=False))

        return self._cache.single_flight(
            keys.lot_static(lot_id), lambda: self._cached([lot_id], now)[0].get(lot_id), load
        )

    def summary(self, lot_id: uuid.UUID, viewer: User | None) -> tuple[str, int]:
        """The status and tickets sold of a lot ``viewer`` may see (404 otherwise),
        from the cache when it holds the lot."""
        figures = self._live_figures(lot_id)
        if figures is not None:
            return figures
        lot = self._lots.get_visible(lot_id, viewer)
        return lot.status, lot.tickets_sold

    def _live_figures(self, lot_id: uuid.UUID) -> tuple[str, int] | None:
        found = self._cache.get_many(
            [keys.ALL, keys.lot_version(lot_id), keys.lot_static(lot_id), keys.lot_live(lot_id)]
        )
        if found is None:
            return None
        entry, live_raw = Entry.parse(found[2]), found[3]
        if entry is None or live_raw is None:
            return None
        if entry.meta["v"] != [found[0] or "", found[1] or ""]:
            return None
        live = json.loads(live_raw.split("|", 2)[2])
        if live["status"] != entry.meta["status"]:
            return None
        return str(live["status"]), int(live["tickets_sold"])

    def _cached(
        self, lot_ids: Sequence[uuid.UUID], now: datetime
    ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, list[str]]]:
        """The views of ``lot_ids`` the cache holds valid (static under its versions, a
        live record in the same state), live figures and time appended; and the
        current versions of each lot (none when the cache is off or failing), for a
        reader that misses to store what it loads next under."""
        wanted: list[str] = [keys.ALL]
        for lot_id in lot_ids:
            wanted += [keys.lot_version(lot_id), keys.lot_static(lot_id), keys.lot_live(lot_id)]
        found = self._cache.get_many(wanted)
        if found is None:
            return {}, {}
        catalogue = found[0] or ""
        now_us = _micros(now)
        views: dict[uuid.UUID, str] = {}
        versions: dict[uuid.UUID, list[str]] = {}
        for index, lot_id in enumerate(lot_ids):
            version, static_raw, live_raw = found[1 + 3 * index : 4 + 3 * index]
            versions[lot_id] = [catalogue, version or ""]
            entry = Entry.parse(static_raw)
            if entry is None or live_raw is None or entry.meta["v"] != versions[lot_id]:
                continue
            live = json.loads(live_raw.split("|", 2)[2])
            if live["status"] != entry.meta["status"]:
                continue  # the state moved on since this view was built
            if now_us >= entry.meta.get("due_us", now_us + 1):
                continue  # its state changes now, maybe in another process (the tick)
            views[lot_id] = entry.payload + _live_members(entry.meta, live, now_us)
        return views, versions

    def _fill(self, lots: Sequence[Lot], versions: dict[uuid.UUID, list[str]]) -> None:
        """Store ``lots``' static views under ``versions`` (read before the lots were
        loaded: a view built before a change and stored after it carries the old
        version and is never believed) and merge their live figures."""
        now = self._platform.clock()
        by_ttl: dict[int, dict[str, str]] = {}
        for lot in lots:
            view = _json(lot, now, admin=False)
            static = dumps({k: v for k, v in view.items() if k not in _LIVE})[:-1]
            text = Entry.text(
                versions[lot.id],
                static,
                status=lot.status,
                deadline_us=_micros(lot.deadline),
                target=lot.funding_target_cents,
                **_due(lot),
            )
            ttl = self._cache.history_ttl if lot.status in keys.FINAL else self._cache.lot_ttl
            by_ttl.setdefault(ttl, {})[keys.lot_static(lot.id)] = text
        for ttl, entries in by_ttl.items():
            self._cache.set_many(entries, ttl)
        for lot in lots:
            write_live(
                self._cache,
                lot.id,
                {
                    "status": lot.status,
                    "tickets_sold": lot.tickets_sold,
                    "cash_cents": lot.cash_cents,
                    "spent_credits": lot.credits_spent,
                },
                state_changed=False,
            )

    # -- lists ----------------------------------------------------------------------

    def page(
        self,
        viewer: User | None,
        *,
        statuses: Sequence[LotStatus],
        tier: str | None,
        category: str | None,
        ending_within_hours: int | None,
        min_progress_percent: int | None,
        search: str | None,
        sort: LotSort,
        cursor: str | None,
        limit: int,
    ) -> str:
        """GET /api/lots's body: the page's ids from the cache (or the database), each
        lot's view from the cache (or the database)."""
        now = self._platform.clock()

        def from_database() -> tuple[list[Lot], str | None]:
            return self._lots.discover(
                viewer,
                statuses=statuses,
                tier=tier,
                category=category,
                ending_within_hours=ending_within_hours,
                min_progress_percent=min_progress_percent,
                search=search,
                sort=sort,
                cursor=cursor,
                limit=limit,
            )

        admin = is_admin(viewer)
        if admin or not self._cache.usable:
            lots, next_cursor = from_database()
            items = [_json(lot, now, admin=admin) for lot in lots]
            return dumps({"items": items, "next_cursor": next_cursor})
        query = {
            "state": sorted(s.value for s in statuses),
            "tier": tier,
            "category": category.strip().lower() if category else None,
            "ending_soon": ending_within_hours,
            "min_progress": min_progress_percent,
            "q": search,
            "sort": sort,
            "cursor": cursor,
            "limit": limit,
        }
        # Pages whose order or membership follows live figures or the clock are kept
        # briefly; the figures on them are live all the same.
        ranked = (
            sort == "most_funded"
            or ending_within_hours is not None
            or min_progress_percent is not None
        )
        ttl = self._cache.ranked_list_ttl if ranked else self._cache.lot_ttl
        key = keys.lot_list(query)
        now_us = _micros(now)

        def cached() -> str | None:
            entry, _ = self._cache.get_entry(key, [keys.ALL, keys.LISTS])
            if entry is None or now_us >= entry.meta.get("due_us", now_us + 1):
                return None  # a lot on it changes state now: so may the page
            return self._compose(json.loads(entry.payload), now)

        found = cached()
        if found is not None:
            self._cache.hit("lot_list")
            return found
        self._cache.miss("lot_list")

        def load() -> str:
            _, versions = self._cache.get_entry(key, [keys.ALL, keys.LISTS])
            lots, next_cursor = from_database()
            if versions is not None:
                # The lots' views are stored by the next read (_compose), under versions
                # read before it loads them.
                ids = dumps({"ids": [str(lot.id) for lot in lots], "next_cursor": next_cursor})
                due = [d["due_us"] for d in map(_due, lots) if d]
                meta = {"due_us": min(due)} if due else {}
                self._cache.set_many({key: Entry.text(versions, ids, **meta)}, ttl)
            items = [_json(lot, now, admin=False) for lot in lots]
            return dumps({"items": items, "next_cursor": next_cursor})

        return self._cache.single_flight(key, cached, load)

    def _compose(self, page: dict[str, Any], now: datetime) -> str:
        lot_ids = [uuid.UUID(i) for i in page["ids"]]
        views, versions = self._cached(lot_ids, now)
        missing = [lot_id for lot_id in lot_ids if lot_id not in views]
        if missing:
            self._cache.miss("lot", len(missing))
            loaded = LotRepository(self._session).get_many(missing)
            self._fill([lot for lot in loaded if _cacheable(lot) and lot.id in versions], versions)
            views.update((lot.id, dumps(_json(lot, now, admin=False))) for lot in loaded)
        self._cache.hit("lot", len(lot_ids) - len(missing))
        # Lots are never deleted; one missing would be left out.
        items = ",".join(views[lot_id] for lot_id in lot_ids if lot_id in views)
        return f'{{"items":[{items}],"next_cursor":{dumps(page["next_cursor"])}}}'

    # -- leaderboards (L2) ----------------------------------------------------------

    def leaderboard(
        self, lot_id: uuid.UUID, viewer: User | None, *, cursor: str | None, limit: int
    ) -> str:
        """GET /api/lots/{id}/entries's body, cached under the lot's state and tickets
        sold (every purchase batch changes them)."""
        if is_admin(viewer) or not self._cache.usable:
            return self._leaderboard(self._lots.get_visible(lot_id, viewer), cursor, limit)
        status, tickets = self.summary(lot_id, viewer)  # 404 unless visible
        version = f"{status}:{tickets}"
        key = keys.leaderboard(lot_id, cursor, limit)

        def cached() -> str | None:
            entry, _ = self._cache.get_entry(key, [keys.ALL])
            if entry is None or entry.meta["version"] != version:
                return None
            return entry.payload

        found = cached()
        if found is not None:
            self._cache.hit("leaderboard")
            return found
        self._cache.miss("leaderboard")

        def load() -> str:
            _, versions = self._cache.get_entry(key, [keys.ALL])
            lot = self._lots.get_visible(lot_id, viewer)
            page = self._leaderboard(lot, cursor, limit)
            if versions is not None and _cacheable(lot):
                final = lot.status in keys.FINAL
                ttl = self._cache.history_ttl if final else self._cache.user_ttl
                text = Entry.text(versions, page, version=version)
                self._cache.set_many({key: text}, ttl)
            return page

        return self._cache.single_flight(key, cached, load)

    def _leaderboard(self, lot: Lot, cursor: str | None, limit: int) -> str:
        rows, next_cursor = self._lots.leaderboard(lot, cursor=cursor, limit=limit)
        page = LeaderboardPage(
            items=[
                LeaderboardRow(rank=rank, username=r.username, tickets=r.tickets, entries=r.entries)
                for rank, r in rows
            ],
            next_cursor=next_cursor,
        )
        return dumps(page.model_dump(mode="json"))

    # -- settled draws (L3) ---------------------------------------------------------

    def draw(self, lot_id: uuid.UUID, viewer: User | None) -> dict[str, Any]:
        """GET /api/lots/{id}/draw's body; a settled lot's never changes again."""
        return json.loads(self.draw_text(lot_id, viewer))  # type: ignore[no-any-return]

    def draw_text(self, lot_id: uuid.UUID, viewer: User | None) -> str:
        if is_admin(viewer) or not self._cache.usable:
            return self._draw(self._lots.get_visible(lot_id, viewer))
        status, _ = self.summary(lot_id, viewer)
        if status != LotStatus.SETTLED:
            return self._draw(self._lots.get_visible(lot_id, viewer))
        key = keys.draw(lot_id)

        def cached() -> str | None:
            entry, _ = self._cache.get_entry(key, [])
            return None if entry is None else entry.payload

        found = cached()
        if found is not None:
            self._cache.hit("draw")
            return found
        self._cache.miss("draw")

        def load() -> str:
            lot = self._lots.get_visible(lot_id, viewer)
            record = self._draw(lot)
            if lot.status == LotStatus.SETTLED and _cacheable(lot):
                self._cache.set_many({key: Entry.text([], record)}, self._cache.history_ttl)
            return record

        return self._cache.single_flight(key, cached, load)

    def proof(self, lot_id: uuid.UUID, viewer: User | None) -> str:
        record = self.draw(lot_id, viewer)
        if record["proof"] is None:
            raise DrawNotDone(f"lot {lot_id} is {record['lot_status']}; it has no draw proof yet")
        return dumps(record["proof"])

    def _draw(self, lot: Lot) -> str:
        record = DrawService(self._session, self._platform).record(lot)
        return dumps(draw_read(lot, record).model_dump(mode="json"))


def credit_balance(session: Session, platform: PlatformContext, user_id: uuid.UUID) -> str:
    """GET /api/users/me/credits's body (L2), invalidated by ``credits_changed``."""
    cache = platform.cache

    def from_database() -> str:
        account = CreditsService(session, platform.clock()).account(user_id)
        return dumps(CreditsRead.of(account).model_dump(mode="json"))

    key = keys.credits(user_id)
    found, versions = cache.get_entry(key, [keys.credits_version(user_id)])
    if versions is None:
        return from_database()
    if found is not None:
        cache.hit("balance")
        return found.payload
    cache.miss("balance")
    balance = from_database()
    cache.set_many({key: Entry.text(versions, balance)}, cache.user_ttl)
    return balance


def _due(lot: Lot) -> dict[str, int]:
    """When the lot's state changes by the clock (an open lot expires at its deadline;
    refunds close after the choice deadline): from then on its cached view is not
    believed, since the change may be made by a process whose events this cache does
    not hear (``alot tick`` beside an in-process cache)."""
    if lot.status == LotStatus.OPEN:
        return {"due_us": _micros(lot.deadline)}
    if lot.status == LotStatus.REFUNDING and lot.refund_choice_deadline is not None:
        return {"due_us": _micros(lot.refund_choice_deadline)}
    return {}


def _json(lot: Lot, now: datetime, *, admin: bool) -> dict[str, Any]:
    return lot_read(lot, now, show_product=admin).model_dump(mode="json")


def _live_members(meta: dict[str, Any], live: dict[str, Any], now_us: int) -> str:
    """The live members of a lot's view, closing the static part's JSON object: as
    ``lot_read`` computes them, from the live record and the time now."""
    tickets = live["tickets_sold"]
    cash, credits = live["cash_cents"], live["spent_credits"]
    funded = cash + credits
    target = meta["target"]
    progress = funded * 10_000 // target
    running = meta["status"] in _RUNNING
    seconds_left = max(0, int((meta["deadline_us"] - now_us) / 1_000_000)) if running else 0
    funding = {
        "target_cents": target,
        "target": format_cents(target),
        "funded_cents": funded,
        "funded": format_cents(funded),
        "cash_cents": cash,
        "spent_credits": credits,
        "progress_bps": progress,
        "progress_percent": format_cents(progress),
    }
    odds = f"1 in {tickets}" if tickets else None
    return (
        f',"funding":{dumps(funding)},"tickets_sold":{tickets},'
        f'"odds_per_ticket":{dumps(odds)},"seconds_left":{seconds_left}}}'
    )
