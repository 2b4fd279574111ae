"""Issue 7 API figures: /predict/booking latency at 200 requests/s, /predict/booking/batch of 1,000,
/predict/fraud/batch of 1,000, /predict/conversion/batch of 1,000.

    cd benchmarks && python api.py --workdir /tmp/fw/home [--rate 200] [--seconds 30] [--batches 30]

Needs a workdir where the demo ran (warehouse and trained booking model). The script

1. starts `commercelens serve --no-access-log` (`--access-log`: with uvicorn's access log, written
   to a file) on a free port, a process of its own, and adds a temporary API key to the workdir
   (revoked at the end);
2. runs the load in another process: an asyncio client (keep-alive connections, requests encoded
   beforehand, a new connection when none is idle) sends POST /predict/booking at a fixed rate,
   open loop: each request leaves at its scheduled time whether or not earlier ones came back,
   and its latency counts from that scheduled time, so a stall is not hidden by the client
   waiting for it; after a warm-up. The searches are drawn from real users of the warehouse,
   routes, lead times, prices and search times after the loaded history. The server's CPU time
   per request is read from /proc;
3. sends 1,000-search batches one after the other (the default, without reason codes, then with
   `?reasons=3`), timing each from send to the last byte of the answer;
4. the same with 1,000-transaction fraud batches: the warehouse's last 1,000 transactions (a
   contiguous slice of every card, as a day's file would be), so each card's history is read up to
   its first transaction in the batch and the batch's earlier transactions are the later ones';
5. the same with 1,000-session conversion batches: the last 1,000 sessions of the feature table,
   each sent as all its RetailRocket rows.

Prints a Markdown summary; `--json` prints the raw figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from _measure import machine, today


def searches(workdir: Path, n: int, seed: int = 7) -> list[dict]:
    """Realistic searches: known users (and a few unknown), after the warehouse's history."""
    import duckdb

    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        users = [r[0] for r in con.sql("select user_id from marts.dim_users order by user_id").fetchall()]
        routes = con.sql(
            "select origin_station, destination_station from marts.fct_searches group by all order by all"
        ).fetchall()
        start = con.sql("select max(booked_at) from marts.fct_bookings").fetchall()[0][0]
    rng = random.Random(seed)
    start = start + timedelta(days=1)
    out = []
    for i in range(n):
        origin, destination = rng.choice(routes)
        searched_at = start + timedelta(seconds=rng.randrange(0, 30 * 86_400))
        out.append(
            {
                "search_id": f"B{i}",
                "user_id": rng.choice(users) if rng.random() < 0.95 else f"U-new-{i}",
                "searched_at": searched_at.isoformat() + "Z",
                "origin_station": origin,
                "destination_station": destination,
                "departure_date": (searched_at.date() + timedelta(days=rng.randrange(0, 90))).isoformat(),
                "passenger_count": rng.choice((1, 1, 1, 2, 2, 3, 4)),
                "quoted_price_eur": round(rng.uniform(15, 250), 2),
            }
        )
    return out


CHANNELS = {"swipe": "Swipe Transaction", "chip": "Chip Transaction", "online": "Online Transaction"}


def transactions(workdir: Path, n: int) -> list[dict]:
    """The warehouse's last `n` transactions in the request layout, oldest first."""
    import duckdb

    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql(
            f"""
            select transaction_id as id, strftime(transaction_at, '%Y-%m-%d %H:%M:%S') as date, client_id,
                card_id, cast(amount as double) as amount, channel, merchant_id, merchant_city,
                merchant_state, cast(zip as double) as zip, mcc, errors,
                strftime(event_at, '%Y-%m-%d %H:%M:%S') as event_time, device_id, merchant_latitude,
                merchant_longitude
            from marts.fct_transactions order by event_at desc, transaction_id desc limit {n}
            """
        ).pl()
    out = []
    for row in reversed(rows.to_dicts()):
        row["use_chip"] = CHANNELS[row.pop("channel")]
        out.append({k: v for k, v in row.items() if v is not None})
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, port: int, log: Path, access_log: bool) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("commercelens")), "--workdir", str(workdir)]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--access-log" if access_log else "--no-access-log"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    raise RuntimeError(f"serve did not start:\n{log.read_text()[-3000:]}")


