"""Benchmark: `alot-verify ledger` on a synthetic valid export of N transactions.

Generates a deterministic export (a few thousand accounts, every transaction kind the
ledger writes) into a temporary file with a signed checkpoint over all of it, then
times the real command in a subprocess and prints transactions/s, wall and CPU time,
peak RSS, and this machine's SHA-256 throughput as the physical reference (hashing
the file's bytes once is a floor no verifier can beat).

    uv run python bench/verify_ledger.py            # 1,000,000 transactions
    uv run python bench/verify_ledger.py --n 100000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alot_verify._testing import synthetic_export
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint
from alot_verify.merkle import CompactRange

_HASH_AT = len('{"created_at":"2000-01-01T00:00:00.000000Z","hash":"')


def _sha256_throughput(megabytes: int = 256) -> float:
    """MB/s of hashlib.sha256 over 1 MiB chunks on this machine."""
    chunk = os.urandom(1 << 20)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(megabytes):
        digest.update(chunk)
    digest.digest()
    return megabytes / (time.perf_counter() - started)


def _write_export(directory: Path, n: int, users: int) -> tuple[Path, Path, str]:
    export = directory / "export.jsonl"
    compact = CompactRange()
    with export.open("w", encoding="utf-8") as handle:
        for line in synthetic_export(n, users=users, lots=max(1, users // 4), hosts=50):
            handle.write(line)
            compact.append(bytes.fromhex(line[_HASH_AT : _HASH_AT + 64]))
    signer, verifier = generate_signer_key("bench.alot.local/ledger")
    checkpoint = directory / "checkpoint"
    note = sign_checkpoint(Checkpoint("bench.alot.local/ledger", n, compact.root()), signer)
    checkpoint.write_text(note, encoding="utf-8")
    return export, checkpoint, verifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="transactions to generate")
    parser.add_argument("--users", type=int, default=2000, help="users (accounts scale with it)")
    args = parser.parse_args()

    command = Path(sys.executable).parent / "alot-verify"
    with tempfile.TemporaryDirectory(prefix="alot-bench-") as tmp:
        started = time.perf_counter()
        export, checkpoint, verifier = _write_export(Path(tmp), args.n, args.users)
        generated = time.perf_counter() - started
        size_mb = export.stat().st_size / 1e6
        print(f"generated {args.n:,} transactions ({size_mb:,.0f} MB) in {generated:.1f} s")

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            [
                str(command),
                "ledger",
                str(export),
                "--checkpoint",
                str(checkpoint),
                "--key",
                verifier,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)

    if result.returncode != 0:
        print(result.stdout, result.stderr, sep="\n")
        raise SystemExit(f"alot-verify ledger exited {result.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sha256 = _sha256_throughput()
    print(f"alot-verify ledger: {args.n / wall:,.0f} transactions/s")
    print(f"  wall time        {wall:.2f} s (CPU {cpu:.2f} s)")
    print(f"  peak RSS         {after.ru_maxrss / 1024:.0f} MB")
    print(f"  input            {size_mb / wall:,.0f} MB/s of export text")
    print(
        f"sha256 on this machine: {sha256:,.0f} MB/s (hashing {size_mb:,.0f} MB once: "
        f"{size_mb / sha256:.2f} s)"
    )


if __name__ == "__main__":
    main()
