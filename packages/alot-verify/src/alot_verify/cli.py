"""The `alot-verify` command line: a thin layer over the library.

Each command prints one ``OK: ...`` or ``FAIL: ...`` line per check (or one JSON document
with ``--json``) and exits 0 when everything verified, 1 when any check failed, and 2
when the input could not be read or the command was used wrongly. Heavy imports happen
inside the commands so that start-up stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from alot_verify import __version__
from alot_verify.errors import DrawVerificationError, InputError

if TYPE_CHECKING:
    from alot_verify.beacon import DrandChain

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass
class Report:
    """What one command checked: named results, printed as OK/FAIL lines or JSON."""

    command: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def ok(self, check: str, message: str) -> None:
        self.checks.append({"check": check, "ok": True, "message": message})

    def fail(self, check: str, message: str) -> None:
        self.checks.append({"check": check, "ok": False, "message": message})

    def note(self, message: str) -> None:
        """Something the reader must know that is neither a pass nor a failure."""
        self.notes.append(message)

    @property
    def passed(self) -> bool:
        return all(c["ok"] for c in self.checks)


@dataclass
class Options:
    json_output: bool
    verbose: bool
    token: str | None = None


def emit(ctx: click.Context, report: Report) -> NoReturn:
    """Print the report in the chosen format and exit 0 (all OK) or 1 (any FAIL)."""
    options: Options = ctx.obj
    if options.json_output:
        document = {
            "command": report.command,
            "verified": report.passed,
            "checks": report.checks,
            **({"notes": report.notes} if report.notes else {}),
            **report.details,
        }
        click.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        for check in report.checks:
            prefix = "OK" if check["ok"] else "FAIL"
            click.echo(f"{prefix}: {check['message']}")
        for note in report.notes:
            click.echo(f"NOTE: {note}")
    ctx.exit(EXIT_OK if report.passed else EXIT_FAILED)


def usage_error(ctx: click.Context, message: str) -> NoReturn:
    """Report unreadable input or wrong usage and exit 2."""
    options: Options | None = ctx.obj
    if options is not None and options.json_output:
        click.echo(json.dumps({"verified": False, "error": message}, indent=2))
    click.echo(f"error: {message}", err=True)
    ctx.exit(EXIT_USAGE)


@contextmanager
def input_errors(ctx: click.Context) -> Iterator[None]:
    """Turn InputError and unreadable files into exit 2 (a traceback only with --verbose)."""
    try:
        yield
    except (InputError, OSError, UnicodeDecodeError) as exc:
        if ctx.obj is not None and ctx.obj.verbose:
            import traceback

            traceback.print_exc()
        usage_error(ctx, str(exc))


def _auth_headers() -> dict[str, str]:
    """The bearer token given with --token (or ALOT_TOKEN), for the URLs that need one."""
    ctx = click.get_current_context(silent=True)
    options = ctx.find_object(Options) if ctx is not None else None
    token = options.token if options is not None else None
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refused(response: Any, source: str) -> InputError | None:
    """A clear message for a 401/403: which token is missing or not enough."""
    if response.status_code not in (401, 403):
        return None
    detail = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            detail = str(json.loads(response.content).get("detail") or "")
        except (ValueError, AttributeError):
            detail = ""
    said = f" (the server says: {detail})" if detail else ""
    if response.status_code == 401:
        message = (
            f"the server needs a token for this URL (401){said}; pass --token TOKEN or set "
            "ALOT_TOKEN to an access token of an account with the auditor role"
        )
    else:
        message = (
            f"the token may not read this URL (403){said}; it needs the auditor (or admin) "
            "role, or the operator must publish the ledger (ALOT_LEDGER_PUBLIC=1)"
        )
    return InputError(message, where=source)


def read_source(source: str, *, binary: bool = False) -> Any:
    """Read a whole input named on the command line: a path, ``-`` (stdin) or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(
                source, timeout=30.0, follow_redirects=True, headers=_auth_headers()
            )
            refused = _refused(response, source)
            if refused is not None:
                raise refused
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise InputError(f"could not fetch: {exc}", where=source) from exc
        return response.content if binary else response.text
    if source == "-":
        stream: IO[Any] = sys.stdin.buffer if binary else sys.stdin
        return stream.read()
    if binary:
        with open(source, "rb") as binary_handle:
            return binary_handle.read()
    with open(source, encoding="utf-8") as text_handle:
        return text_handle.read()


def load_json(source: str) -> Any:
    """Read and parse one JSON document; malformed JSON is an InputError naming the line."""
    text = read_source(source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where=source
        ) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alot-verify")
@click.option("--json", "json_output", is_flag=True, help="Print one JSON document.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks for unreadable input.")
@click.option(
    "--token",
    metavar="TOKEN",
    envvar="ALOT_TOKEN",
    help="Bearer token sent with every URL read (env ALOT_TOKEN), for the ledger routes "
    "that need the auditor role.",
)
@click.pass_context
def cli(ctx: click.Context, json_output: bool, verbose: bool, token: str | None) -> None:
    """Verify ALOT! draws, ledger exports, Merkle proofs and checkpoints offline.

    Exit status: 0 verified, 1 a check failed, 2 usage error or unreadable input.
    """
    ctx.obj = Options(json_output=json_output, verbose=verbose, token=token or None)


