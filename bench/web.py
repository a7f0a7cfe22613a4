"""Benchmark: the web client's quality bars, measured by Lighthouse in the machine's Chromium.

Starts ``alot run`` (SQLite, demo lots) in a scratch var dir with the built client
(``web/dist``; run ``make web`` first), then runs Lighthouse (npm ``lighthouse``, installed
on first use into ``var/bench-tools``; Chromium from ALOT_CHROMIUM or /usr/bin/chromium) on
the lot list and on a lot page, and prints per page (never asserts):

- the performance, accessibility and best-practices scores against the issue's goals
  (>= 90, >= 95, >= 95), with Lighthouse's default mobile emulation and simulated
  throttling, which is what the goals are stated in;
- the JavaScript the page loaded: bytes on the wire (gzip, as the platform serves it)
  and uncompressed, against the first route's goal of <= 150 kB gzip;
- first contentful paint, largest contentful paint and total blocking time.

It also prints the build's own figure without a browser: the gzip size of the entry
chunk, its static imports and the lot list's chunk (what ``/`` needs before it can show
lots). Without Node.js or Chromium it says so and exits 0.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "dist"
TOOLS = ROOT / "var" / "bench-tools"
LIGHTHOUSE_VERSION = "12.8.2"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
GOALS = {"performance": 90, "accessibility": 95, "best-practices": 95}
JS_GOAL_KB = 150


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _lighthouse() -> Path:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {TOOLS.relative_to(ROOT)}")
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(TOOLS),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )
    return binary


def _static_first_route_kb() -> tuple[float, list[str]]:
    """gzip kB of index.html's scripts and the lot list's chunk, with every chunk they
    import statically (what `/` must download before it can show lots)."""
    index = (DIST / "index.html").read_text()
    pending = re.findall(r'(?:src|href)="/(assets/[^"]+\.js)"', index)
    pending += [str(p.relative_to(DIST)) for p in (DIST / "assets").glob("LotsPage-*.js")]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        code = (DIST / name).read_text()
        # Static imports only (`from"./x.js"`, `import"./x.js"`); `import("./x.js")` is lazy.
        for imported in re.findall(r'(?:from|import)\s*"\./([^"]+\.js)"', code):
            pending.append(f"assets/{imported}")
    names = sorted(seen)
    total = sum(len(gzip.compress((DIST / n).read_bytes(), 9)) for n in names)
    return total / 1000, names


def _serve(var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ALOT_VAR_DIR": str(var_dir),
        "ALOT_WEB_DIR": str(DIST),
        "ALOT_LOG_LEVEL": "WARNING",
        "ALOT_RATE_LIMIT_DEFAULT": "100000/minute",
    }
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "alot"), "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise SystemExit("bench/web.py: alot run ended early")
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("bench/web.py: alot run never became ready")


def _audit(lighthouse: Path, chromium: str, url: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                str(lighthouse),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out.name}",
                "--only-categories=performance,accessibility,best-practices",
                f"--chrome-flags={CHROME_FLAGS}",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": chromium},
        )
        report: dict[str, Any] = json.loads(Path(out.name).read_text())
        return report


def _print_report(name: str, report: dict[str, Any]) -> None:
    print(f"\n{name}: {report['finalDisplayedUrl']}")
    for key, goal in GOALS.items():
        score = round((report["categories"][key]["score"] or 0) * 100)
        mark = "meets" if score >= goal else "BELOW"
        print(f"  {key:<15} {score:>3}   goal >= {goal}  {mark}")
    requests = report["audits"]["network-requests"]["details"]["items"]
    scripts = [r for r in requests if r.get("resourceType") == "Script"]
    wire = sum(r.get("transferSize", 0) for r in scripts) / 1000
    raw = sum(r.get("resourceSize", 0) for r in scripts) / 1000
    mark = "meets" if wire <= JS_GOAL_KB else "ABOVE"
    print(
        f"  JavaScript      {wire:.1f} kB on the wire (gzip), {raw:.1f} kB uncompressed,"
        f" {len(scripts)} files; first-route goal <= {JS_GOAL_KB} kB  {mark}"
    )
    for audit in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time"):
        print(f"  {audit:<26} {report['audits'][audit]['displayValue']}")
    failing = [
        f"{a['id']}"
        for cat in ("accessibility", "best-practices")
        for ref in report["categories"][cat]["auditRefs"]
        if (a := report["audits"][ref["id"]]).get("score") is not None
        and a["score"] < 1
        and ref.get("weight", 0) > 0
    ]
    if failing:
        print(f"  audits not passed: {', '.join(failing)}")


def main() -> int:
    chromium = os.environ.get("ALOT_CHROMIUM", "/usr/bin/chromium")
    if shutil.which("node") is None or not Path(chromium).exists():
        print("bench/web.py: skipped: needs Node.js and Chromium (apt-get install chromium)")
        return 0
    if not (DIST / "index.html").exists():
        print("bench/web.py: skipped: the web client is not built (make web)")
        return 0
    kb, names = _static_first_route_kb()
    mark = "meets" if kb <= JS_GOAL_KB else "ABOVE"
    print(
        f"first route's JavaScript in the build: {kb:.1f} kB gzip ({len(names)} files);"
        f" goal <= {JS_GOAL_KB} kB  {mark}"
    )
    lighthouse = _lighthouse()
    with tempfile.TemporaryDirectory(prefix="alot-bench-web-") as scratch:
        port = _free_port()
        server = _serve(Path(scratch), port)
        try:
            base = f"http://127.0.0.1:{port}"
            lots = httpx.get(f"{base}/api/lots", params={"limit": 1}).json()["items"]
            pages = [("lot list", f"{base}/")]
            if lots:
                pages.append(("lot page", f"{base}/lots/{lots[0]['id']}"))
            for name, url in pages:
                _print_report(name, _audit(lighthouse, chromium, url))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
