"""Load test of GET /api/services/near (target: p95 < 50 ms with 50 concurrent clients).

Run: ``.venv/bin/python benchmarks/bench_api.py [--requests 20000] [--clients 50]``.
Needs the ``wrk`` load generator (Debian: ``apt-get install wrk``); exits 2 without it.

What is measured. The server is the production form, :mod:`proximite.web.server`
(uvicorn, uvloop, httptools, one worker process per core, access log off), started as a
subprocess on 127.0.0.1 on a free port picked by the OS, and always stopped at the end
(its whole process group). The clients are ``wrk``, a C load generator: ``--clients``
keep-alive connections, each sending its next request as soon as the previous answer
arrives (closed loop, so 50 connections = 50 concurrent clients). A wrk Lua script,
written to a temporary file, rotates the requests over every demo commune × every
category that has data (152 × 8 = 1,216 distinct URLs), counts non-2xx answers, stops
each wrk thread after its share of ``--requests`` and prints p50/p95/p99 from wrk's
latency histogram. Every run is bounded both in count and in time (``--max-seconds``).

Warm-up and cache. Each worker memoises its answers (road times of a commune × category
and service records) and fills that memo when it starts (``PortalData.warm``, about 1 s),
before it accepts connections. The warm-up phase below (every URL ``--warmup-passes``
times, default 3 per worker) then only warms the connections, the interpreter and the
allocator; it is printed, not judged. A cold answer costs about 1 ms in process (printed).

Baselines in the same run: ``GET /api/categories`` under the same load (HTTP + FastAPI
plus a handler returning a list built at start-up: the cost of the stack alone) and both
handlers called directly in this process, without HTTP (measured before the server
starts, so on an idle machine; the handlers are coroutines that never wait on the
commune path, driven here by ``send(None)`` with no event loop).
``--server-module`` runs another server module instead, to compare setups.

A served diagnostic beside the demo, in the same run (issue 15: the géoportail over the
national outputs): ``--diagnostic /tmp/fr_out`` also starts ``proximite serve --diagnostic``
on that folder and measures it the same way, over as many near URLs as the demo (communes
of its ``communes.csv`` drawn at random, seeded, times its categories with data), and
prints the ratios of its p50/p95/p99 to the demo's. Both portals also get a commune-search
run (``/api/communes?q=``: the prefixes of 3 to 8 letters of the demo's names, the same
queries on both). The warm-up line is the cold pass: a national portal searches each
commune on its first request.

Exit code: 0 when p95 < TARGET_P95_MS with no error, 1 otherwise, 2 when wrk is missing
or the server does not start.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HOST = "127.0.0.1"
TARGET_P95_MS = 50.0
MAX_SECONDS = 60
STARTUP_TIMEOUT_S = 90.0
READY_LINE = "Application startup complete."

# The wrk script. Globals set per thread: TID (1-based). %(...)s parts filled from Python.
LUA_TEMPLATE = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk_id, bench_timespec_t *tp);
]]
local ts = ffi.new("bench_timespec_t")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local paths = {%(paths)s}
local n_threads = %(threads)d
local per_thread = %(per_thread)d

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("TID", #threads)
end

function init(args)
  reqs = {}
  for i, p in ipairs(paths) do reqs[i] = wrk.format("GET", p) end
  cursor = math.floor((TID - 1) * #paths / n_threads)
  answered, non2xx, t_first, t_last = 0, 0, 0, 0
end

function request()
  if t_first == 0 then t_first = now_us() end
  cursor = cursor %% #reqs + 1
  return reqs[cursor]
end

function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if answered == per_thread then
    t_last = now_us()
    io.write("bench-thread-done\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local non2xx_all, answered_all, first, last, complete = 0, 0, nil, 0, 0
  for _, t in ipairs(threads) do
    non2xx_all = non2xx_all + t:get("non2xx")
    answered_all = answered_all + t:get("answered")
    local tf, tl = t:get("t_first"), t:get("t_last")
    if tf > 0 and (first == nil or tf < first) then first = tf end
    if tl > last then last = tl end
    if tl > 0 then complete = complete + 1 end
  end
  local e = summary.errors
  local window = (complete == #threads and first ~= nil) and (last - first) or summary.duration
  io.write(string.format(
    "bench-result requests=%%d answered=%%d window_us=%%d duration_us=%%d " ..
    "p50_us=%%d p95_us=%%d p99_us=%%d max_us=%%d mean_us=%%d " ..
    "connect=%%d read=%%d write=%%d timeout=%%d status=%%d non2xx=%%d complete=%%d\n",
    summary.requests, answered_all, window, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.timeout, e.status, non2xx_all,
    complete == #threads and 1 or 0))
end
"""


