"""Helpers for benchmark scripts: run a step in a fresh interpreter, report wall time and peak RSS."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime

_FOOTER = """
import json as _json, resource as _resource
print(_json.dumps({"result": result, "peak_rss_mb": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass(frozen=True)
class Measured:
    label: str
    seconds: float  # wall time of the whole child, interpreter start included
    peak_rss_mb: float  # the child's own peak resident set size
    result: dict  # what the child put in `result`


def run_child(label: str, code: str, env: dict[str, str] | None = None) -> Measured:
    """Run `code` (which must set a JSON-able dict `result`) in a fresh interpreter."""
    script = textwrap.dedent(code) + _FOOTER
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{done.stderr[-3000:]}")
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return Measured(label, seconds, last["peak_rss_mb"], last["result"])


def generate_in_child(domain: str, out, rows: int) -> Measured:
    """`generate(domain)` with seed 42 in a fresh interpreter (wall time, peak RSS, files)."""
    return run_child(
        f"generate {domain}",
        f"""
        from pathlib import Path
        from commercelens.generate import generate
        d = generate({domain!r}, Path({str(out)!r}), rows={rows}, seed=42)
        result = {{"files": d.files}}
        """,
    )


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")
