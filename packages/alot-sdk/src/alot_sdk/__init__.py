"""alot-sdk: the Python client for the ALOT! platform API.

```python
from alot_sdk import Alot

with Alot(base_url="https://alot.example") as client:
    client.auth.login("ada@example.com", "correct-horse-battery")
    for lot in client.lots.list(state="open"):
        print(lot.title, lot.funding.progress_percent)
```

`Alot` (sync) and `AsyncAlot` (async) offer the same resources with the same
methods: `auth`, `users`, `terms`, `lots`, `trivia`, `entries`, `credits`, `reveals`,
`refunds`, `images`, `notifications`, `play`, `ledger`, `admin` and `dev`. Errors are
described in `alot_sdk.errors`, money helpers in `alot_sdk.money`, response models in
`alot_sdk.models`, live events (`lots.watch`, `notifications.watch`) in `alot_sdk.live`,
remembered checkpoints (`ledger.cosigned_checkpoint`) in `alot_sdk.checkpoints`.
"""

from alot_sdk._client import Alot, AsyncAlot
from alot_sdk._version import __version__
from alot_sdk.checkpoints import CheckpointMemory
from alot_sdk.errors import (
    AlotError,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CheckpointMemoryError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    SplitViewError,
    UnprocessableEntityError,
)
from alot_sdk.live import AsyncLiveWatch, LiveError, LiveEvent, LiveWatch, Reconnect
from alot_sdk.money import (
    CREDITS_PER_TICKET,
    format_credits,
    format_minor_units,
    format_money,
    to_minor_units,
)
from alot_sdk.pagination import AsyncPage, SyncPage

__all__ = [
    "CREDITS_PER_TICKET",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "Alot",
    "AlotError",
    "AsyncAlot",
    "AsyncLiveWatch",
    "AsyncPage",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointMemory",
    "CheckpointMemoryError",
    "ConflictError",
    "InternalServerError",
    "LiveError",
    "LiveEvent",
    "LiveWatch",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "Reconnect",
    "SplitViewError",
    "SyncPage",
    "UnprocessableEntityError",
    "__version__",
    "format_credits",
    "format_minor_units",
    "format_money",
    "to_minor_units",
]
