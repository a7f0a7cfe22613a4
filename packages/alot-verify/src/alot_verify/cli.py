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
from typing import IO, Any, NoReturn

import click

from alot_verify import __version__
from alot_verify.errors import InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass
class Report:
    """What one command checked: named results, printed as OK/FAIL lines or JSON."""

    command: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def ok(self, check: str, message: str) -> None:
        self.checks.append({"check": check, "ok": True, "message": message})

    def fail(self, check: str, message: str) -> None:
        self.checks.append({"check": check, "ok": False, "message": message})

    @property
    def passed(self) -> bool:
        return all(c["ok"] for c in self.checks)


@dataclass
class Options:
    json_output: bool
    verbose: bool


def emit(ctx: click.Context, report: Report) -> NoReturn:
    """Print the report in the chosen format and exit 0 (all OK) or 1 (any FAIL)."""
    options: Options = ctx.obj
    if options.json_output:
        document = {
            "command": report.command,
            "verified": report.passed,
            "checks": report.checks,
            **report.details,
        }
        click.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        for check in report.checks:
            prefix = "OK" if check["ok"] else "FAIL"
            click.echo(f"{prefix}: {check['message']}")
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


def read_source(source: str, *, binary: bool = False) -> Any:
    """Read a whole input named on the command line: a path, ``-`` (stdin) or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(source, timeout=30.0, follow_redirects=True)
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
@click.pass_context
def cli(ctx: click.Context, json_output: bool, verbose: bool) -> None:
    """Verify ALOT! draws, ledger exports, Merkle proofs and checkpoints offline.

    Exit status: 0 verified, 1 a check failed, 2 usage error or unreadable input.
    """
    ctx.obj = Options(json_output=json_output, verbose=verbose)


# --- commands -------------------------------------------------------------------
# Each command parses its input inside `with input_errors(ctx):`, calls the library,
# fills a Report and ends with `emit(ctx, report)`. Library imports stay inside the
# command so that `alot-verify draw` starts fast.


@cli.command("draw")
@click.argument("proof_source", metavar="PROOF")
@click.option(
    "--beacon-public-key",
    metavar="HEX",
    envvar="ALOT_VERIFY_BEACON_PUBLIC_KEY",
    help="The drand chain's public key (hex): also check an alot-v2 beacon's BLS signature.",
)
@click.pass_context
def draw_command(ctx: click.Context, proof_source: str, beacon_public_key: str | None) -> None:
    """Verify a draw proof (alot-v1 or alot-v2) read from PROOF: a file, - or a URL."""
    from alot_verify.draw import draw_checks

    report = Report(command="draw")
    with input_errors(ctx):
        key = None
        if beacon_public_key is not None:
            try:
                key = bytes.fromhex(beacon_public_key)
            except ValueError as exc:
                raise InputError("not hex", where="--beacon-public-key") from exc
        proof = load_json(proof_source)
        checks, unchecked = draw_checks(proof, beacon_public_key=key)
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
        "winner_user_id": proof["winner_user_id"],
        "unchecked": unchecked,
    }
    if not ctx.obj.json_output:
        for note in unchecked:
            click.echo(f"note: {note}", err=True)
    emit(ctx, report)


def main() -> None:
    cli(prog_name="alot-verify")