@dataclass
class WrkResult:
    """One bounded wrk run, read from the line the Lua ``done()`` prints."""

    label: str
    fields: dict[str, int]
    raw: str

    @property
    def errors(self) -> int:
        f = self.fields
        return f["connect"] + f["read"] + f["write"] + f["timeout"] + f["non2xx"]

    def ms(self, key: str) -> float:
        return self.fields[key] / 1000

    @property
    def throughput(self) -> float:
        return self.fields["answered"] / (self.fields["window_us"] / 1e6)

    def line(self) -> str:
        stopped = "" if self.fields["complete"] else " (stopped by the time limit)"
        return (f"{self.label:<28} n={self.fields['answered']:6d} errors={self.errors:3d} "
                f"p50={self.ms('p50_us'):6.2f} ms p95={self.ms('p95_us'):6.2f} ms "
                f"p99={self.ms('p99_us'):6.2f} ms max={self.ms('max_us'):7.2f} ms "
                f"throughput={self.throughput:7.0f} req/s{stopped}")


def free_port() -> int:
    """A port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _routes(app: Any) -> list[Any]:
    """Every route of the app; FastAPI 0.165 keeps an included router's routes inside an
    ``_IncludedRouter`` entry (``original_router``) rather than copying them."""
    out = []
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        out += _routes(inner) if inner is not None else [route]
    return out


def in_process_baseline() -> tuple[list[str], list[str], list[str], list[str]]:
    """Commune codes, categories with data, what the handlers cost in process, and the
    communes' folded names."""
    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    data = PortalData.demo()
    communes = sorted(data.communes)
    categories = list(data.categories_with_data)
    app = create_app(data)
    endpoints = {getattr(r, "path", ""): getattr(r, "endpoint", None) for r in _routes(app)}
    near, listing = endpoints["/api/services/near"], endpoints["/api/categories"]
    pairs = [(c, k) for c in communes for k in categories]
    # The routers' handlers find the data on request.app.state (set by create_app).
    request = SimpleNamespace(app=app)

    def call(handler, **params):  # type: ignore[no-untyped-def]
        """Run a handler; an ``async`` one that never waits ends at its first send."""
        answer = handler(**params)
        if not hasattr(answer, "send"):
            return answer
        try:
            answer.send(None)
        except StopIteration as done:
            return done.value
        raise RuntimeError("the handler waited: cannot time it without an event loop")

    timings: list[list[float]] = []
    for _ in range(2):  # first pass cold (nothing memoised), second warm
        run = []
        for commune, category in pairs:
            sent = time.perf_counter()
            call(near, request=request, category=category, commune=commune, lon=None,
                 lat=None, limit=10, at=None)
            run.append((time.perf_counter() - sent) * 1000)
        timings.append(run)
    cold, warm = timings
    listed = []
    for _ in range(300):
        sent = time.perf_counter()
        call(listing, request=request)
        listed.append((time.perf_counter() - sent) * 1000)
    lines = [f"{'near handler in-process':<28} n={len(warm):6d} cold mean="
             f"{sum(cold) / len(cold):.3f} ms; warm p50={percentile(warm, 50):.3f} ms "
             f"p95={percentile(warm, 95):.3f} ms mean={sum(warm) / len(warm):.3f} ms",
             f"{'categories handler in-proc.':<28} n={len(listed):6d} "
             f"p50={percentile(listed, 50):.3f} ms p95={percentile(listed, 95):.3f} ms "
             "(a list built at start-up)"]
    return communes, categories, lines, [data.communes[c].folded for c in communes]


