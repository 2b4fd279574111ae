"""Drive `commercelens dashboard` in Debian's headless Chromium with Playwright (no browser download).

Used by the end-to-end test (tests/dashboard/test_browser.py) and by benchmarks/dashboard.py,
which records the page load times and writes the screenshots in docs/screenshots/.

A page counts as loaded when its title is on screen, Streamlit's script run has finished
(`stApp[data-test-script-state=notRunning]`) and every visible Altair chart has drawn its canvas or SVG (a chart in a
closed tab draws when the tab opens);
the time is taken from the navigation's start, so it includes the websocket handshake, the
script run (cold or cached reads) and the browser's drawing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# The machine notes' flags: without the background-networking ones Chromium keeps opening
# connections the closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# (url path, title on the page): every page of dashboard/app.py (the default page lives at "/")
PAGES: tuple[tuple[str, str], ...] = (
    ("", "CommerceLens"),
    ("rail", "Rail"),
    ("shop", "Shop funnel"),
    ("fraud", "Fraud"),
    ("models", "Models"),
    ("experiments", "Experiments"),
    ("pricing", "Pricing simulator"),
)
VIEWPORT = {"width": 1400, "height": 900}
LOADED_SCRIPT = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    return charts.filter(c => c.checkVisibility()).every(c => c.querySelector('canvas, svg'));
}"""
CHART_COUNT_SCRIPT = """n => document.querySelectorAll('[data-testid="stVegaLiteChart"]').length >= n"""


@dataclass(frozen=True)
class Visit:
    path: str
    title: str
    seconds: float  # navigation start -> rendered
    screenshot: Path
    charts: int
    exceptions: int
    text: str  # the page's visible text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def commercelens_executable() -> str:
    """The console script beside this interpreter (the project's venv)."""
    candidate = Path(sys.executable).with_name("commercelens")
    return str(candidate) if candidate.exists() else "commercelens"


@contextmanager
def running_dashboard(home: Path, log: Path, port: int | None = None, timeout: float = 90.0) -> Iterator[str]:
    """`commercelens --workdir HOME dashboard --port P` as a subprocess; yields its base URL."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCELENS_")}
    command = [commercelens_executable(), "--workdir", str(home), "dashboard", "--port", str(port)]
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dashboard exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"dashboard not up after {timeout} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[object]:
    """A Playwright browser context of Debian's Chromium with a fresh profile directory."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=VIEWPORT,
        )
        try:
            yield context
        finally:
            context.close()


def visit(
    context,
    url: str,
    path: str,
    title: str,
    screenshot: Path,
    timeout_ms: float = 90_000,
    full: bool = True,
    min_charts: int = 0,
) -> Visit:
    """Open one page, wait until it is rendered, time it, screenshot it (the whole page when `full`;
    growing the viewport to the page's height costs 1-2 s a page, so the test takes the first screen)."""
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(f"{url}/{path}", wait_until="domcontentloaded", timeout=timeout_ms)
        page.locator("h1").filter(has_text=title).first.wait_for(timeout=timeout_ms)
        # the script may not have started yet when the app first reports "not running": wait for
        # the charts the page is known to draw, then for every visible one to be drawn
        page.wait_for_function(CHART_COUNT_SCRIPT, arg=min_charts, timeout=timeout_ms, polling=50)
        page.wait_for_function(LOADED_SCRIPT, timeout=timeout_ms, polling=50)
        seconds = time.perf_counter() - started
        if full:
            full_page(page)
        page.screenshot(path=str(screenshot))
        return Visit(
            path=path,
            title=title,
            seconds=seconds,
            screenshot=screenshot,
            charts=page.locator('[data-testid="stVegaLiteChart"]').count(),
            exceptions=page.locator('[data-testid="stException"]').count(),
            text=page.locator('[data-testid="stApp"]').inner_text(),
        )
    finally:
        page.close()


def full_page(page, limit: int = 8000) -> None:
    """Grow the viewport to the page's height: Streamlit scrolls inside its main element, so a
    full-page screenshot of the document would show only the first screen. Charts and tables can
    grow once they have room, so measure again until the height holds."""
    measured = VIEWPORT["height"]
    for _ in range(4):
        height = page.evaluate(
            """() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebar"]')]
                .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""
        )
        height = min(max(int(height) + 40, VIEWPORT["height"]), limit)
        if height <= measured:
            break
        measured = height
        page.set_viewport_size({"width": VIEWPORT["width"], "height": measured})
        page.wait_for_function(LOADED_SCRIPT, timeout=30_000, polling=50)
        page.wait_for_timeout(300)  # charts redraw at the new size


def visit_all(
    context,
    url: str,
    out_dir: Path,
    pages: Sequence[tuple[str, str]] = PAGES,
    full: bool = True,
    min_charts: dict[str, int] | None = None,
) -> list[Visit]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        visit(
            context,
            url,
            path,
            title,
            out_dir / f"{path or 'overview'}.png",
            full=full,
            min_charts=(min_charts or {}).get(path, 0),
        )
        for path, title in pages
    ]


def shrink_png(source: Path, target: Path, width: int = 1000, max_bytes: int = 150_000) -> int:
    """A smaller copy for the docs: scaled to `width`, 256 colours, narrower until under max_bytes."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        rgb = image.convert("RGB")
    while True:
        scaled = rgb.resize((width, max(1, round(rgb.height * width / rgb.width))), Image.Resampling.LANCZOS)
        scaled.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        size = target.stat().st_size
        if size <= max_bytes or width <= 400:
            return size
        width = int(width * 0.85)