# --- the load process ------------------------------------------------------------------------


class _Connections:
    """Keep-alive HTTP/1.1 connections with pre-encoded requests: a load client that costs tens of
    microseconds of CPU per request (httpx costs about a millisecond, which on two cores shared
    with the server would measure the client)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def request(self, data: bytes) -> int:
        reused = bool(self.idle)
        reader, writer = self.idle.pop() if reused else await self._open()
        writer.write(data)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            # the server closed an idle keep-alive connection (uvicorn: after 5 s): a new one
            writer.close()
            reader, writer = await self._open()
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        self.idle.append((reader, writer))
        return status

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)


def _encoded(host: str, port: int, key: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST /predict/booking HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _open_loop(base: str, key: str, bodies: list[dict], rate: float, seconds: float, warmup: float):
    host, port = base.removeprefix("http://").split(":")
    requests = [_encoded(host, int(port), key, body) for body in bodies]
    connections = _Connections(host, int(port))
    loop = asyncio.get_running_loop()
    total = int(rate * (seconds + warmup))
    latencies = np.full(total, np.nan)
    statuses: dict[int, int] = {}
    begin = loop.time() + 0.2

    async def one(i: int) -> None:
        scheduled = begin + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        status = await connections.request(requests[i % len(requests)])
        latencies[i] = loop.time() - scheduled
        statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = loop.time() - begin
    return latencies[int(rate * warmup) :], statuses, total / elapsed, connections.opened


def load_main(args: argparse.Namespace) -> None:
    bodies = json.loads(Path(args.bodies).read_text())
    measured, statuses, achieved, opened = asyncio.run(
        _open_loop(args.base, args.key, bodies, args.rate, args.seconds, args.warmup)
    )
    ms = measured * 1000
    print(
        json.dumps(
            {
                "requests": len(ms),
                "achieved_rate": achieved,
                "connections": opened,
                "statuses": statuses,
                "p50_ms": float(np.percentile(ms, 50)),
                "p90_ms": float(np.percentile(ms, 90)),
                "p99_ms": float(np.percentile(ms, 99)),
                "max_ms": float(ms.max()),
            }
        )
    )


# --- batches (from the main process, one at a time) ---------------------------------------------


def sessions(workdir: Path, n: int) -> list[dict]:
    """The last `n` sessions of `ml.conversion_features` as requests (all their events)."""
    import duckdb

    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql(
            f"""
            select e.session_id, e.event_ms as timestamp, e.visitor_id as visitorid, e.event_type as event,
                e.item_id as itemid, e.transaction_id as transactionid
            from intermediate.int_events_sessionised as e
            where e.session_id in (
                select session_id from ml.conversion_features order by decision_at desc limit {n}
            )
            order by e.session_id, e.event_ms
            """
        ).pl()
    out: dict[str, list[dict]] = {}
    for row in rows.to_dicts():
        session = row.pop("session_id")
        out.setdefault(session, []).append({k: v for k, v in row.items() if v is not None})
    return [{"session_ref": ref, "events": events} for ref, events in out.items()]


def batches(base: str, key: str, rows: list[dict], repeats: int, reasons: int, task: str = "booking") -> dict:
    times = []
    field = {"booking": "searches", "fraud": "transactions", "conversion": "sessions"}[task]
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
        body = json.dumps({field: rows}).encode()
        headers = {"content-type": "application/json"}
        for i in range(repeats + 3):
            started = time.perf_counter()
            response = client.post(f"/predict/{task}/batch?reasons={reasons}", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and len(response.json()["predictions"]) == len(rows), (
                response.text
            )
            if i >= 3:  # warm-up
                times.append(elapsed * 1000)
    return {
        "task": task,
        "rows": len(rows),
        "requests": repeats,
        "reasons": reasons,
        "body_bytes": len(body),
        "p50_ms": float(np.percentile(times, 50)),
        "p90_ms": float(np.percentile(times, 90)),
        "max_ms": float(max(times)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fw/home"))
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument(
        "--access-log", action="store_true", help="serve with uvicorn's access log (to a file)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)  # the load process
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(args)
        return

    from commercelens.api.security import KeyStore

    workdir = args.workdir.resolve()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="commercelens-api-bench-"))
    log = scratch / "serve.log"
    rows = searches(workdir, 2_000)
    payments = transactions(workdir, 1_000)
    shop = sessions(workdir, 1_000)
    bodies = scratch / "searches.json"
    bodies.write_text(json.dumps(rows))
    store = KeyStore.for_workdir(workdir)
    name = f"benchmark-{os.getpid()}"
    key = store.create(name)
    server = None
    try:
        server = start_server(workdir, port, log, args.access_log)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(server.pid)
        load = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load",
                "--base",
                base,
                "--key",
                key,
                "--bodies",
                str(bodies),
                "--rate",
                str(args.rate),
                "--seconds",
                str(args.seconds),
                "--warmup",
                str(args.warmup),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if load.returncode != 0:
            raise RuntimeError(f"the load process failed:\n{load.stderr[-3000:]}")
        single = json.loads(load.stdout.strip().splitlines()[-1])
        load_during = os.getloadavg()
        total = sum(single["statuses"].values())
        single["server_cpu_ms_per_request"] = (cpu_seconds(server.pid) - cpu_before) / total * 1000
        batch = [
            batches(base, key, rows[:1000], args.batches, 0),
            batches(base, key, rows[:1000], max(5, args.batches // 3), 3),
            batches(base, key, payments, max(5, args.batches // 3), 0, "fraud"),
            batches(base, key, payments, max(5, args.batches // 3), 3, "fraud"),
            batches(base, key, shop, args.batches, 0, "conversion"),
            batches(base, key, shop, max(5, args.batches // 3), 3, "conversion"),
        ]
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        store.revoke(name)
    shutil.rmtree(scratch)  # kept (with the server's log) when something failed
    figures = {
        "date": today(),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after_single": load_during,
        "single": single,
        "batch": batch,
        "command": f"python benchmarks/api.py --workdir {args.workdir} --rate {args.rate:g} "
        f"--seconds {args.seconds:g} --batches {args.batches}" + (" --access-log" if args.access_log else ""),
        "started": datetime.now().isoformat(timespec="seconds"),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    s = single
    print(f"{figures['command']} ({figures['date']}, {figures['machine']})")
    print(f"load average before {load_before[0]:.2f}, after the single-search run {load_during[0]:.2f}")
    print(f"server CPU per single-search request: {single['server_cpu_ms_per_request']:.2f} ms")
    print("| measurement | requests | p50 | p90 | p99 | max | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(
        f"| POST /predict/booking at {args.rate:g}/s (achieved {s['achieved_rate']:.0f}/s; statuses "
        f"{s['statuses']}) | {s['requests']:,} | {s['p50_ms']:.2f} ms | {s['p90_ms']:.2f} ms | "
        f"{s['p99_ms']:.2f} ms | {s['max_ms']:.1f} ms | p99 <= 10 ms |"
    )
    for b in batch:
        unit, target = {
            "booking": ("searches", "<= 50 ms"),
            "fraud": ("transactions", "-"),
            "conversion": ("sessions", "-"),
        }[b["task"]]
        print(
            f"| POST /predict/{b['task']}/batch, {b['rows']:,} {unit}, reasons={b['reasons']} "
            f"({b['body_bytes'] / 1e6:.2f} MB) | {b['requests']} | {b['p50_ms']:.1f} ms | {b['p90_ms']:.1f} ms | - | "
            f"{b['max_ms']:.1f} ms | {target} |"
        )


if __name__ == "__main__":
    main()
