"""`make demo` wall time from an installed environment (issue 2).

    python benchmarks/demo_wall.py

Runs `commercelens demo` twice in a fresh workdir: the first run generates and loads
everything, the second finds the same data and skips every unchanged file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import machine, today


def timed_demo(home: Path) -> float:
    env = {**os.environ, "COMMERCELENS_HOME": str(home)}
    env.pop("COMMERCELENS_PII_KEY", None)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "commercelens.cli.app", "demo"], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first = timed_demo(Path(tmp))
        second = timed_demo(Path(tmp))
    print(f"machine: {machine()}; date: {today()}")
    print("| run | seconds |\n|---|---:|")
    print(f"| `commercelens demo` (small), fresh workdir | {first:.1f} |")
    print(f"| `commercelens demo` again (data reused, files unchanged) | {second:.1f} |")


if __name__ == "__main__":
    main()