def national_paths(base_url: str, diagnostic: Path | None, count: int) -> list[str]:
    """``count`` near URLs over a served diagnostic: communes drawn at random (seeded)
    from its communes.csv, times its categories with data (asked of the server)."""
    import json

    import pandas as pd

    assert diagnostic is not None
    folder = diagnostic if diagnostic.is_dir() else diagnostic.parent
    codes = pd.read_csv(folder / "communes.csv", usecols=["code_insee"],
                        dtype=str)["code_insee"].tolist()
    with urllib.request.urlopen(f"{base_url}/api/categories", timeout=30) as answer:
        categories = [c["code"] for c in json.load(answer) if c["has_data"]]
    rng = random.Random(20261201)
    picked = rng.sample(codes, min(len(codes), -(-count // len(categories))))
    return [f"/api/services/near?commune={c}&category={k}"
            for c in picked for k in categories][:count]


class Server:
    """``python -m proximite.web.server`` in its own process group, logs collected."""

    def __init__(self, port: int, workers: int, module: str = "proximite.web.server",
                 diagnostic: Path | None = None) -> None:
        self.workers = workers
        self.base_url = f"http://{HOST}:{port}"
        self.lines: list[str] = []
        command = [sys.executable, "-m", module, "--host", HOST, "--port", str(port),
                   "--workers", str(workers), "--log-level", "info"]
        if diagnostic is not None:  # what a user runs: proximite serve --diagnostic
            command = [sys.executable, "-c", "from proximite.cli import app; app()",
                       "serve", "--diagnostic",
                       str(diagnostic), "--host", HOST, "--port", str(port),
                       "--workers", str(workers)]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        """Seconds until every worker has started and the API answers; raises otherwise."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with code {self.proc.returncode}:\n"
                                   + "\n".join(self.lines[-20:]))
            if sum(READY_LINE in line for line in self.lines) >= self.workers:
                try:
                    with urllib.request.urlopen(f"{self.base_url}/api/categories",
                                                timeout=2) as answer:
                        if answer.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    pass
            time.sleep(0.2)
        raise TimeoutError(f"server not ready after {timeout_s:.0f} s:\n"
                           + "\n".join(self.lines[-20:]))

    def stop(self) -> None:
        """SIGTERM to the whole group (supervisor and workers), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self._reader.join(timeout=5)


def run_wrk(wrk: str, label: str, base_url: str, paths: list[str], total: int, clients: int,
            threads: int, max_seconds: int) -> WrkResult:
    """One wrk run over ``paths`` in rotation, at most ``total`` answers and ``max_seconds``.

    wrk itself always sleeps for its whole ``-d``; the script prints a line when a thread
    has had its share of answers, and wrk is interrupted (SIGINT, which still runs
    ``done()``) once every thread has: the count bound ends the run, the time bound caps it.
    """
    threads = max(1, min(threads, clients))
    per_thread = -(-total // threads)
    script = LUA_TEMPLATE % {"paths": ",".join(f'"{p}"' for p in paths),
                             "threads": threads, "per_thread": per_thread}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    command = [wrk, "-t", str(threads), "-c", str(clients), "-d", f"{max_seconds}s",
               "--timeout", "10s", "--latency", "-s", script_path, base_url]
    out: list[str] = []
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        deadline = time.monotonic() + max_seconds + 30
        killer = threading.Timer(max_seconds + 30, proc.kill)
        killer.start()
        try:
            assert proc.stdout is not None
            finished = 0
            for line in proc.stdout:
                out.append(line.rstrip())
                if line.startswith("bench-thread-done"):
                    finished += 1
                    if finished == threads:
                        proc.send_signal(signal.SIGINT)
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            killer.cancel()
    finally:
        Path(script_path).unlink(missing_ok=True)
    result = next((line for line in out if line.startswith("bench-result ")), None)
    if result is None:
        raise RuntimeError(f"wrk gave no result (exit {proc.returncode}):\n" + "\n".join(out))
    fields = {k: int(float(v)) for k, v in re.findall(r"(\w+)=(-?[\d.]+)", result)}
    return WrkResult(label, fields, "\n".join(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000,
                        help="answers measured per run (default 20000)")
    parser.add_argument("--clients", type=int, default=50,
                        help="concurrent clients = open connections (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server worker processes (default: one per core)")
    parser.add_argument("--warmup-passes", type=int, default=None,
                        help="times every URL is sent before measuring (default 3 per worker)")
    parser.add_argument("--max-seconds", type=int, default=MAX_SECONDS,
                        help=f"time bound of each wrk run (default {MAX_SECONDS})")
    parser.add_argument("--startup-seconds", type=float, default=STARTUP_TIMEOUT_S,
                        help="how long the workers may take to build the demo (loaded host)")
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's own report")
    parser.add_argument("--show-server-log", action="store_true", help="print the server's log")
    parser.add_argument("--diagnostic", type=Path, default=None,
                        help="also serve this diagnostic output (proximite serve "
                             "--diagnostic, e.g. a national run) in the same run, over as "
                             "many URLs as the demo (its communes sampled), and give the "
                             "ratios to the demo")
    parser.add_argument("--server-module", default="proximite.web.server",
                        help="module run with -m to serve (to compare server setups; it must "
                             "take --host --port --workers --log-level)")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench_api: the 'wrk' load generator is not installed; on Debian or Ubuntu: "
              "apt-get install wrk", file=sys.stderr)
        return 2
    from proximite.web.server import default_workers

    workers = args.workers or default_workers()
    passes = args.warmup_passes if args.warmup_passes is not None else 3 * workers

    communes, categories, direct_lines, names = in_process_baseline()
    near_paths = [f"/api/services/near?commune={c}&category={k}"
                  for c in communes for k in categories]
    # the same queries on every portal: prefixes (3 to 8 letters) of the demo's names
    search_paths = sorted({f"/api/communes?q={urllib.parse.quote(name[:n])}"
                           for name in names for n in range(3, 9) if len(name) >= n})
    common = {"clients": args.clients, "threads": args.threads,
              "max_seconds": args.max_seconds}

    def measure(label: str, diagnostic: Path | None,
                paths: list[str] | None) -> tuple[list[WrkResult], list[str]] | None:
        server = Server(free_port(), workers, args.server_module, diagnostic)
        try:
            try:
                startup = args.startup_seconds if diagnostic is None else max(
                    args.startup_seconds, 900.0)
                ready = server.wait_ready(startup)
            except (RuntimeError, TimeoutError) as exc:
                print(f"bench_api: {exc}", file=sys.stderr)
                return None
            if paths is None:  # communes of the served diagnostic x its categories
                paths = national_paths(server.base_url, diagnostic, len(near_paths))
            print(f"{label}: server ready on {server.base_url} after {ready:.1f} s "
                  f"({workers} workers, uvloop + httptools)", flush=True)
            results = [
                run_wrk(wrk, f"{label}: warm-up (cold)", server.base_url, paths,
                        passes * len(paths), **common),
                run_wrk(wrk, f"{label}: near", server.base_url, paths, args.requests,
                        **common),
                run_wrk(wrk, f"{label}: commune search", server.base_url, search_paths,
                        args.requests, **common),
                run_wrk(wrk, f"{label}: categories (base)", server.base_url,
                        ["/api/categories"], args.requests, **common)]
        finally:
            server.stop()
        return results, server.lines

    measured = measure("demo", None, near_paths)
    if measured is None:
        return 2
    (warm, near, search, trivial), lines = measured
    national: list[WrkResult] = []
    if args.diagnostic is not None:
        other = measure("served diagnostic", args.diagnostic, None)
        if other is None:
            return 2
        national, more = other
        lines += more

    print(f"{args.requests} answers per run, {args.clients} concurrent clients (wrk, "
          f"{args.threads} thread(s), keep-alive), {len(near_paths)} near URLs in "
          f"rotation on each portal ({len(communes)} communes × {len(categories)} "
          f"categories on the demo), {len(search_paths)} commune-search URLs; warm-up "
          f"{passes} pass(es); each run bounded to {args.max_seconds} s; load average "
          + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    for result in (warm, near, search, trivial, *national):
        if args.show_wrk:
            print(result.raw)
        print(result.line())
    print("\n".join(direct_lines))
    if args.show_server_log:
        print("\n".join(lines))
    if national:
        for mine, theirs in zip(national[1:3], (near, search), strict=True):
            print(f"ratio {mine.label} / demo: " + ", ".join(
                f"{key[:3]} {mine.ms(key) / theirs.ms(key):.2f}"
                for key in ("p50_us", "p95_us", "p99_us")))
    p95 = near.ms("p95_us")
    print(f"ratio p95 near / categories over HTTP: {p95 / trivial.ms('p95_us'):.2f}")
    passed = near.errors == 0 and near.fields["complete"] == 1 and p95 < TARGET_P95_MS
    if national:
        served = national[1]
        passed = passed and served.errors == 0 and served.ms("p95_us") < TARGET_P95_MS
        print(f"target p95 < {TARGET_P95_MS:.0f} ms on the served diagnostic: "
              f"{'PASS' if served.ms('p95_us') < TARGET_P95_MS else 'FAIL'} "
              f"(p95 {served.ms('p95_us'):.1f} ms)")
    print(f"target p95 < {TARGET_P95_MS:.0f} ms at {args.clients} clients: "
          f"{'PASS' if passed else 'FAIL'} (p95 {p95:.1f} ms, ratio to target "
          f"{p95 / TARGET_P95_MS:.2f})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
