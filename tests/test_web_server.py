"""The production form of the géoportail (proximite.web.server): two workers, loopback only.

The lifecycle tests are destructive: a lost data file must stop the server (no restart
loop), on a server of its own; killing the supervisor must stop its workers, on the
module's server, which is why that test is the module's last (a server start is a few
seconds of three processes importing the whole stack).

The server runs as a subprocess (uvicorn workers are separate processes built from an
import string); it is stopped, with its whole process group, at the end of the module.
To know that *each* worker answers correctly, the other one is paused (SIGSTOP) for the
few milliseconds of the requests: new connections can then only be accepted by the
worker under test. The pause is far below uvicorn's 5 s health check, so the supervisor
does not replace the paused worker.
"""

from __future__ import annotations

import contextlib
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
from pathlib import Path

import pytest

from proximite.web.server import PORTAL_FILE_ENV

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

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

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


def _launch(port: int, code: str) -> tuple[RunningServer, threading.Thread]:
    """Run ``code`` in a new process group, its output collected line by line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    running = RunningServer(port, proc)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            running.lines.append(line.rstrip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return running, reader


#: The server's code: the parent loads the pickled stand-in demo portal (built once per
#: test run by the ``demo_portal_file`` fixture) and shares it with its workers.
SERVE = ("import pickle, pathlib; "
         "from proximite.web.server import serve; "
         "data = pickle.loads(pathlib.Path({data!r}).read_bytes()); "
         f"serve(port={{port}}, workers={WORKERS}, data=data)")


@pytest.fixture(scope="module")
def server(demo_portal_file: Path) -> Iterator[RunningServer]:
    port = _free_port()
    running, reader = _launch(port, SERVE.format(port=port, data=str(demo_portal_file)))
    proc = running.proc
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
        for pid in running.worker_pids:  # workers that outlived a killed supervisor
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
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
    # Same answer from every worker (each read the data the parent shared).
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


# ---------------------------------------------------------------- process lifecycle
# A lost data file stops the server (no restart loop); killing the supervisor stops its
# workers. Real processes, real signals.


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as stopped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait(predicate, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture()
def served(demo_portal_file: Path) -> Iterator[RunningServer]:
    """A server of its own (the parent loads the demo and shares it with its workers),
    killed with its whole process group at the end whatever happened."""
    port = _free_port()
    running, reader = _launch(port, SERVE.format(port=port, data=str(demo_portal_file)))
    proc = running.proc
    try:
        if not _wait(lambda: running.count("Application startup complete.") >= WORKERS
                     or proc.poll() is not None, STARTUP_TIMEOUT_S):
            pytest.fail("server not ready:\n" + "\n".join(running.lines))
        assert proc.poll() is None, "\n".join(running.lines)
        yield running
    finally:
        pids = running.worker_pids
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in pids:  # workers that outlived a killed supervisor are in the group too
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        reader.join(timeout=5)


def _data_file(pid: int) -> Path:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        env = dict(item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item)
    return Path(env[PORTAL_FILE_ENV.encode()].decode())


def test_a_lost_data_file_stops_the_server_instead_of_restarting_workers(served) -> None:
    workers = served.worker_pids
    shared = _data_file(workers[0])
    assert shared.is_file()
    shared.unlink()  # a /tmp cleaner, say
    # The supervisor is paused while the worker dies: uvicorn checks a worker with
    # ``is_alive()`` then a ping, and a worker that dies between the two is only noticed
    # when the ping times out (WORKER_HEALTHCHECK_S, 120 s): a race of uvicorn's, not the
    # behaviour under test. Resumed once the worker is a zombie, it sees a dead worker.
    supervisor = served.proc.pid
    os.kill(supervisor, signal.SIGSTOP)
    try:
        os.kill(workers[0], signal.SIGKILL)  # the supervisor will try to replace it
        assert _wait(lambda: not _alive(workers[0]), 30), "the worker did not die"
    finally:
        os.kill(supervisor, signal.SIGCONT)
    assert _wait(lambda: served.proc.poll() is not None, 90), "\n".join(served.lines)
    time.sleep(0.5)
    started = served.count("Started server process")
    assert started <= WORKERS + 1  # at most one replacement was tried: no loop
    assert served.count("portal data file unreadable") == 1  # the worker's log line
    assert served.count("a disparu") == 1 and served.count("serveur arrêté") == 1  # the CLI
    assert served.proc.returncode != 0
    assert not any(_alive(pid) for pid in served.worker_pids)


def test_killing_the_supervisor_stops_its_workers(server: RunningServer) -> None:
    """The module's last test: it kills the module's server."""
    workers = server.worker_pids
    assert len(workers) == WORKERS and all(_alive(pid) for pid in workers)
    os.kill(server.proc.pid, signal.SIGKILL)  # no chance to stop them itself
    assert _wait(lambda: not any(_alive(pid) for pid in workers), 20), (
        [pid for pid in workers if _alive(pid)])
