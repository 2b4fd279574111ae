"""`commercelens serve` for real: a uvicorn process on a free port, called over HTTP with httpx."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from commercelens.api.schemas import BOOKING_EXAMPLE
from commercelens.api.security import HEADER

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("commercelens")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from commercelens.cli.app import main; main()"]


@pytest.fixture(scope="module")
def server(api_settings, api_key, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *_command(),
                "--workdir",
                str(api_settings.home),
                "serve",
                "--port",
                str(port),
                "--no-access-log",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COMMERCELENS_DEBUG": ""},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield base, {HEADER: api_key}, log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_answers_over_http(server):
    base, headers, log = server
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/ready").status_code == 401
        ready = http.get("/ready", headers=headers)
        assert ready.status_code == 200, ready.text
        search = {**BOOKING_EXAMPLE, "searched_at": "2025-07-02T18:30:00Z"}
        scored = http.post("/predict/booking", json=search, headers=headers)
        assert scored.status_code == 200, scored.text
        assert scored.json()["decision"] in {"no_offer", "discount_5pct", "no_discount"}
        assert (
            http.post("/predict/booking", json={**search, "user_id": ""}, headers=headers).status_code == 422
        )
        assert http.get("/docs").status_code == 401 and http.get("/docs", headers=headers).status_code == 200
        metrics = http.get("/metrics", headers=headers).text
        assert 'route="/predict/booking",status="200"' in metrics
    assert "Uvicorn running" in log.read_text() or "Application startup complete" in log.read_text()