def _set_token(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(Options).token = value


# Also accepted after the command name (`alot-verify ledger URL --token T`), where most
# people put it; the group's option (and ALOT_TOKEN) is the default.
token_option = click.option(
    "--token",
    metavar="TOKEN",
    expose_value=False,
    callback=_set_token,
    help="Bearer token for URLs that need one (default: env ALOT_TOKEN).",
)

chain_info_option = click.option(
    "--chain-info",
    "chain_info_sources",
    metavar="FILE",
    multiple=True,
    help="Pin a drand chain other than the League of Entropy's, from its /info JSON "
    "(a file, - or a URL); repeatable.",
)


def _pinned_chains(sources: tuple[str, ...]) -> dict[str, DrandChain]:
    """The chains pinned with --chain-info, by chain hash (bad info is an input error)."""
    from alot_verify.beacon import chain_from_info

    chains: dict[str, DrandChain] = {}
    for source in sources:
        chain = chain_from_info(load_json(source), where=f"--chain-info {source}")
        chains[chain.chain_hash] = chain
    return chains


# --- commands -------------------------------------------------------------------
# Each command parses its input inside `with input_errors(ctx):`, calls the library,
# fills a Report and ends with `emit(ctx, report)`. Library imports stay inside the
# command so that `alot-verify draw` starts fast.


def _draw_proof(document: Any, source: str) -> Any:
    """The proof itself, from either ``/draw/proof`` or the lot's ``/draw`` record.

    ``GET /api/lots/{id}/draw`` answers the draw's record (stage, ledger seqs, ...) with
    the proof in its ``proof`` member; the verifier checks that member exactly as
    ``/draw/proof`` serves it alone.
    """
    if isinstance(document, dict) and "stage" in document and "proof" in document:
        proof = document["proof"]
        if proof is None:
            raise InputError(
                f"lot {document.get('lot_id')} has no draw proof yet "
                f"(stage {document.get('stage')}, lot {document.get('lot_status')})",
                where=source,
            )
        return proof
    return document


@cli.command("draw")
@token_option
@click.argument("proof_source", metavar="PROOF")
@click.option(
    "--beacon-public-key",
    metavar="HEX",
    envvar="ALOT_VERIFY_BEACON_PUBLIC_KEY",
    help="Also require the beacon's chain to have this public key (hex).",
)
@chain_info_option
@click.option(
    "--ledger",
    "ledger_source",
    metavar="EXPORT",
    help="The ledger export (JSON Lines: file, - or URL): check the lot's draw memos "
    "(one freeze, seed revealed, beacon declared) and that the proof uses the frozen inputs.",
)
@click.option(
    "--cosigned",
    "cosigned_source",
    metavar="NOTE",
    help="A cosigned checkpoint covering the freeze (needs --ledger, --key, --witness): "
    "the witnesses' time must fall between funded_at and the beacon round.",
)
@click.option(
    "--key",
    "ledger_key",
    metavar="KEY",
    envvar="ALOT_VERIFY_LEDGER_KEY",
    help="The log's verifier key (or its file), for --cosigned.",
)
@click.option(
    "--witness",
    "witness_keys",
    metavar="VKEY",
    multiple=True,
    help="A pinned witness key (or its file), for --cosigned; repeatable.",
)
@click.option(
    "--quorum",
    type=int,
    default=None,
    help="How many pinned witnesses must have cosigned (default: all of them).",
)
@click.pass_context
def draw_command(
    ctx: click.Context,
    proof_source: str,
    beacon_public_key: str | None,
    chain_info_sources: tuple[str, ...],
    ledger_source: str | None,
    cosigned_source: str | None,
    ledger_key: str | None,
    witness_keys: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Verify a draw proof (alot-v1 or alot-v2) read from PROOF: a file, - or a URL.

    PROOF is a lot's /api/lots/{id}/draw/proof, or its /api/lots/{id}/draw record (whose
    `proof` member is checked). An alot-v2 beacon must be a round of a pinned drand
    chain (quicknet, default, or one given with --chain-info), signed by its key.

    With --ledger EXPORT the proof is also checked against the lot's memos in the ledger;
    with --cosigned, --key and --witness, that the frozen inputs were witnessed before the
    beacon round existed. Exit 0: every check passed; 1: a check failed; 2: bad input.
    """
    from alot_verify.draw import BEACON_DECLARED_NOTE, WINNER_HOLDER, WINNER_USER_ID, draw_checks

    report = Report(command="draw")
    with input_errors(ctx):
        if ledger_source is None and (cosigned_source or witness_keys or quorum is not None):
            raise InputError("--cosigned, --witness and --quorum need --ledger", where="usage")
        if cosigned_source is None and (witness_keys or quorum is not None):
            raise InputError("--witness and --quorum go with --cosigned", where="usage")
        if cosigned_source is not None and (ledger_key is None or not witness_keys):
            raise InputError("--cosigned needs --key and at least one --witness", where="usage")
        chains = _pinned_chains(chain_info_sources)
        key = None
        if beacon_public_key is not None:
            try:
                key = bytes.fromhex(beacon_public_key)
            except ValueError as exc:
                raise InputError("not hex", where="--beacon-public-key") from exc
        proof = _draw_proof(load_json(proof_source), proof_source)
        checks, unchecked = draw_checks(proof, chains=chains, beacon_public_key=key)
        purchases: list[dict[str, Any]] | None = None
        if ledger_source is not None:
            ledger_checks, ledger_lines, purchases = _draw_ledger_checks(
                proof,
                ledger_source,
                chains,
                cosigned_source,
                ledger_key,
                witness_keys,
                quorum,
            )
            checks += ledger_checks
            if any(c.name == "draw.beacon_declared" for c in ledger_checks):
                unchecked = [n for n in unchecked if n != BEACON_DECLARED_NOTE]
            for name, ok, message in ledger_lines:
                (report.ok if ok else report.fail)(name, message)
    for check in checks:
        if check.passed:
            report.ok(check.name, check.description)
        for failure in check.failures:
            report.fail(check.name, str(failure))
    draw_inputs = proof.get("draw_inputs") or {}
    report.details = {
        "algorithm": proof["algorithm"],
        "lot_id": proof.get("lot_id", draw_inputs.get("lot_id")),
        "winning_ticket": proof["winning_ticket"],
        # The winner as the proof names them: a pseudonymous proof has no user id at all.
        **{name: proof[name] for name in (WINNER_USER_ID, WINNER_HOLDER) if name in proof},
        "unchecked": unchecked,
    }
    if purchases is not None:
        # Each entry with the ledger seq and amount of its purchase: derived from the
        # export, not carried in the ticket map (whose format, and root, are unchanged).
        report.details["entries"] = purchases
    if unchecked:
        # Loud, but off stdout: stdout stays one OK/FAIL line per check for scripts
        # (and the --json document carries it in `notes` and `unchecked`).
        for note in unchecked:
            report.note(f"NOT CHECKED: {note}")
        if not ctx.obj.json_output:
            click.echo("!" * 72, err=True)
            for note in unchecked:
                click.echo(f"WARNING: NOT CHECKED: {note}", err=True)
            click.echo("!" * 72, err=True)
            report.notes = []
    emit(ctx, report)


def _draw_ledger_checks(
    proof: Any,
    ledger_source: str,
    chains: dict[str, Any],
    cosigned_source: str | None,
    ledger_key: str | None,
    witness_keys: tuple[str, ...],
    quorum: int | None,
) -> tuple[list[Any], list[tuple[str, bool, str]], list[dict[str, Any]]]:
    """The checks of ``draw --ledger``: (DrawChecks, plain (name, ok, message) lines, the
    proof's entries each with its purchase's seq and amount)."""
    from alot_verify.checkpoint import verify_checkpoint
    from alot_verify.cosignature import parse_witness_key, verify_cosignature
    from alot_verify.draw_ledger import (
        freeze_seq_of,
        ledger_draw_checks,
        proof_entries_with_purchases,
        proof_lot_id,
        witnessed_timing_checks,
    )
    from alot_verify.errors import CheckpointVerificationError
    from alot_verify.ledger import LedgerFailed, verify_ledger, verify_ledger_file

    lines: list[tuple[str, bool, str]] = []
    note: str | None = None
    checkpoint = None
    problems: list[str] = []
    cosignatures: list[tuple[str, int]] = []
    needed = 0
    if cosigned_source is not None:
        assert ledger_key is not None
        witnesses = []
        seen = set()
        for source in witness_keys:
            witness = parse_witness_key(_read_key(source))
            if (witness.name, witness.key_id) not in seen:  # a witness counts once
                seen.add((witness.name, witness.key_id))
                witnesses.append(witness)
        needed = len(witnesses) if quorum is None else quorum
        if not 1 <= needed <= len(witnesses):
            raise InputError(f"must be 1..{len(witnesses)}", where="--quorum")
        note = read_checkpoint(cosigned_source)
        try:
            checkpoint = verify_checkpoint(note, _read_key(ledger_key))
        except CheckpointVerificationError as exc:
            problems.append(f"not signed by the log: {exc}")
        for witness in witnesses:
            try:
                cosignature = verify_cosignature(note, witness)
            except CheckpointVerificationError:
                continue
            cosignatures.append((cosignature.witness, cosignature.timestamp))
    options: dict[str, Any] = {}
    if checkpoint is not None:
        options = {"signed_checkpoint": note, "verifier_key": _read_key(ledger_key or "")}
    failures: list[Any] = []
    try:
        if _is_local_file(ledger_source):
            summary = verify_ledger_file(ledger_source, **options)
        else:
            summary = verify_ledger(_export_lines(ledger_source), **options)
    except LedgerFailed as exc:
        summary, failures = exc.summary, exc.failures
    lot_id = proof_lot_id(proof)
    memos = summary.draw_memos.get(lot_id, [])
    # Draw rules of other lots are `alot-verify ledger`'s business; this lot's are below.
    own = [f for f in failures if not f.check.startswith("draw.") and f.check != "checkpoint"]
    problems += [f.message for f in failures if f.check == "checkpoint"]
    if own:
        for failure in own:
            lines.append(("ledger", False, f"ledger export: {failure}"))
    else:
        lines.append(
            (
                "ledger",
                True,
                f"ledger export verifies: {summary.transactions} transactions "
                "(hashes, links, balances)",
            )
        )
    checks = ledger_draw_checks(proof, memos)
    if cosigned_source is not None:
        checks += witnessed_timing_checks(
            proof,
            freeze_seq_of(memos),
            checkpoint_size=None if checkpoint is None else checkpoint.size,
            problems=problems,
            cosignatures=cosignatures,
            quorum=needed,
            chains=chains,
        )
    return checks, lines, proof_entries_with_purchases(proof, memos)


@cli.command("winner")
@token_option
@click.option(
    "--ledger", "ledger_source", metavar="EXPORT", required=True, help="The ledger export."
)
@click.option("--lot", "lot_id", metavar="LOT_ID", required=True, help="The lot's id.")
@click.option(
    "--beacon",
    "beacon_source",
    metavar="READING",
    help="drand's JSON for the frozen round (/<chain hash>/public/<round>); not for a "
    "beacon-less draw.",
)
@click.option(
    "--entries",
    "entries_source",
    metavar="FILE",
    help="The ticket map (a JSON array of entries, or a document with `entries`): it must "
    "hash to the frozen root; then the winner's holder is named too.",
)
@chain_info_option
@click.pass_context
def winner_command(
    ctx: click.Context,
    ledger_source: str,
    lot_id: str,
    beacon_source: str | None,
    entries_source: str | None,
    chain_info_sources: tuple[str, ...],
) -> None:
    """Compute a lot's winning ticket from its freeze memo in the ledger export alone.

    No withholding: the freeze reveals the server seed, so once the frozen drand round is
    public anyone computes the winner without the platform (and before it publishes).
    """
    from alot_verify.draw import _holders, _parse_entries, _winner_field, ticket_map_root
    from alot_verify.draw_ledger import (
        RULES,
        freeze_memos,
        ledger_entries,
        lot_rule_failures,
        winner_from_freeze,
    )
    from alot_verify.ledger import LedgerFailed, verify_ledger, verify_ledger_file

    report = Report(command="winner")
    with input_errors(ctx):
        chains = _pinned_chains(chain_info_sources)
        reading = None if beacon_source is None else load_json(beacon_source)
        try:
            if _is_local_file(ledger_source):
                summary = verify_ledger_file(ledger_source)
            else:
                summary = verify_ledger(_export_lines(ledger_source))
            failures: list[Any] = []
        except LedgerFailed as exc:
            summary, failures = exc.summary, exc.failures
        own = [f for f in failures if not f.check.startswith("draw.")]
        for failure in own:
            report.fail("ledger", f"ledger export: {failure}")
        if not own:
            report.ok("ledger", f"ledger export verifies: {summary.transactions} transactions")
        memos = summary.draw_memos.get(lot_id, [])
        for _, _, check, message in lot_rule_failures(lot_id, memos):
            report.fail(check, message)
        if any(not c["ok"] and c["check"].startswith("draw.") for c in report.checks):
            emit(ctx, report)  # e.g. two freezes: no one winner follows from the ledger
        for check, rule in RULES.items():
            report.ok(check, rule)
        try:
            result = winner_from_freeze(memos, reading, chains=chains)
        except DrawVerificationError as exc:
            for mismatch in exc.failures:
                report.fail("beacon", str(mismatch))
            emit(ctx, report)
        report.ok(
            "winning_ticket",
            f"winning ticket {result['winning_ticket']} of {result['total_tickets']}, computed "
            f"from the freeze memo at seq {result['freeze_seq']}"
            + (f" and drand round {result['beacon_round']}" if "beacon_round" in result else ""),
        )
        if entries_source is not None:
            document = load_json(entries_source)
            if isinstance(document, dict):
                document = document.get("entries")
            entries = _parse_entries(document, "entries")
            frozen = next(m for m in memos if m[1] == result["freeze_seq"])[3]["draw_inputs"]
            root = ticket_map_root(entries)
            if root != frozen.get("ticket_map_root"):
                report.fail(
                    "ticket_map_root",
                    f"the entries hash to {root}, not the frozen ticket_map_root "
                    f"{frozen.get('ticket_map_root')}",
                )
            else:
                holders = _holders(entries, result["winning_ticket"])
                name = _winner_field(entries)
                result[name] = holders[0] if len(holders) == 1 else None
                report.ok(
                    name,
                    f"the entries hash to the frozen root; ticket {result['winning_ticket']} "
                    f"is held by {_winner_words(name, result[name])}",
                )
        else:
            # The ticket map rebuilt from the lot's purchases before the freeze (the draw
            # rules above checked that it hashes to the frozen root).
            freeze = freeze_memos(memos)[0]
            rebuilt = ledger_entries(lot_id, freeze[1], memos)[0]
            held = [
                e for e in rebuilt if e.tickets_start <= result["winning_ticket"] <= e.tickets_end
            ]
            name = (
                "winner_holder"
                if any(e.holder is not None for e in rebuilt)
                else ("winner_user_id")
            )
            if len(held) == 1:
                result["winner_user_id"] = held[0].user_id
                if held[0].holder is not None:
                    # The export is the auditors': it ties the pseudonym to the user.
                    result["winner_holder"] = held[0].holder
                result["winner_purchase_seq"] = held[0].seq
                report.ok(
                    name,
                    f"ticket {result['winning_ticket']} is held by "
                    + (
                        f"winner holder {held[0].holder} (user {held[0].user_id})"
                        if held[0].holder is not None
                        else held[0].user_id
                    )
                    + f": {held[0].kind} at seq {held[0].seq} (the ticket map rebuilt from the "
                    "lot's purchases in the ledger)",
                )
            else:
                report.fail(
                    name,
                    f"ticket {result['winning_ticket']} is in {len(held)} purchases of the "
                    "lot before its freeze",
                )
    report.details = {"lot_id": lot_id, **result}
    emit(ctx, report)


def _winner_words(name: str, winner: str | None) -> str:
    return f"winner holder {winner}" if name == "winner_holder" else str(winner)


# --- ledger exports and Merkle proofs ----------------------------------------------
# The proof documents these commands read are specified in docs/spec/proofs.md.

_LEDGER_CHECKS = {
    "hash": "body hashes",
    "seq": "sequence numbers",
    "chain": "chain links",
    "balanced": "per-asset balance of each transaction",
    "posting": "postings (non-zero, one per account and asset)",
    "balance_after": "balance continuity",
    "account_version": "account version continuity",
    "non_negative": "user credits never negative",
    "checkpoint": "Merkle root against the checkpoint",
    "draw.one_freeze": "at most one freeze memo (draw_inputs) per lot",
    "draw.seed_revealed": "freeze memos of declared lots reveal the committed server seed",
    "draw.beacon_declared": "alot-v2 freezes use the beacon (or none) declared at opening",
    "draw.holders_consistent": "each lot names all its holders by pseudonym or none, one "
    "pseudonym per user and one user per pseudonym",
    "draw.ticket_map_from_ledger": "frozen ticket maps are the lots' purchases and free "
    "entries before their freeze",
    "draw.escrow_from_ledger": "frozen escrows are what those purchases paid into escrow",
}


def _read_key(value: str) -> str:
    """A verifier key given directly, or the path of a file holding one."""
    import os

    if os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            return handle.read().strip()
    return value.strip()


def read_checkpoint(source: str) -> str:
    """A signed checkpoint note, from its text or from the platform's checkpoint document
    (``GET /api/ledger/checkpoint`` answers JSON with the note in ``note``)."""
    text = read_source(source)
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", where=source) from exc
        note = document.get("note") if isinstance(document, dict) else None
        if not isinstance(note, str):
            raise InputError(
                "a checkpoint document carries the signed note in `note`", where=source
            )
        return note
    text = str(text)
    # `jq -r .note` and editors add a newline after the note's own last one.
    return text[:-1] if text.endswith("\n\n") else text


def _split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
    if pending:
        yield pending


def _raw_export_lines(source: str) -> Iterator[bytes]:
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            with httpx.stream(
                "GET", source, timeout=30.0, follow_redirects=True, headers=_auth_headers()
            ) as response:
                if response.status_code in (401, 403):
                    response.read()
                    refused = _refused(response, source)
                    assert refused is not None
                    raise refused
                response.raise_for_status()
                yield from _split_lines(response.iter_bytes())
        except httpx.HTTPError as exc:
            raise InputError(f"could not fetch: {exc}", where=source) from exc
    elif source == "-":
        yield from sys.stdin.buffer
    else:
        with open(source, "rb") as handle:
            yield from handle


def _export_lines(source: str) -> Iterator[bytes]:
    """Stream an export's lines; a last line without its newline means a cut-off file."""
    number = 0
    for number, line in enumerate(_raw_export_lines(source), start=1):
        yield line
        if not line.endswith(b"\n"):
            raise InputError(
                "the last line has no newline: the export looks truncated", where=f"line {number}"
            )


def _is_local_file(source: str) -> bool:
    import os

    return (
        source != "-" and not source.startswith(("http://", "https://")) and os.path.isfile(source)
    )


@cli.command("ledger")
@token_option
@click.argument("export_source", metavar="EXPORT")
@click.option(
    "--checkpoint",
    "checkpoint_source",
    metavar="FILE",
    help="A signed checkpoint (file, - or URL; the note or the platform's checkpoint "
    "document): the export's Merkle root must match it.",
)
@click.option(
    "--key",
    metavar="KEY",
    envvar="ALOT_VERIFY_LEDGER_KEY",
    help="The log's verifier key (<name>+<id>+<base64>), or a file holding it.",
)
@click.option(
    "--balances-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the final balance and version of every account and asset here as JSON.",
)
@click.option(
    "--start-seq",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="The first seq of a partial export (its opening balances are taken as stated).",
)
@click.option(
    "--max-failures",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Stop after this many failed checks.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes that verify a big export file in chunks (default: every CPU).",
)
@click.pass_context
def ledger_command(
    ctx: click.Context,
    export_source: str,
    checkpoint_source: str | None,
    key: str | None,
    balances_out: str | None,
    start_seq: int,
    max_failures: int,
    workers: int | None,
) -> None:
    """Verify a ledger export (JSON Lines) read from EXPORT: a file, - or a URL.

    Checks every body hash, chain link and seq, that each transaction balances per
    asset, that every balance and version continues, that no user credits go
    negative and, with --checkpoint and --key, the Merkle root at the checkpoint's size.
    """
    from alot_verify.checkpoint import verify_checkpoint
    from alot_verify.draw_ledger import unchecked_money_notes
    from alot_verify.errors import CheckpointVerificationError
    from alot_verify.ledger import (
        LedgerFailed,
        LedgerFailure,
        verify_ledger,
        verify_ledger_file,
    )

    report = Report(command="ledger")
    signed_checkpoint: str | None = None
    verifier_key: str | None = None
    with input_errors(ctx):
        from click.core import ParameterSource

        if checkpoint_source is None and (
            ctx.get_parameter_source("key") is ParameterSource.ENVIRONMENT
        ):
            key = None  # a key pinned in the environment waits for a checkpoint to check
        if (checkpoint_source is None) != (key is None):
            raise InputError("--checkpoint and --key go together", where="usage")
        if checkpoint_source is not None and key is not None:
            if start_seq != 1:
                raise InputError("a partial export cannot be checked against a checkpoint")
            text = read_checkpoint(checkpoint_source)
            verifier_key = _read_key(key)
            try:
                checkpoint = verify_checkpoint(text, verifier_key)
            except CheckpointVerificationError as exc:
                report.fail("checkpoint_signature", f"checkpoint: {exc}")
            else:
                signed_checkpoint = text
                report.ok(
                    "checkpoint_signature",
                    f"checkpoint for {checkpoint.origin} (size {checkpoint.size}) is signed "
                    f"by {verifier_key.split('+')[0]}+{verifier_key.split('+')[1]}",
                )
        failures: list[LedgerFailure] = []
        truncated = False
        options: dict[str, Any] = {
            "signed_checkpoint": signed_checkpoint,
            "verifier_key": verifier_key if signed_checkpoint is not None else None,
            "start_seq": start_seq,
            "max_failures": max_failures,
        }
        try:
            if _is_local_file(export_source):  # verified on every CPU
                summary = verify_ledger_file(export_source, workers=workers, **options)
            else:  # a stream is verified as it arrives
                summary = verify_ledger(_export_lines(export_source), **options)
        except LedgerFailed as exc:
            summary, failures, truncated = exc.summary, exc.failures, exc.truncated

    span = f"seq {summary.first_seq}..{summary.last_seq}" if summary.transactions else "no lines"
    failed_checks = {failure.check for failure in failures}
    for check, description in _LEDGER_CHECKS.items():
        if check == "checkpoint" and summary.checkpoint is None:
            continue
        if check not in failed_checks:
            report.ok(check, f"{description}: {summary.transactions} transactions ({span})")
    for failure in failures:
        report.fail(failure.check, str(failure))
    if truncated:
        report.fail("limit", f"stopped after {len(failures)} failures; later lines not checked")
    for note in unchecked_money_notes(summary.draw_memos, partial=start_seq != 1):
        # Never a silent pass; off stdout like the other notes (one OK/FAIL line per check).
        if ctx.obj.json_output:
            report.note(f"NOT CHECKED: {note}")
        else:
            click.echo(f"note: NOT CHECKED: {note}", err=True)
    if signed_checkpoint is None and checkpoint_source is None:
        unchecked = "no checkpoint given: the Merkle root was computed but not compared"
        if not ctx.obj.json_output:
            click.echo(f"note: {unchecked}", err=True)

    root = summary.merkle_root.hex() if summary.merkle_root is not None else None
    balances = [
        {"account": b.account, "asset": b.asset, "balance": b.balance, "version": b.version}
        for b in summary.balances
    ]
    report.details = {
        "transactions": summary.transactions,
        "first_seq": summary.first_seq,
        "last_seq": summary.last_seq,
        "head_hash": summary.head_hash,
        "merkle_root": root,
        "checkpoint_size": summary.checkpoint.size if summary.checkpoint else None,
        "accounts": len(summary.balances),
        "postings": summary.postings,
        "volume": summary.volume,
        "failures": [
            {"line": f.line, "seq": f.seq, "check": f.check, "message": f.message} for f in failures
        ],
        "truncated": truncated,
    }
    if balances_out is not None:
        with input_errors(ctx), open(balances_out, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "verified": report.passed,
                    "last_seq": summary.last_seq,
                    "head_hash": summary.head_hash,
                    "balances": balances,
                },
                handle,
                indent=2,
            )
            handle.write("\n")
    if not ctx.obj.json_output and root is not None:
        click.echo(f"merkle root at size {summary.transactions}: {root}", err=True)
    emit(ctx, report)


