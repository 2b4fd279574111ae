"""Issue 7 figure: dashboard page load time per page in headless Chromium, and the docs' screenshots.

    cd benchmarks && ../.venv/bin/python dashboard.py [--workdir W] [--repeats 3]
        [--screenshots ../docs/screenshots] [--dir SCRATCH]

`--workdir W` names a workdir where `commercelens demo` has run; without it the script first runs
`commercelens --workdir SCRATCH/home demo --scale small` (several minutes, not part of any
figure). Then it starts `commercelens --workdir W dashboard --port P` (a subprocess, exactly as a
user would) and opens every page in Debian's headless Chromium through Playwright, with the
driver of the browser test (tests/dashboard/browser.py):

- cold: the first visit of each page after the server started (imports, warehouse reads,
  the booking model and the users' history for the simulator);
- warm: `--repeats` later visits of each page in new tabs (Streamlit's caches filled), median.

A page is loaded when its title is on screen, the script run has finished and every visible
chart has drawn; the time runs from the start of the navigation. The 1-minute load average is read
before each pass (the machines are shared). The cold pass's screenshots, shrunk to at most
150 KB each, go to `--screenshots`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import machine, today

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard.browser import (  # noqa: E402
    CHROMIUM,
    PAGES,
    chromium,
    running_dashboard,
    shrink_png,
    visit,
    visit_all,
)


def load_average() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    scratch = args.dir or Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    home = args.workdir
    if home is None:
        home = scratch / "home"
        exe = Path(sys.executable).with_name("commercelens")
        print(f"running `commercelens --workdir {home} demo --scale small` first ...", flush=True)
        subprocess.run([str(exe), "--workdir", str(home), "demo", "--scale", "small"], check=True)
    shots = scratch / "screenshots"
    loads = {"cold": load_average()}
    with (
        running_dashboard(home, scratch / "dashboard.log") as url,
        chromium(scratch / "chromium-profile") as context,
    ):
        cold = visit_all(context, url, shots)
        loads["warm"] = load_average()
        warm: dict[str, list[float]] = {path: [] for path, _ in PAGES}
        for _ in range(args.repeats):
            for path, title in PAGES:
                warm[path].append(visit(context, url, path, title, scratch / "warm.png", full=False).seconds)
    print(f"\nworkdir {home}; {machine()}; {today()}")
    print(
        f"load average (1 min): {loads['cold']:.2f} before the cold pass, {loads['warm']:.2f} before the warm passes\n"
    )
    print(f"| page | charts | cold (s) | warm, median of {args.repeats} (s) | warm min-max (s) |")
    print("|---|---:|---:|---:|---:|")
    for v in cold:
        times = warm[v.path]
        print(
            f"| {v.title if v.path else 'Overview'} (`/{v.path}`) | {v.charts} | {v.seconds:.2f} | **{statistics.median(times):.2f}** "
            f"| {min(times):.2f}-{max(times):.2f} |"
        )
    args.screenshots.mkdir(parents=True, exist_ok=True)
    print()
    for v in cold:
        target = args.screenshots / f"{v.path or 'overview'}.png"
        size = shrink_png(v.screenshot, target)
        print(f"{target}: {size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
