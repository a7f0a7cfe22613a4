"""Demo data for `make run`: an admin whose password is generated once and kept in
`<var_dir>/demo-admin.json`, so every run prints the same working credentials, and a
few open demo lots (with their trivia answers, so one can play them end to end)."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.lots.models import DrawAlgorithm, LotType, Tier
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.schemas import EntryBundle, LotCreate, ProductClassCreate
from alot_platform.lots.service import LotService
from alot_platform.users.models import Role
from alot_platform.users.service import UserService

DEMO_ADMIN_EMAIL = "admin@alot.example.com"
DEMO_ADMIN_USERNAME = "admin"
DEMO_LOT_DAYS = 14


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    username: str
    password: str


@dataclass(frozen=True)
class DemoLot:
    id: uuid.UUID
    title: str
    question: str
    answer: str
    created: bool


def demo_credentials(platform: PlatformContext) -> DemoCredentials:
    path = platform.settings.var_dir / "demo-admin.json"
    if path.exists():
        return DemoCredentials(**json.loads(path.read_text()))
    credentials = DemoCredentials(
        DEMO_ADMIN_EMAIL, DEMO_ADMIN_USERNAME, "demo-" + secrets.token_urlsafe(12)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(credentials), handle)
    return credentials


def ensure_demo_admin(platform: PlatformContext) -> tuple[DemoCredentials, bool]:
    """Create the demo admin unless it exists; return its credentials and whether it was new."""
    credentials = demo_credentials(platform)
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        if users.get_by_email(credentials.email) is not None:
            return credentials, False
        users.create(
            email=credentials.email,
            username=credentials.username,
            hashed_password=platform.hasher.hash(credentials.password),
            date_of_birth=date(1990, 1, 1),
            full_name="Demo Admin",
            roles=(Role.PLAYER, Role.ADMIN),
            verified_email=True,
        )
    return credentials, True


_PRODUCTS: list[dict[str, Any]] = [
    {
        "name": "Rolex Submariner Date 126610LN",
        "brand": "Rolex",
        "category": "watch",
        "tier": Tier.GRAIL,
        "retail_value_cents": 1_450_000,
        "description": "Oystersteel, black Cerachrom bezel, 41 mm.",
        "specifications": {"case_mm": 41, "movement": "3235", "water_resistance_m": 300},
    },
    {
        "name": "Hermès Birkin 25 Togo Gold",
        "brand": "Hermès",
        "category": "bag",
        "tier": Tier.MYTHIC,
        "retail_value_cents": 2_800_000,
        "description": "Togo leather, gold hardware.",
        "specifications": {"size_cm": 25, "leather": "Togo"},
    },
    {
        "name": "1986 Fleer Michael Jordan #57 (PSA 8)",
        "brand": "Fleer",
        "category": "memorabilia",
        "tier": Tier.RARE,
        "retail_value_cents": 350_000,
        "description": "Rookie card, graded PSA 8.",
        "specifications": {"grade": "PSA 8", "year": 1986},
    },
]

# (product index, lot fields): the last one is small, so one player can fund it alone.
_LOTS: list[tuple[int, dict[str, Any]]] = [
    (
        0,
        {
            "title": "The diver's grail",
            "funding_target_cents": 2_500_000,
            "entry_bundles": [
                EntryBundle(price_cents=200, tickets=1),
                EntryBundle(price_cents=900, tickets=5),
            ],
            "trivia_question": "Which Swiss watchmaker's logo is a five-pointed crown?",
            "trivia_answer": "Rolex",
            "draw_algorithm": DrawAlgorithm.V2,
        },
    ),
    (
        1,
        {
            "title": "A mystery MYTHIC",
            "lot_type": LotType.MYSTERY,
            "funding_target_cents": 4_000_000,
            "entry_bundles": [
                EntryBundle(price_cents=500, tickets=1),
                EntryBundle(price_cents=2000, tickets=5),
            ],
            "trivia_question": "In which city is the Eiffel Tower?",
            "trivia_answer": "Paris",
            "draw_algorithm": DrawAlgorithm.V2,
            "non_winner_credit_rate_percent": 15,
        },
    ),
    (
        2,
        {
            "title": "Rookie card quick draw",
            "funding_target_cents": 1_000,
            "entry_bundles": [
                EntryBundle(price_cents=200, tickets=1),
                EntryBundle(price_cents=500, tickets=3),
            ],
            "trivia_question": "How many players does a basketball team have on court?",
            "trivia_answer": "5",
            "draw_algorithm": DrawAlgorithm.V1,
        },
    ),
]


def ensure_demo_lots(platform: PlatformContext) -> list[DemoLot]:
    """Create the demo catalogue once, and open each demo lot unless one is open already.

    Re-running after a demo lot funded or expired opens a fresh one, so the demo can be
    played through again.
    """
    credentials = demo_credentials(platform)
    found: list[DemoLot] = []
    with contextmanager(unit_of_work)(platform.database) as session:
        admin = UserService(session, platform).get_by_email(credentials.email)
        if admin is None:
            raise RuntimeError("create the demo admin first (ensure_demo_admin)")
        repository = LotRepository(session)
        service = LotService(session, platform)
        products = [
            repository.get_product_class_by_name(spec["name"])
            or service.create_product_class(ProductClassCreate(**spec))
            for spec in _PRODUCTS
        ]
        deadline = platform.clock() + timedelta(days=DEMO_LOT_DAYS)
        for product_index, spec in _LOTS:
            existing = repository.open_lot_titled(spec["title"])
            if existing is None:
                body = LotCreate(
                    product_class_id=products[product_index].id, deadline=deadline, **spec
                )
                lot = service.open(service.create(body, admin).id)
            else:
                lot = existing
            found.append(
                DemoLot(
                    lot.id,
                    lot.title,
                    spec["trivia_question"],
                    spec["trivia_answer"],
                    existing is None,
                )
            )
    return found


QUICK_DRAW_TITLE = "Rookie card quick draw"  # one player funds it with two $5 bundles
WALKTHROUGH_HEADER = (
    "  Play the quick draw from a shell at the repository root (curl and python3;"
    " the server above must be running):"
)
_PASSWORD = "paste-and-play-42"  # noqa: S105 (the walkthrough's throwaway player)
_JSON = "-H 'Content-Type: application/json'"


def _pick(field: str) -> str:
    """A shell filter printing one field of a JSON object read on stdin."""
    return f"python3 -c 'import json,sys; print(json.load(sys.stdin)[\"{field}\"])'"


def newcomer_walkthrough(base: str, dev_secret: str | None, demo_lots: list[DemoLot]) -> list[str]:
    """Shell lines taking a newcomer through the product's loop on the quick-draw lot.

    register -> verify (the link from the dev mailbox, opened with this run's dev secret)
    -> log in -> trivia -> buy until funded (the funding purchase draws the lot) ->
    ``alot-verify draw`` on the proof. ``tests/platform/test_newcomer_loop.py`` runs them.
    """
    lot = next((lot for lot in demo_lots if lot.title == QUICK_DRAW_TITLE), None)
    if lot is None:
        return []
    secret = dev_secret if dev_secret is not None else "<the dev secret in the make run banner>"
    auth = '-H "Authorization: Bearer $ACCESS"'
    return [
        f"export ALOT={base} DEV_SECRET={secret} LOT={lot.id}",
        "ME=newcomer$(date +%s)   # a fresh username each time you paste",
        "# 1. register (the answer is 202 whatever happens: no account enumeration)",
        f'curl -sS -X POST "$ALOT/api/auth/register" {_JSON} -d \'{{"email": "\'$ME\'@example.com",'
        f' "username": "\'$ME\'", "password": "{_PASSWORD}", "date_of_birth": "1990-01-01"}}\''
        "; echo",
        "# 2. verify: the confirmation email lands in the dev mailbox just after the 202"
        " (this run's secret opens it)",
        'until TOKEN=$(curl -sS "$ALOT/api/dev/mailbox?to=$ME@example.com"'
        ' -H "X-Dev-Secret: $DEV_SECRET"'
        " | grep -o 'ey[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*' | tail -n 1);"
        ' [ -n "$TOKEN" ]; do sleep 0.5; done',
        f'curl -sS -X POST "$ALOT/api/auth/verify-email" {_JSON}'
        " -d '{\"token\": \"'$TOKEN'\"}'; echo",
        f'ACCESS=$(curl -sS -X POST "$ALOT/api/auth/login" {_JSON}'
        f' -d \'{{"email": "\'$ME\'@example.com", "password": "{_PASSWORD}"}}\''
        f" | {_pick('access_token')})",
        f"# 3. trivia: {lot.question} ({lot.answer})",
        f'curl -sS -X POST "$ALOT/api/lots/$LOT/trivia/attempt" {auth} {_JSON}'
        f' -d \'{{"answer": "{lot.answer}"}}\'; echo',
        "# 4. buy the $5 bundle twice (the Idempotency-Key makes a retry safe): the second"
        " purchase funds the $10 lot, which then draws",
        'for n in 1 2; do curl -sS -X POST "$ALOT/api/lots/$LOT/entries/purchase"'
        f' {auth} -H "Idempotency-Key: $ME-$n" {_JSON} -d \'{{"bundle_index": 1}}\'; echo; done',
        "# 5. the draw: wait for its proof",
        'until curl -sf "$ALOT/api/lots/$LOT/draw/proof" >/dev/null; do sleep 1; done',
        'curl -sS "$ALOT/api/lots/$LOT/draw"; echo',
        "# 6. check the draw on your own machine, without trusting the server",
        '.venv/bin/alot-verify draw "$ALOT/api/lots/$LOT/draw/proof"',
    ]
