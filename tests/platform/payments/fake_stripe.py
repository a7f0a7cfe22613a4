"""A local fake of the few Stripe endpoints the platform calls, reached through the real
stripe library (``ALOT_STRIPE_API_BASE``).

It speaks Stripe's form-encoded API on 127.0.0.1 from a thread and models what matters
to us: Checkout Sessions (create, retrieve), payment intents (retrieve, with
``expand[]=latest_charge.balance_transaction``), charges and balance transactions
(retrieve; a charge's fee is 2.9% + 30 cents, and ``hold_balance_transactions`` keeps
new charges without one until ``publish_balance_transaction``, as Stripe sometimes
does), refunds (create, retrieve, list; ``refund_status = "pending"`` makes new refunds
pending until ``settle_refund``), the Bearer key, and idempotency keys exactly as Stripe
documents them:
the same key with the same parameters answers the first result again, the same key
with other parameters is a 400 ``idempotency_error``. Failures are injected per path
prefix: a ``500`` before anything happens (nothing stored), or a ``timeout`` after the
work is done and stored (the answer arrives too late; a retry with the same key gets
the stored one). ``pay`` and ``expire`` stand for the buyer at the hosted page and
return the events Stripe would send.

Connect: Express accounts (create, retrieve; new ones are not onboarded until
``complete_onboarding``, which returns Stripe's ``account.updated`` event), account
links, and transfers (create, retrieve, list with ``created[gte]`` and pagination). A
transfer to an account that cannot receive one is refused (400, as Stripe does), and
``refuse_transfers`` refuses every new one with a given message (an account disabled
at Stripe).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_fake_alot"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in itertools.pairwise(parts):
            container: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = container
                node = node[index]
            else:
                node = node.setdefault(part, container)
        last = parts[-1]
        if isinstance(node, list):
            node.append(value)
        else:
            node[last] = value
    return root


@dataclass
class _Failure:
    path_prefix: str
    kind: str  # "500" or "timeout"
    remaining: int


@dataclass
class FakeStripe:
    """The fake's state; ``url`` is its api_base once started."""

    url: str = ""
    timeout_delay: float = 3.0
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    balance_transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    hold_balance_transactions: bool = False
    """New charges get no balance transaction until ``publish_balance_transaction``."""
    refund_status: str = "succeeded"
    """The status of new refunds (``pending``: until ``settle_refund``)."""
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    account_links: list[dict[str, Any]] = field(default_factory=list)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse_transfers: str | None = None
    """When set, every new transfer is refused (400) with this message."""
    verification_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Stripe Identity's verification sessions, by id."""
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    """Every request received: (method, path, Idempotency-Key)."""
    on_request: Callable[[str, str], None] | None = None
    """Called with (method, path) as each request arrives, before it is handled: what
    a test wants to observe while the platform waits for Stripe."""
    _idempotent: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- what tests arrange --------------------------------------------------------------

    def fail(self, path_prefix: str, kind: str, times: int = 1) -> None:
        """The next ``times`` requests under ``path_prefix`` fail as ``kind``."""
        assert kind in ("500", "timeout")
        with self._lock:
            self._failures.append(_Failure(path_prefix, kind, times))

    def recover(self) -> None:
        """Stripe is back: no request fails any more."""
        with self._lock:
            self._failures.clear()

    def created(self, path: str) -> int:
        """How many distinct objects POSTs to ``path`` created (replays excluded)."""
        store = {
            "/v1/checkout/sessions": self.sessions,
            "/v1/refunds": self.refunds,
            "/v1/accounts": self.accounts,
            "/v1/transfers": self.transfers,
            "/v1/identity/verification_sessions": self.verification_sessions,
        }[path]
        return len(store)

    def pay(self, session_id: str) -> list[dict[str, Any]]:
        """The buyer pays at the hosted page: the session completes, its intent succeeds.

        Returns Stripe's events for it, in the order Stripe usually sends them.
        """
        with self._lock:
            session = self.sessions[session_id]
            intent_id = self._id("pi")
            charge_id = self._id("ch")
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "amount_received": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "latest_charge": charge_id,
                "metadata": dict(session["payment_intent_metadata"]),
            }
            self.intents[intent_id] = intent
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "payment_intent": intent_id,
                "status": "succeeded",
                "paid": True,
                "balance_transaction": None,
                "metadata": dict(session["payment_intent_metadata"]),
            }
            if not self.hold_balance_transactions:
                self._add_balance_transaction(charge_id)
            session.update(status="complete", payment_status="paid", payment_intent=intent_id)
            session_view = self._public_session(session)
        return [
            self.event("payment_intent.succeeded", intent),
            self.event("checkout.session.completed", session_view),
        ]

    def complete_onboarding(self, account_id: str, *, enabled: bool = True) -> dict[str, Any]:
        """The host finishes (or Stripe disables) onboarding: ``account.updated``."""
        with self._lock:
            account = self.accounts[account_id]
            account.update(
                details_submitted=enabled, charges_enabled=enabled, payouts_enabled=enabled
            )
            account["capabilities"] = {"transfers": "active" if enabled else "inactive"}
            view = json.loads(json.dumps(account))
        return self.event("account.updated", view)

    def forget_idempotency_keys(self) -> None:
        """A day passed: Stripe no longer remembers the keys it was sent."""
        with self._lock:
            self._idempotent.clear()

    def create_transfer_outside(self, destination: str, amount: int) -> str:
        """A transfer someone made in Stripe's dashboard, not through the platform."""
        with self._lock:
            status, answer = self._create_transfer(
                {"amount": str(amount), "currency": "usd", "destination": destination}
            )
            assert status == 200, answer
            return str(answer["id"])

    @staticmethod
    def fee_of(amount: int) -> int:
        """Stripe's standard card fee in the US: 2.9% + 30 cents, rounded half up."""
        return (amount * 29 + 500) // 1000 + 30

    def publish_balance_transaction(self, charge_id: str) -> str:
        """Stripe publishes a held charge's balance transaction (with its fee)."""
        with self._lock:
            return self._add_balance_transaction(charge_id)

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> None:
        """A pending refund completes (or fails) at Stripe."""
        with self._lock:
            self.refunds[refund_id]["status"] = status

    def _add_balance_transaction(self, charge_id: str) -> str:
        charge = self.charges[charge_id]
        fee = self.fee_of(int(charge["amount"]))
        balance_id = self._id("txn")
        self.balance_transactions[balance_id] = {
            "id": balance_id,
            "object": "balance_transaction",
            "amount": charge["amount"],
            "currency": charge["currency"],
            "fee": fee,
            "fee_details": [{"amount": fee, "currency": charge["currency"], "type": "stripe_fee"}],
            "net": int(charge["amount"]) - fee,
            "source": charge_id,
            "status": "pending",
            "type": "charge",
        }
        charge["balance_transaction"] = balance_id
        return balance_id

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            view = self._public_session(session)
        return self.event("checkout.session.expired", view)

    def charge_refunded_event(self, intent_id: str) -> dict[str, Any]:
        with self._lock:
            intent = self.intents[intent_id]
            refunded = sum(
                r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent_id
            )
            charge = {
                "id": intent["latest_charge"],
                "object": "charge",
                "amount": intent["amount_received"],
                "amount_refunded": refunded,
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "refunded": refunded >= intent["amount_received"],
                "metadata": dict(intent["metadata"]),
            }
        return self.event("charge.refunded", charge)

    def dispute_event(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        dispute = {
            "id": self._id("dp"),
            "object": "dispute",
            "amount": intent["amount_received"],
            "currency": intent["currency"],
            "charge": intent["latest_charge"],
            "payment_intent": intent_id,
            "reason": "fraudulent",
            "status": "needs_response",
        }
        return self.event("charge.dispute.created", dispute)

    def identity_outcome(self, session_id: str, status: str = "verified") -> dict[str, Any]:
        """The player finished (``verified``) or failed (``requires_input``) a Stripe
        Identity check: its event, to deliver."""
        session = self.verification_sessions[session_id]
        session["status"] = status
        return self.event(f"identity.verification_session.{status}", session)

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], float]:
        """One API request: (status, JSON body, seconds to wait before answering)."""
        key = headers.get("idempotency-key")
        with self._lock:
            self.requests.append((method, path, key))
        if self.on_request is not None:
            self.on_request(method, path)
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return 401, _error("invalid_request_error", "Invalid API Key provided"), 0
        failure = self._take_failure(path)
        if failure == "500":
            return 500, _error("api_error", "injected server error"), 0
        delay = self.timeout_delay if failure == "timeout" else 0.0
        pairs = parse_qsl(body if method == "POST" else query, keep_blank_values=True)
        params = decode_form(pairs)
        fingerprint = hashlib.sha256(json.dumps([method, path, sorted(pairs)]).encode()).hexdigest()
        with self._lock:
            if method == "POST" and key:
                stored = self._idempotent.get(key)
                if stored is not None:
                    if stored[0] != fingerprint:
                        return (
                            400,
                            _error(
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with.",
                            ),
                            0,
                        )
                    return stored[1], stored[2], delay
            status, answer = self._route(method, path, params)
            if method == "POST" and key and status < 500:
                self._idempotent[key] = (fingerprint, status, answer)
        return status, answer, delay

    def _take_failure(self, path: str) -> str | None:
        with self._lock:
            for failure in self._failures:
                if path.startswith(failure.path_prefix) and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure.kind
        return None

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            session = self.sessions.get(parts[3])
            if session is None:
                return 404, _error("invalid_request_error", f"No such session: {parts[3]}")
            return 200, self._public_session(session)
        if method == "GET" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            intent = self.intents.get(parts[2])
            if intent is None:
                return 404, _error("invalid_request_error", f"No such payment_intent: {parts[2]}")
            return 200, self._expanded(intent, _expansions(params))
        if method == "GET" and parts[:2] == ["v1", "charges"] and len(parts) == 3:
            charge = self.charges.get(parts[2])
            if charge is None:
                return 404, _error("invalid_request_error", f"No such charge: {parts[2]}")
            return 200, self._expanded(charge, _expansions(params))
        if method == "GET" and parts[:2] == ["v1", "balance_transactions"] and len(parts) == 3:
            balance = self.balance_transactions.get(parts[2])
            if balance is None:
                return 404, _error("invalid_request_error", f"No such balance: {parts[2]}")
            return 200, balance
        if method == "GET" and parts[:2] == ["v1", "refunds"] and len(parts) == 3:
            refund = self.refunds.get(parts[2])
            if refund is None:
                return 404, _error("invalid_request_error", f"No such refund: {parts[2]}")
            return 200, refund
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "GET" and path == "/v1/refunds":
            wanted = params.get("payment_intent")
            data = [r for r in self.refunds.values() if r["payment_intent"] == wanted]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        if method == "POST" and path == "/v1/accounts":
            return self._create_account(params)
        if method == "GET" and parts[:2] == ["v1", "accounts"] and len(parts) == 3:
            account = self.accounts.get(parts[2])
            if account is None:
                return 404, _error("invalid_request_error", f"No such account: {parts[2]}")
            return 200, account
        if method == "POST" and path == "/v1/account_links":
            account_id = params.get("account", "")
            if account_id not in self.accounts or params.get("type") != "account_onboarding":
                return 400, _error("invalid_request_error", "No such account or bad link type")
            if not params.get("refresh_url") or not params.get("return_url"):
                return 400, _error("invalid_request_error", "refresh_url and return_url needed")
            link = {
                "object": "account_link",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 300,
                "url": f"https://connect.stripe.test/setup/e/{account_id}/{uuid.uuid4().hex}",
                "return_url": params["return_url"],
                "refresh_url": params["refresh_url"],
            }
            self.account_links.append(link)
            return 200, {k: v for k, v in link.items() if k not in ("return_url", "refresh_url")}
        if method == "POST" and path == "/v1/identity/verification_sessions":
            return self._create_verification_session(params)
        if method == "POST" and path == "/v1/transfers":
            return self._create_transfer(params)
        if method == "GET" and parts[:2] == ["v1", "transfers"] and len(parts) == 3:
            transfer = self.transfers.get(parts[2])
            if transfer is None:
                return 404, _error("invalid_request_error", f"No such transfer: {parts[2]}")
            return 200, transfer
        if method == "GET" and path == "/v1/transfers":
            return 200, self._list_transfers(params)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_verification_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("type") not in ("document", "id_number"):
            return 400, _error("invalid_request_error", "type must be document or id_number")
        session_id = self._id("vs")
        session = {
            "id": session_id,
            "object": "identity.verification_session",
            "type": params["type"],
            "status": "requires_input",
            "metadata": params.get("metadata", {}),
            "livemode": False,
            "url": f"https://verify.stripe.test/start/{session_id}",
            "return_url": params.get("return_url"),
        }
        self.verification_sessions[session_id] = session
        return 200, json.loads(json.dumps(session))

    def _create_account(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("type") not in ("express", "standard", "custom"):
            return 400, _error("invalid_request_error", "type must be express")
        account_id = self._id("acct")
        self.accounts[account_id] = {
            "id": account_id,
            "object": "account",
            "type": params["type"],
            "country": params.get("country", "US"),
            "details_submitted": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "capabilities": {"transfers": "inactive"},
            "metadata": params.get("metadata", {}),
        }
        return 200, self.accounts[account_id]

    def _create_transfer(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            amount = int(params["amount"])
            currency = str(params["currency"])
            destination = str(params["destination"])
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "amount, currency, destination needed")
        if amount <= 0:
            return 400, _error("invalid_request_error", "Invalid positive integer")
        if self.refuse_transfers is not None:
            return 400, _error("invalid_request_error", self.refuse_transfers)
        account = self.accounts.get(destination)
        if account is None:
            return 400, _error("invalid_request_error", f"No such destination: '{destination}'")
        if account["capabilities"].get("transfers") != "active":
            return 400, _error(
                "invalid_request_error",
                "Your destination account needs to have at least one of the following"
                " capabilities enabled: transfers, crypto_transfers, legacy_payments",
            )
        transfer = {
            "id": self._id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
            "reversed": False,
        }
        self.transfers[transfer["id"]] = transfer
        return 200, transfer

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        created = params.get("created")
        since = int(created["gte"]) if isinstance(created, dict) and "gte" in created else None
        group = params.get("transfer_group")
        rows = [
            t
            for t in self.transfers.values()
            if (since is None or t["created"] >= since)
            and (group is None or t["transfer_group"] == group)
        ]
        rows.reverse()  # newest first, as Stripe lists them
        after = params.get("starting_after")
        if after:
            ids = [t["id"] for t in rows]
            rows = rows[ids.index(after) + 1 :] if after in ids else []
        limit = int(params.get("limit", 10))
        return {
            "object": "list",
            "data": rows[:limit],
            "has_more": len(rows) > limit,
            "url": "/v1/transfers",
        }

    def _create_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            item = params["line_items"][0]
            amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
            currency = item["price_data"]["currency"]
            params["success_url"], params["cancel_url"]
        except (KeyError, IndexError, ValueError):
            return 400, _error("invalid_request_error", "missing line_items or return urls")
        session_id = self._id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "success_url": params["success_url"],
            "payment_intent_metadata": params.get("payment_intent_data", {}).get("metadata", {}),
        }
        self.sessions[session_id] = session
        return 200, self._public_session(session)

    def _create_refund(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 400, _error("invalid_request_error", "No such payment_intent")
        amount = int(params.get("amount", intent["amount_received"]))
        already = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if already + amount > intent["amount_received"]:
            return 400, _error(
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount",
            )
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": self.refund_status,
            "metadata": params.get("metadata", {}),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _expanded(self, obj: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
        """``obj`` with the references named by ``expand[]`` replaced by their objects."""
        view = json.loads(json.dumps(obj))
        stores = {
            "latest_charge": self.charges,
            "balance_transaction": self.balance_transactions,
        }
        for path in paths:
            node = view
            for name in path:
                if not isinstance(node, dict):
                    break
                ref = node.get(name)
                store = stores.get(name, {})
                if isinstance(ref, str) and ref in store:
                    node[name] = json.loads(json.dumps(store[ref]))
                node = node.get(name)
        return view

    def _public_session(self, session: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in session.items() if k != "payment_intent_metadata"}
        return json.loads(json.dumps(view))

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}{uuid.uuid4().hex[:12]}"


def _expansions(params: dict[str, Any]) -> list[list[str]]:
    expand = params.get("expand") or []
    if isinstance(expand, str):
        expand = [expand]
    return [str(path).split(".") for path in expand]


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer, delay = self.fake.handle(method, split.path, split.query, body, headers)
        if delay:
            time.sleep(delay)  # the answer arrives after the client gave up
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    """Start the fake on a free port of 127.0.0.1; stop it after."""
    fake = FakeStripe()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
