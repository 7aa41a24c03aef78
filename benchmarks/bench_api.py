"""Load test of GET /api/services/near (target: p95 < 50 ms with 50 concurrent clients).

Run: ``.venv/bin/python benchmarks/bench_api.py [--requests 2000] [--clients 50]``.

Why a subprocess for the server: the clients run in this process, and sharing one GIL
with uvicorn would charge the client's own work to the server's latency. The server is
``create_app(PortalData.demo())`` on 127.0.0.1, on a free port picked by the OS, and is
stopped at the end. The load is bounded (a fixed number of requests and at most
:data:`MAX_SECONDS`). Two baselines are measured in the same run: the trivial
``GET /api/categories`` under the same load (cost of HTTP + FastAPI alone), and the
same near handler called directly in this process, without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

HOST = "127.0.0.1"
TARGET_P95_MS = 50.0
MAX_SECONDS = 60.0
STARTUP_TIMEOUT_S = 90.0
CATEGORY = "la_poste"
SEED = 20261123


@dataclass
class LoadResult:
    """Latencies (ms) of the completed requests, errors and wall time of one load run."""

    latencies_ms: list[float]
    errors: int
    wall_s: float
    stopped_by_time: bool
    error_kinds: Counter[str] = field(default_factory=Counter)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    def line(self, label: str) -> str:
        done = len(self.latencies_ms)
        return (f"{label:<28} n={done:5d} errors={self.errors:3d} "
                f"p50={self.percentile(50):7.2f} ms p95={self.percentile(95):7.2f} ms "
                f"p99={self.percentile(99):7.2f} ms "
                f"throughput={done / self.wall_s if self.wall_s else 0:7.1f} req/s"
                + (" (stopped by the time limit)" if self.stopped_by_time else "")
                + (f" error kinds: {dict(self.error_kinds)}" if self.error_kinds else ""))


def free_port() -> int:
    """A port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def serve(port: int) -> None:
    """Server side (run in the subprocess): the demo API on 127.0.0.1:port."""
    import uvicorn

    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    uvicorn.run(create_app(PortalData.demo()), host=HOST, port=port, log_level="warning",
                access_log=False)


def wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> float:
    """Seconds until /api/categories answers; raises if the server died or timed out."""
    start = time.perf_counter()
    while time.perf_counter() - start < STARTUP_TIMEOUT_S:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/api/categories", timeout=1.0).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server not ready after {STARTUP_TIMEOUT_S:.0f} s")


async def run_load(base_url: str, paths: list[str], clients: int) -> LoadResult:
    """``clients`` concurrent workers share the ``paths`` queue; stop at MAX_SECONDS."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    errors = 0
    error_kinds: Counter[str] = Counter()
    start = time.perf_counter()
    deadline = start + MAX_SECONDS
    stopped = False
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:
        async def worker() -> None:
            nonlocal errors, stopped
            while not queue.empty():
                if time.perf_counter() > deadline:
                    stopped = True
                    return
                path = queue.get_nowait()
                sent = time.perf_counter()
                try:
                    response = await client.get(path)
                    kind = "" if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                if not kind:
                    latencies.append((time.perf_counter() - sent) * 1000)
                else:
                    errors += 1
                    error_kinds[kind] += 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    return LoadResult(latencies, errors, time.perf_counter() - start, stopped, error_kinds)


def in_process_baseline(communes: list[str], n: int) -> LoadResult:
    """The same near handler called directly (no HTTP, no JSON), one call at a time."""
    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    app = create_app(PortalData.demo())
    handler = next(r.endpoint for r in app.routes
                   if getattr(r, "path", "") == "/api/services/near")
    rng = random.Random(SEED + 1)
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        sent = time.perf_counter()
        handler(category=CATEGORY, commune=rng.choice(communes), lon=None, lat=None,
                limit=10, at=None)
        latencies.append((time.perf_counter() - sent) * 1000)
    return LoadResult(latencies, 0, time.perf_counter() - start, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        print(f"server ready on {base_url} after {wait_ready(base_url, server):.1f} s "
              "(demo built at start-up)", flush=True)
        communes = sorted(str(c["code_insee"]) for c in httpx.get(
            f"{base_url}/api/communes", params={"q": "a", "limit": 50}).json()["results"])
        from proximite.web.store import PortalData  # noqa: F401  (import cost outside timing)

        rng = random.Random(SEED)
        near_paths = [f"/api/services/near?commune={rng.choice(communes)}&category={CATEGORY}"
                      for _ in range(args.requests)]
        asyncio.run(run_load(base_url, near_paths[:100], args.clients))  # warm-up
        near = asyncio.run(run_load(base_url, near_paths, args.clients))
        trivial = asyncio.run(run_load(base_url, ["/api/categories"] * args.requests,
                                       args.clients))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    direct = in_process_baseline(communes, min(args.requests, 500))

    print(f"{args.requests} requests, {args.clients} concurrent clients, "
          f"{len(communes)} demo communes drawn at random (seed {SEED}), max {MAX_SECONDS:.0f} s")
    print(near.line("GET /api/services/near"))
    print(trivial.line("GET /api/categories (base)"))
    print(direct.line("near handler in-process"))
    p95 = near.percentile(95)
    print(f"ratio p50 near / categories over HTTP: "
          f"{near.percentile(50) / trivial.percentile(50):.2f}")
    print(f"ratio p50 near over HTTP / handler in-process: "
          f"{near.percentile(50) / direct.percentile(50):.1f}")
    print(f"server-side work per near request (in-process mean): "
          f"{statistics.fmean(direct.latencies_ms):.2f} ms -> ceiling "
          f"{1000 / statistics.fmean(direct.latencies_ms):.0f} req/s on one core")
    verdict = "PASS" if near.errors == 0 and p95 < TARGET_P95_MS else "FAIL"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms at {args.clients} clients: {verdict} "
          f"(p95 {p95:.1f} ms, ratio to target {p95 / TARGET_P95_MS:.2f})")


if __name__ == "__main__":
    main()
