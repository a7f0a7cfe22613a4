"""Benchmark: `alot-verify ledger` on a synthetic valid export of N transactions.

Generates a deterministic export (a few thousand accounts, every transaction kind the
ledger writes) into a temporary file with a signed checkpoint over all of it, then
times the real command in a subprocess, once per worker count (one pass, then chunks
on 2 processes), and prints transactions/s, wall and CPU time, peak RSS, and this
machine's SHA-256 throughput as the physical reference (hashing the file's bytes once
is a floor no verifier can beat).

Peak RSS is that of the whole verifier: the command and every process under it (the
worker pool's server and workers), summed, sampled from /proc every 20 ms. Summing
counts pages that forked processes share once per process, so it overstates a little.
CPU time is summed the same way (last sample of each process). Other work on the
machine slows the figures down: the load average at the start is printed with them.

    uv run python bench/verify_ledger.py            # 1,000,000 transactions
    uv run python bench/verify_ledger.py --n 100000 --workers 1 2
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    """``root`` and every process below it, from the parent links in /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(parents.get(pid, []))
    return found


@dataclass
class _Usage:
    peak_rss: int = 0  # bytes, summed over the tree
    cpu: dict[int, float] | None = None  # seconds per pid, last sample


def _watch(process: subprocess.Popen[str], usage: _Usage) -> None:
    usage.cpu = {}
    while process.poll() is None:
        rss = 0
        for pid in _tree(process.pid):
            try:
                rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            usage.cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
        usage.peak_rss = max(usage.peak_rss, rss)
        time.sleep(0.02)


def _run(command: list[str]) -> tuple[float, _Usage, subprocess.CompletedProcess[str]]:
    usage = _Usage()
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        watcher = threading.Thread(target=_watch, args=(process, usage))
        watcher.start()
        stdout, stderr = process.communicate()
        wall = time.perf_counter() - started
        watcher.join()
    return wall, usage, subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="transactions to generate")
    parser.add_argument("--users", type=int, default=2000, help="users (accounts scale with it)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to time"
    )
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
        f"{os.cpu_count()} CPUs (other work on this machine slows every figure below)"
    )
    command = Path(sys.executable).parent / "alot-verify"
    sha256 = _sha256_throughput()
    with tempfile.TemporaryDirectory(prefix="alot-bench-") as tmp:
        started = time.perf_counter()
        export, checkpoint, verifier = _write_export(Path(tmp), args.n, args.users)
        generated = time.perf_counter() - started
        size_mb = export.stat().st_size / 1e6
        print(f"generated {args.n:,} transactions ({size_mb:,.0f} MB) in {generated:.1f} s")
        for workers in args.workers:
            wall, usage, result = _run(
                [
                    str(command),
                    "ledger",
                    str(export),
                    "--checkpoint",
                    str(checkpoint),
                    "--key",
                    verifier,
                    "--workers",
                    str(workers),
                ]
            )
            if result.returncode != 0:
                print(result.stdout, result.stderr, sep="\n")
                raise SystemExit(f"alot-verify ledger exited {result.returncode}")
            cpu = sum((usage.cpu or {}).values())
            print(f"alot-verify ledger --workers {workers}: {args.n / wall:,.0f} transactions/s")
            print(f"  transactions     {args.n:,}")
            print(f"  wall time        {wall:.2f} s (CPU {cpu:.2f} s, all processes)")
            print(f"  peak RSS         {usage.peak_rss / 1e6:.0f} MB (all processes, summed)")
            print(f"  input            {size_mb / wall:,.0f} MB/s of export text")
    print(
        f"sha256 on this machine: {sha256:,.0f} MB/s (hashing {size_mb:,.0f} MB once: "
        f"{size_mb / sha256:.2f} s)"
    )


if __name__ == "__main__":
    main()
