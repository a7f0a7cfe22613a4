"""Verifying a file in chunks on several processes gives exactly the one-pass result.

Every case is written to a file and verified twice: by `verify_ledger` over its lines
(one pass, the reference) and by `verify_ledger_file` with two workers and chunks so
small that a chunk border falls between every pair of lines (and, in a second run,
every few lines). The summary, the failures (order, lines, seqs, messages), the
truncation flag and any InputError must be identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_verify import ledger
from alot_verify._testing import seal, synthetic_export, vector_keys
from alot_verify.checkpoint import Checkpoint, sign_checkpoint
from alot_verify.errors import InputError
from alot_verify.ledger import LedgerFailed, verify_ledger, verify_ledger_file
from alot_verify.merkle import MemoryTree

Outcome = tuple[str, Any]


def _outcome(verify: Callable[[], ledger.LedgerSummary]) -> Outcome:
    try:
        return ("ok", verify())
    except LedgerFailed as exc:
        return ("failed", (exc.failures, exc.truncated, exc.summary, str(exc), exc.line, exc.seq))
    except InputError as exc:
        return ("input", (str(exc), exc.where))


def _in_process(path: Path, chunk_bytes: int, **options: Any) -> ledger.LedgerSummary:
    """The chunked verification run with the chunks mapped in this process.

    The same worker function and stitching as with a pool, without starting processes,
    so that every case can be tried at several chunk sizes. Falls back to one pass on
    too many failures, as `verify_ledger_file` does.
    """
    checkpoint = ledger._checked_options(
        options.get("signed_checkpoint"),
        options.get("verifier_key"),
        options.get("start_seq", 1),
        options.get("max_failures", ledger.DEFAULT_MAX_FAILURES),
    )
    bounds = ledger._chunk_bounds(str(path), path.stat().st_size, chunk_bytes)
    try:
        return ledger._verify_in_chunks(
            str(path),
            bounds,
            checkpoint,
            options.get("start_seq", 1),
            options.get("max_failures", ledger.DEFAULT_MAX_FAILURES),
            map,
        )
    except ledger._TooManyFailures:
        return verify_ledger_file(path, workers=1, **options)


def _assert_same(
    tmp_path: Path, lines: list[str], *, pool: bool = False, **options: Any
) -> Outcome:
    """Verify ``lines`` in one pass and in chunks; return the (shared) outcome.

    With ``pool`` also with real worker processes (each pool costs a process start).
    """
    export = tmp_path / "export.jsonl"
    export.write_bytes("".join(lines).encode("utf-8", "surrogatepass"))
    with export.open("rb") as handle:
        expected = _outcome(lambda: verify_ledger(ledger._complete_lines(handle), **options))
    for chunk_bytes in (1, 900, 2000, 5000):
        chunked = _outcome(lambda size=chunk_bytes: _in_process(export, size, **options))
        assert chunked == expected, f"chunk_bytes={chunk_bytes}"
    if pool:  # a chunk border between every two lines
        pooled = _outcome(lambda: verify_ledger_file(export, workers=2, chunk_bytes=1, **options))
        assert pooled == expected
    return expected


@pytest.fixture
def vector_lines(spec_vectors: Path) -> list[str]:
    return (spec_vectors / "ledger-small.jsonl").read_text(encoding="utf-8").splitlines(True)


def _checkpoint(lines: list[str], size: int, root: bytes | None = None) -> dict[str, str]:
    tree = MemoryTree(bytes.fromhex(json.loads(line)["hash"]) for line in lines)
    signer, verifier = vector_keys()
    root = tree.root(size) if root is None else root
    note = sign_checkpoint(Checkpoint("alot.local/ledger", size, root), signer)
    return {"signed_checkpoint": note, "verifier_key": verifier}


def _resealed(lines: list[str], edit: Callable[[list[dict[str, Any]]], None]) -> list[str]:
    bodies = [json.loads(line) for line in lines]
    edit(bodies)
    return list(seal(bodies))


def _edit_line(lines: list[str], i: int, old: str, new: str) -> list[str]:
    out = list(lines)
    out[i] = out[i].replace(old, new, 1)
    return out


def _first_with(lines: list[str], asset: str, after: int = 0) -> int:
    return next(
        i
        for i, line in enumerate(lines)
        if i >= after and any(p["asset"] == asset for p in json.loads(line)["postings"])
    )


def _tampers(lines: list[str]) -> dict[str, list[str]]:
    usd = _first_with(lines, "USD", after=5)
    crd = _first_with(lines, "CRD", after=5)

    def bump(field: str, i: int) -> Callable[[list[dict[str, Any]]], None]:
        def edit(bodies: list[dict[str, Any]]) -> None:
            bodies[i]["postings"][0][field] += 7

        return edit

    def unbalance(bodies: list[dict[str, Any]]) -> None:
        bodies[usd]["postings"][0]["amount"] += 1
        bodies[usd]["postings"][0]["balance_after"] += 1

    def overdraw(bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            for posting in body["postings"]:
                if posting["account"].startswith("user:"):
                    posting["balance_after"] -= 10_000

    def duplicate_posting(bodies: list[dict[str, Any]]) -> None:
        bodies[usd]["postings"].append(dict(bodies[usd]["postings"][0]))

    def zero_amount(bodies: list[dict[str, Any]]) -> None:
        bodies[crd]["postings"][0]["amount"] = 0

    edited = json.loads(lines[3])
    edited["kind"] += "_x"
    return {
        "valid": lines,
        "reordered": [*lines[:9], lines[10], lines[9], *lines[11:]],
        "reordered-first": [lines[1], lines[0], *lines[2:]],
        "dropped": lines[:12] + lines[13:],
        "dropped-first": lines[1:],
        "duplicated": lines[:21] + lines[20:],
        "reversed": lines[::-1],
        "edited-kind": _edit_line(lines, 25, '"kind":"', '"kind":"x'),
        "edited-not-canonical": [*lines[:3], json.dumps(edited) + "\n", *lines[4:]],
        "balance_after": _resealed(lines, bump("balance_after", usd)),
        "account_version": _resealed(lines, bump("account_version", crd)),
        "unbalanced": _resealed(lines, unbalance),
        "negative-credits": _resealed(lines, overdraw),
        "posted-twice": _resealed(lines, duplicate_posting),
        "zero-amount": _resealed(lines, zero_amount),
    }


TAMPER_NAMES = list(_tampers(list(synthetic_export(40, users=4, lots=2, hosts=1))))


@pytest.mark.parametrize("name", TAMPER_NAMES)
def test_chunked_verification_matches_one_pass(
    tmp_path: Path, vector_lines: list[str], name: str
) -> None:
    lines = _tampers(vector_lines)[name]
    kind, _ = _assert_same(tmp_path, lines, pool=True)
    assert kind == ("ok" if name == "valid" else "failed")


@pytest.mark.parametrize("name", TAMPER_NAMES)
def test_chunked_verification_matches_one_pass_with_a_checkpoint(
    tmp_path: Path, vector_lines: list[str], name: str
) -> None:
    lines = _tampers(vector_lines)[name]
    _assert_same(tmp_path, lines, **_checkpoint(vector_lines, 25))


@pytest.mark.parametrize("size", [0, 1, 17, 40])
def test_checkpoint_sizes(tmp_path: Path, vector_lines: list[str], size: int) -> None:
    assert _assert_same(tmp_path, vector_lines, **_checkpoint(vector_lines, size))[0] == "ok"


def test_checkpoint_with_another_root(tmp_path: Path, vector_lines: list[str]) -> None:
    checkpoint = _checkpoint(vector_lines, 20, b"\x11" * 32)
    outcome = _assert_same(tmp_path, vector_lines, pool=True, **checkpoint)
    assert outcome[0] == "failed"
    assert [(f.check, f.line, f.seq) for f in outcome[1][0]] == [("checkpoint", 20, 20)]


def test_checkpoint_beyond_the_export(tmp_path: Path, vector_lines: list[str]) -> None:
    outcome = _assert_same(tmp_path, vector_lines[:30], **_checkpoint(vector_lines, 40))
    assert [f.check for f in outcome[1][0]] == ["checkpoint"]


def test_partial_export(tmp_path: Path, vector_lines: list[str]) -> None:
    assert _assert_same(tmp_path, vector_lines[10:], start_seq=11)[0] == "ok"
    tampered = _tampers(vector_lines[10:])
    for name in ("dropped", "balance_after", "reordered-first", "negative-credits"):
        assert _assert_same(tmp_path, tampered[name], start_seq=11)[0] == "failed", name


@pytest.mark.parametrize("max_failures", [1, 2, 5, 37])
def test_failure_cap(tmp_path: Path, vector_lines: list[str], max_failures: int) -> None:
    kind, (failures, *_) = _assert_same(
        tmp_path,
        vector_lines[::-1],
        pool=max_failures == 5,
        max_failures=max_failures,
        **_checkpoint(vector_lines, 3),
    )
    assert kind == "failed"
    assert len(failures) <= max_failures


@pytest.mark.parametrize("at", [0, 1, 19, 39])
def test_malformed_line(tmp_path: Path, vector_lines: list[str], at: int) -> None:
    lines = _edit_line(vector_lines, at, '"seq":', '"seq":,')
    kind, (_, where) = _assert_same(tmp_path, lines, pool=at == 19)
    assert (kind, where) == ("input", f"line {at + 1}")
    lines = _edit_line(vector_lines, at, '"id":"', '"id":"x')
    assert _assert_same(tmp_path, lines)[1][1] == f"line {at + 1} field id"


def test_malformed_line_after_failures(tmp_path: Path, vector_lines: list[str]) -> None:
    lines = _edit_line(
        _tampers(vector_lines)["reversed"],
        30,
        "{",
        "[",
    )
    assert _assert_same(tmp_path, lines, max_failures=1000)[0] == "input"
    assert _assert_same(tmp_path, lines, pool=True)[0] == "failed"  # capped first


def test_invalid_utf8_and_empty_lines(tmp_path: Path, vector_lines: list[str]) -> None:
    assert _assert_same(tmp_path, [*vector_lines[:7], "\n", *vector_lines[7:]])[0] == "input"
    lines = _edit_line(vector_lines, 22, '"kind":"', '"kind":"\udcff')
    assert "not UTF-8" in _assert_same(tmp_path, lines)[1][0]


def test_cut_off_last_line(tmp_path: Path, vector_lines: list[str]) -> None:
    cut = [*vector_lines[:-1], vector_lines[-1][:-1]]
    kind, (message, where) = _assert_same(tmp_path, cut, pool=True)
    assert (kind, where) == ("input", "line 40")
    assert "truncated" in message
    kind, _ = _assert_same(tmp_path, [*vector_lines[:-1], vector_lines[-1][:50]])
    assert kind == "input"


def test_lines_that_take_the_general_path(tmp_path: Path, vector_lines: list[str]) -> None:
    spaced = [json.dumps(json.loads(line)) + "\n" for line in vector_lines]
    mixed = [spaced[i] if i % 3 == 0 else line for i, line in enumerate(vector_lines)]
    assert _assert_same(tmp_path, mixed)[0] == "ok"


def test_every_line_is_a_chunk_when_chunks_are_tiny(
    tmp_path: Path, vector_lines: list[str]
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text("".join(vector_lines), encoding="utf-8")
    bounds = ledger._chunk_bounds(str(export), export.stat().st_size, 1)
    assert len(bounds) == len(vector_lines) + 1
    offsets = [0]
    for line in vector_lines:
        offsets.append(offsets[-1] + len(line.encode()))
    assert bounds == offsets


def test_a_middle_chunk_defers_what_it_cannot_check(
    tmp_path: Path, vector_lines: list[str]
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text("".join(vector_lines), encoding="utf-8")
    bounds = ledger._chunk_bounds(str(export), export.stat().st_size, 1)
    chunk = ledger._verify_chunk((str(export), bounds[5], bounds[10], 100))
    assert chunk.lines == 5
    assert chunk.error is None
    assert len(chunk.leaves) == 5 * 32
    assert chunk.events[0] == (ledger._LINK, 1, 6, json.loads(vector_lines[4])["hash"])
    assert all(not isinstance(event, ledger.LedgerFailure) for event in chunk.events)
    assert chunk.seq_breaks == [(1, 6)]


def test_cli_verifies_a_big_file_in_chunks_with_the_same_report(tmp_path: Path) -> None:
    """Over the default chunk size the command uses workers; the report is unchanged."""
    from alot_verify.cli import cli
    from click.testing import CliRunner

    lines = list(synthetic_export(2000, users=40, lots=10, hosts=2, seed=3))
    repeats = ledger.DEFAULT_CHUNK_BYTES // len("".join(lines).encode()) + 1
    bodies = [json.loads(line) for _ in range(repeats) for line in lines]
    for seq, body in enumerate(bodies, start=1):
        body["seq"] = seq  # balances and versions repeat too: the copies fail continuity
    sealed = list(seal(bodies))
    export = tmp_path / "export.jsonl"
    export.write_text("".join(sealed), encoding="utf-8")
    assert export.stat().st_size > ledger.DEFAULT_CHUNK_BYTES
    reports = []
    for workers in ("1", "2"):
        args = ["--json", "ledger", str(export), "--workers", workers, "--max-failures", "100000"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1]
    assert reports[0]["transactions"] == len(sealed)
    assert not reports[0]["truncated"]  # so the chunked result stood (no second pass)
    assert {f["check"] for f in reports[0]["failures"]} == {"balance_after", "account_version"}
