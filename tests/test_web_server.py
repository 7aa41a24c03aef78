"""The production form of the géoportail (proximite.web.server): two workers, loopback only.

The server runs as a subprocess (uvicorn workers are separate processes built from an
import string); it is stopped, with its whole process group, at the end of the module.
To know that *each* worker answers correctly, the other one is paused (SIGSTOP) for the
few milliseconds of the requests: new connections can then only be accepted by the
worker under test. The pause is far below uvicorn's 5 s health check, so the supervisor
does not replace the paused worker.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc and pauses processes with SIGSTOP")

HOST = "127.0.0.1"
WORKERS = 2
STARTUP_TIMEOUT_S = 90.0
NEAR = "/api/services/near?commune=48198&category=la_poste"


@dataclass
class RunningServer:
    port: int
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def worker_pids(self) -> list[int]:
        return [int(m.group(1)) for line in list(self.lines)
                if (m := re.search(r"Started server process \[(\d+)\]", line))]

    def get(self, path: str) -> tuple[int, dict]:
        """One request on a new connection (urllib closes it after the answer)."""
        with urllib.request.urlopen(f"http://{HOST}:{self.port}{path}", timeout=10) as answer:
            return answer.status, json.loads(answer.read())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c",
         f"from proximite.web.server import serve; serve(port={port}, workers={WORKERS})"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    running = RunningServer(port, proc)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            running.lines.append(line.rstrip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while sum("Application startup complete." in line for line in list(running.lines)) \
                < WORKERS:
            if proc.poll() is not None:
                pytest.fail(f"server exited ({proc.returncode}):\n" + "\n".join(running.lines))
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {STARTUP_TIMEOUT_S:.0f} s:\n"
                            + "\n".join(running.lines))
            time.sleep(0.1)
        yield running
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        reader.join(timeout=5)


def _stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ...]."""
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def _parent_pid(pid: int) -> int:
    return int(_stat(pid)[1])


def _check_near(status: int, body: dict) -> None:
    assert status == 200
    times = [s["travel_time_min"] for s in body["services"]]
    assert times, "no La Poste service answered for Villefort"
    assert times == sorted(times)
    assert body["origin"]["code_insee"] == "48198"
    assert all(s["category"] in ("la_poste", "bureau_de_poste", "relais_poste",
                                 "agence_postale") for s in body["services"])


def test_two_workers_under_one_supervisor(server: RunningServer) -> None:
    pids = server.worker_pids
    assert len(set(pids)) == WORKERS
    assert all(_parent_pid(pid) == server.proc.pid for pid in pids)


def test_each_worker_answers_near_sorted_by_travel_time(server: RunningServer) -> None:
    pids = server.worker_pids
    answers = []
    for pid in pids:
        others = [p for p in pids if p != pid]
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 2
            while any(_stat(o)[0] != "T" for o in others) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert all(_stat(o)[0] == "T" for o in others), "the other worker is not paused"
            for _ in range(3):
                answers.append(server.get(NEAR))
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)
    for status, body in answers:
        _check_near(status, body)
    # Same answer from every worker (each built the same demo by itself).
    assert len({json.dumps(body["services"], sort_keys=True) for _, body in answers}) == 1
    # No worker was replaced meanwhile by the supervisor's health check.
    assert server.worker_pids == pids and server.proc.poll() is None


def test_bound_to_loopback_only(server: RunningServer) -> None:
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for row in handle.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.rsplit(":", 1)
                if state == "0A" and int(port, 16) == server.port:  # 0A = LISTEN
                    listening.append((table, address))
    assert listening == [("/proc/net/tcp", "0100007F")]  # 127.0.0.1, no IPv6, no 0.0.0.0
    # Another loopback address of this machine finds nobody listening.
    with pytest.raises(ConnectionRefusedError), \
            socket.create_connection(("127.0.0.2", server.port), timeout=5):
        pass
    assert server.get("/api/categories")[0] == 200