def _hex_hash(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise InputError("must be 64 hex digits", where=where)
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise InputError("must be 64 hex digits", where=where) from exc


def _size(value: Any, where: str) -> int:
    if type(value) is not int or value < 0:
        raise InputError("must be a non-negative integer", where=where)
    return value


def _proof_document(source: str | None, members: frozenset[str]) -> dict[str, Any]:
    if source is None:
        return {}
    document = load_json(source)
    if not isinstance(document, dict):
        raise InputError("a proof document must be a JSON object", where=source)
    unknown = sorted(set(document) - members)
    if unknown:
        raise InputError(f"unknown member(s) {', '.join(unknown)}", where=source)
    return document


def _proof_hashes(value: Any) -> list[bytes]:
    if not isinstance(value, list):
        raise InputError("must be an array of hex hashes", where="proof")
    return [_hex_hash(item, f"proof[{i}]") for i, item in enumerate(value)]


def _trusted_root(
    report: Report,
    label: str,
    size: int,
    root_hex: Any,
    checkpoint_text: Any,
    key: str | None,
) -> bytes | None:
    """The root to check against: a root given directly, else a verified checkpoint's."""
    from alot_verify.checkpoint import verify_checkpoint
    from alot_verify.errors import CheckpointVerificationError

    if root_hex is not None:
        return _hex_hash(root_hex, label.replace(" ", "_"))
    if checkpoint_text is None:
        raise InputError(f"give the {label} or a checkpoint", where=label.replace(" ", "_"))
    if not isinstance(checkpoint_text, str):
        raise InputError("must be the signed note text", where="checkpoint")
    if key is None:
        raise InputError("a checkpoint is only trusted with --key (or pass the root directly)")
    try:
        checkpoint = verify_checkpoint(checkpoint_text, _read_key(key))
    except CheckpointVerificationError as exc:
        report.fail("checkpoint", f"checkpoint: {exc}")
        return None
    report.ok("checkpoint", f"checkpoint for {checkpoint.origin} (size {checkpoint.size}) verifies")
    if checkpoint.size != size:
        report.fail(
            "checkpoint", f"the proof is for tree size {size}; the checkpoint is {checkpoint.size}"
        )
        return None
    return checkpoint.root_hash


_INCLUSION_MEMBERS = frozenset(
    {"leaf_index", "tree_size", "leaf_hash", "transaction", "proof", "root", "checkpoint"}
)
_CONSISTENCY_MEMBERS = frozenset(
    {"old_size", "new_size", "proof", "old_root", "new_root", "old_checkpoint", "new_checkpoint"}
)


def _pick(flag: Any, document: dict[str, Any], name: str) -> Any:
    """A command-line value wins over the proof document's."""
    return flag if flag is not None else document.get(name)


@cli.command("inclusion")
@token_option
@click.argument("proof_source", metavar="[PROOF]", required=False)
@click.option("--leaf-hash", metavar="HEX", help="The leaf (transaction) hash.")
@click.option(
    "--transaction",
    "transaction_source",
    metavar="FILE",
    help="The transaction (an export line, or /transactions/{seq}): the leaf must be its hash.",
)
@click.option("--index", type=int, help="0-based leaf index (= seq - 1).")
@click.option("--tree-size", type=int, help="Size of the tree the proof is for.")
@click.option("--proof", "proof_hashes", metavar="HEX", multiple=True, help="Audit path hash.")
@click.option("--root", metavar="HEX", help="The root hash to check against (trusted).")
@click.option(
    "--checkpoint",
    "checkpoint_source",
    metavar="FILE",
    help="A signed checkpoint to check against.",
)
@click.option(
    "--key", metavar="KEY", envvar="ALOT_VERIFY_LEDGER_KEY", help="Verifier key (or its file)."
)
@click.pass_context
def inclusion_command(
    ctx: click.Context,
    proof_source: str | None,
    leaf_hash: str | None,
    transaction_source: str | None,
    index: int | None,
    tree_size: int | None,
    proof_hashes: tuple[str, ...],
    root: str | None,
    checkpoint_source: str | None,
    key: str | None,
) -> None:
    """Verify that one leaf is in the tree of a given size (RFC 9162 inclusion proof).

    PROOF is a proof document (file, - or URL; see docs/spec/proofs.md); options give
    or override its members. A public proof carries no transaction: it then proves the
    leaf hash only, unless --transaction names the transaction it must be the hash of.
    Exit 0 included, 1 not proven, 2 malformed input.
    """
    from alot_verify.errors import ProofVerificationError
    from alot_verify.ledger import transaction_leaf_hash
    from alot_verify.merkle import verify_inclusion

    report = Report(command="inclusion")
    with input_errors(ctx):
        document = _proof_document(proof_source, _INCLUSION_MEMBERS)
        transaction = (
            load_json(transaction_source) if transaction_source else document.get("transaction")
        )
        leaf_index = _size(_pick(index, document, "leaf_index"), "leaf_index")
        size = _size(_pick(tree_size, document, "tree_size"), "tree_size")
        proof = _proof_hashes(list(proof_hashes) if proof_hashes else document.get("proof", []))
        stated_leaf = _pick(leaf_hash, document, "leaf_hash")
        leaf: bytes | None = None
        if transaction is not None:
            leaf = transaction_leaf_hash(transaction)
            if transaction["hash"] != leaf.hex():
                report.fail("leaf", f"transaction body hashes to {leaf.hex()}, not its hash")
            if transaction["seq"] != leaf_index + 1:
                report.fail(
                    "leaf", f"transaction seq {transaction['seq']} is not leaf index {leaf_index}"
                )
        if stated_leaf is not None:
            stated = _hex_hash(stated_leaf, "leaf_hash")
            if leaf is not None and stated != leaf:
                report.fail("leaf", f"leaf_hash {stated.hex()} is not the transaction's hash")
            leaf = leaf or stated
        if leaf is None:
            raise InputError("give leaf_hash or transaction", where="leaf_hash")
        if transaction is None:
            report.note(
                f"the transaction itself was not provided: this proves only that leaf "
                f"{leaf.hex()} is in the tree; pass --transaction FILE (its export line) "
                "to check which transaction it is"
            )
        if root is not None:
            root_hex, checkpoint_text = root, None
        elif checkpoint_source is not None:
            root_hex, checkpoint_text = None, read_checkpoint(checkpoint_source)
        else:
            root_hex, checkpoint_text = document.get("root"), document.get("checkpoint")
        expected_root = _trusted_root(report, "root", size, root_hex, checkpoint_text, key)
    if expected_root is not None:
        try:
            verify_inclusion(leaf, leaf_index, size, proof, expected_root)
        except ProofVerificationError as exc:
            report.fail("inclusion", f"inclusion: {exc}")
        else:
            report.ok(
                "inclusion",
                f"leaf {leaf.hex()} is at index {leaf_index} of the tree of size {size} "
                f"with root {expected_root.hex()}",
            )
    report.details = {
        "leaf_index": leaf_index,
        "tree_size": size,
        "leaf_hash": leaf.hex(),
        "transaction_checked": transaction is not None,
    }
    emit(ctx, report)


@cli.command("consistency")
@token_option
@click.argument("proof_source", metavar="[PROOF]", required=False)
@click.option("--old-size", type=int, help="Size of the older tree.")
@click.option("--new-size", type=int, help="Size of the newer tree.")
@click.option("--proof", "proof_hashes", metavar="HEX", multiple=True, help="Proof hash.")
@click.option("--old-root", metavar="HEX", help="Root of the older tree (trusted).")
@click.option("--new-root", metavar="HEX", help="Root of the newer tree (trusted).")
@click.option("--old-checkpoint", metavar="FILE", help="Signed checkpoint of the older tree.")
@click.option("--new-checkpoint", metavar="FILE", help="Signed checkpoint of the newer tree.")
@click.option(
    "--key", metavar="KEY", envvar="ALOT_VERIFY_LEDGER_KEY", help="Verifier key (or its file)."
)
@click.pass_context
def consistency_command(
    ctx: click.Context,
    proof_source: str | None,
    old_size: int | None,
    new_size: int | None,
    proof_hashes: tuple[str, ...],
    old_root: str | None,
    new_root: str | None,
    old_checkpoint: str | None,
    new_checkpoint: str | None,
    key: str | None,
) -> None:
    """Verify that a newer tree extends an older one (RFC 9162 consistency proof).

    PROOF is a proof document (file, - or URL; see docs/spec/proofs.md); options give
    or override its members. Exit 0 consistent, 1 not proven, 2 malformed input.
    """
    from alot_verify.errors import ProofVerificationError
    from alot_verify.merkle import verify_consistency

    report = Report(command="consistency")
    with input_errors(ctx):
        document = _proof_document(proof_source, _CONSISTENCY_MEMBERS)
        first = _size(_pick(old_size, document, "old_size"), "old_size")
        second = _size(_pick(new_size, document, "new_size"), "new_size")
        proof = _proof_hashes(list(proof_hashes) if proof_hashes else document.get("proof", []))
        roots = []
        for label, size, root_flag, checkpoint_flag in (
            ("old", first, old_root, old_checkpoint),
            ("new", second, new_root, new_checkpoint),
        ):
            if root_flag is not None:
                root_hex, checkpoint_text = root_flag, None
            elif checkpoint_flag is not None:
                root_hex, checkpoint_text = None, read_checkpoint(checkpoint_flag)
            else:
                root_hex = document.get(f"{label}_root")
                checkpoint_text = document.get(f"{label}_checkpoint")
            roots.append(
                _trusted_root(report, f"{label} root", size, root_hex, checkpoint_text, key)
            )
    first_root, second_root = roots
    if first_root is not None and second_root is not None:
        try:
            verify_consistency(first, second, proof, first_root, second_root)
        except ProofVerificationError as exc:
            report.fail("consistency", f"consistency: {exc}")
        else:
            report.ok(
                "consistency",
                f"the tree of size {second} (root {second_root.hex()}) extends the tree of "
                f"size {first} (root {first_root.hex()})",
            )
    report.details = {"old_size": first, "new_size": second}
    emit(ctx, report)


@cli.command("audit-log")
@token_option
@click.argument("log_source", metavar="FILE")
@click.pass_context
def audit_log_command(ctx: click.Context, log_source: str) -> None:
    """Verify an admin and host audit log export read from FILE (a file, - or a URL):
    JSON Lines or a JSON array of entries.

    Recomputes every entry's hash and checks that seqs run 1..n without a gap and that
    each prev_hash names the previous entry's hash (docs/spec/audit-log.md). Exit 1
    names the first bad seq.
    """
    from alot_verify.audit import parse_audit_log, verify_audit_log
    from alot_verify.errors import AuditLogVerificationError

    report = Report(command="audit-log")
    with input_errors(ctx):
        entries = parse_audit_log(read_source(log_source))
    try:
        summary = verify_audit_log(entries)
    except AuditLogVerificationError as exc:
        report.fail("chain", f"audit log: {exc}")
        report.details = {"entries": len(entries), "first_bad_seq": exc.seq}
    else:
        report.ok(
            "chain",
            f"audit log: {summary.entries} entries chain from genesis to {summary.head_hash}",
        )
        report.details = {"entries": summary.entries, "head_hash": summary.head_hash}
    emit(ctx, report)


def main() -> None:
    cli(prog_name="alot-verify")


@cli.command("checkpoint")
@token_option
@click.argument("checkpoint_source", metavar="CHECKPOINT")
@click.option(
    "--key",
    metavar="KEY",
    envvar="ALOT_VERIFY_LEDGER_KEY",
    required=True,
    help="The log's verifier key (or its file).",
)
@click.option(
    "--witness",
    "witness_keys",
    metavar="VKEY",
    multiple=True,
    help="A pinned witness key <name>+<id>+<base64(0x04 || key)> (or its file); repeatable.",
)
@click.option(
    "--quorum",
    type=int,
    default=None,
    help="How many of the pinned witnesses must have cosigned (default: all of them).",
)
@click.pass_context
def checkpoint_command(
    ctx: click.Context,
    checkpoint_source: str,
    key: str,
    witness_keys: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Verify a signed checkpoint and its witnesses' cosignatures (C2SP tlog-cosignature).

    CHECKPOINT is the note (file, - or URL), with the cosignature lines appended.
    Exit 0 when the log's signature and at least --quorum pinned cosignatures verify.
    """
    from alot_verify.checkpoint import verify_checkpoint
    from alot_verify.cosignature import parse_witness_key, verify_cosignature
    from alot_verify.errors import CheckpointVerificationError

    report = Report(command="checkpoint")
    with input_errors(ctx):
        text = read_checkpoint(checkpoint_source)
        witnesses = [parse_witness_key(_read_key(w)) for w in witness_keys]
        needed = len(witnesses) if quorum is None else quorum
        if not 0 <= needed <= len(witnesses):
            raise InputError(f"must be 0..{len(witnesses)}", where="--quorum")
        log_key = _read_key(key)
    try:
        checkpoint = verify_checkpoint(text, log_key)
    except CheckpointVerificationError as exc:
        report.fail("checkpoint_signature", f"checkpoint: {exc}")
        emit(ctx, report)
    report.ok(
        "checkpoint_signature",
        f"checkpoint for {checkpoint.origin} (size {checkpoint.size}) is signed by the log key",
    )
    cosigned = []
    for witness in witnesses:
        try:
            cosignature = verify_cosignature(text, witness)
        except CheckpointVerificationError as exc:
            report.note(f"cosignature: {exc}")
            continue
        cosigned.append({"witness": cosignature.witness, "timestamp": cosignature.timestamp})
        report.ok(
            "cosignature",
            f"cosigned by witness {cosignature.witness} at {cosignature.timestamp} (POSIX s)",
        )
    if len(cosigned) < needed:
        report.fail(
            "cosignature_quorum",
            f"{len(cosigned)} of the {len(witnesses)} pinned witnesses cosigned, {needed} needed",
        )
    elif witnesses:
        report.ok("cosignature_quorum", f"{len(cosigned)} of {len(witnesses)} witnesses cosigned")
    report.details = {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "cosignatures": cosigned,
    }
    emit(ctx, report)
