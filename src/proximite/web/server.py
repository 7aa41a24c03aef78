"""How the géoportail is served: uvicorn with uvloop, httptools and one process per core.

Why this shape: a single uvicorn process (asyncio loop, pure-Python HTTP parser) spends
far more time in the HTTP stack than in the handlers, which answer from memory in well
under a millisecond; several worker processes use every core, and uvloop plus httptools
cut the per-request cost of the loop and of parsing. Access logs are off: one log line
per request is a write per request on a server whose answers cost tens of microseconds.
Each worker freezes its heap once the demo is built (:func:`freeze_heap`), so that the
garbage collector's full passes stop walking the demo's objects.

Uvicorn starts its workers with ``spawn``: each one imports :func:`portal_app` by its
import string. When the caller built the data (``proximite serve`` always does, for the
demo or for the user's territory, so that input errors are reported once, cleanly), the
data are pickled once into a private temporary file (mode 0600, removed on exit) whose path
reaches the workers through :data:`PORTAL_FILE_ENV`; each worker loads it (well under a
second, against a full diagnostic per worker). Without data, each worker builds the demo.
Every worker holds the data in memory and memoises its own answers. The server binds to
127.0.0.1 unless told otherwise.

Two failure modes are closed (both seen on a served instance): a worker that cannot
read the shared data file (removed by a /tmp cleaner, say) stops the whole server with
one log line instead of being restarted by uvicorn's supervisor forever (each restart
re-imports the app: about 0.6 restarts/s, a core burnt); and a worker whose supervisor
dies (SIGKILL, OOM killer) is stopped by the kernel (Linux ``PR_SET_PDEATHSIG``) instead
of serving on, orphaned, with nobody to stop it.

Run: ``python -m proximite.web.server [--port 8000] [--workers N]``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import inspect
import logging
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from proximite.settings import StoreSettings
    from proximite.web.contrib import ContribStore
    from proximite.web.store import PortalData

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Import string of the worker factory (uvicorn workers need a string, not an object).
APP_FACTORY = "proximite.web.server:portal_app"
#: Environment variable naming the pickled PortalData the workers load.
PORTAL_FILE_ENV = "PROXIMITE_PORTAL_FILE"
#: Environment variable holding the contributions store's settings (JSON) for the workers.
STORE_SETTINGS_ENV = "PROXIMITE_CONTRIB_STORE"
#: Environment variable holding the supervisor's pid, for the workers it starts.
SUPERVISOR_PID_ENV = "PROXIMITE_SUPERVISOR_PID"
#: Exit status of a worker whose data file is unreadable: uvicorn's own "startup
#: failure", on which its supervisor stops instead of restarting the worker.
EXIT_NO_DATA = 3
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Seconds a starting worker has to answer the supervisor's health check. Also the
#: longest a worker that dies between uvicorn's ``is_alive()`` and its ping goes
#: unnoticed (a race of uvicorn's supervisor): it is then replaced, just later.
WORKER_HEALTHCHECK_S = 120

logger = logging.getLogger("proximite.web.server")


def stop_with_supervisor() -> None:
    """Have the kernel send SIGTERM to this worker when its supervisor dies (Linux).

    If the supervisor is already gone (it died before this call), stop now. Elsewhere
    than Linux this does nothing.
    """
    supervisor = int(os.environ.get(SUPERVISOR_PID_ENV, "0") or 0)
    if not sys.platform.startswith("linux") or not supervisor:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:  # pragma: no cover
        logger.warning("prctl(PR_SET_PDEATHSIG) refused (errno %d)", ctypes.get_errno())
        return
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGTERM)


def load_shared(path: str) -> PortalData:
    """The data the supervisor pickled; if the file cannot be read, stop the supervisor
    (and so every worker) rather than be restarted in a loop."""
    try:
        with open(path, "rb") as stream:
            return pickle.load(stream)  # our own file: see portal_app
    except (OSError, EOFError, pickle.UnpicklingError) as error:
        logger.error("portal data file unreadable (%s: %s): stopping the server", path, error)
        # older uvicorn releases restart a worker whatever its exit status: ask the
        # supervisor itself to stop.
        supervisor = int(os.environ.get(SUPERVISOR_PID_ENV, "0") or 0)
        if supervisor and supervisor == os.getppid():
            os.kill(supervisor, signal.SIGTERM)
        raise SystemExit(EXIT_NO_DATA) from None


def default_workers() -> int:
    """One worker per core this process may run on (``os.cpu_count()`` as a fallback)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def freeze_heap() -> None:
    """Move everything built so far out of the garbage collector's sight (``gc.freeze``).

    Why: the demo leaves ~120,000 long-lived objects (frames, indexes, graph); every full
    collection walks them all, which takes about 60 ms idle and 100–370 ms was seen under
    load, enough on its own to break a 50 ms p95. Frozen objects are never collected,
    which is right for data that lives as long as the worker.
    """
    gc.collect()
    gc.freeze()


def share_portal(data: PortalData, directory: Path | None = None) -> Path:
    """Pickle ``data`` into a new private file (0600) for the worker processes."""
    handle, name = tempfile.mkstemp(prefix="proximite-portal-", suffix=".pickle",
                                    dir=directory)
    with os.fdopen(handle, "wb") as stream:
        pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
    return Path(name)


def portal_app() -> FastAPI:
    """The app of one worker: the shared data if the parent built them, else the demo.

    Only a file named by our own parent process through :data:`PORTAL_FILE_ENV` is read
    (pickle runs code, so never point it at a file from elsewhere).
    """
    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    stop_with_supervisor()
    shared = os.environ.get(PORTAL_FILE_ENV)
    data = load_shared(shared) if shared else PortalData.demo()
    data.warm()
    app = create_app(data, store=_worker_store())
    freeze_heap()
    return app


def contrib_store(settings: StoreSettings) -> ContribStore:
    """The contributions store of one process (its own engine and connection pool)."""
    from proximite.store.db import database_url, make_engine, session_factory
    from proximite.web.contrib import ContribStore

    return ContribStore(session_factory(make_engine(database_url(settings))), settings)


def _worker_store() -> ContribStore | None:
    import json

    from proximite.settings import StoreSettings

    given = os.environ.get(STORE_SETTINGS_ENV)
    return contrib_store(StoreSettings(**json.loads(given))) if given else None


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, workers: int | None = None,
          *, data: PortalData | None = None, log_level: str = "info",
          allowed_hosts: Sequence[str] | None = None,
          store: StoreSettings | None = None) -> None:
    """Serve the géoportail until interrupted; ``workers`` defaults to one per core.

    ``data``: an already built :class:`PortalData` (default: each worker builds the demo);
    with several workers it is shared through a private pickle file (module docstring).
    ``allowed_hosts``: the setting ``web.allowed_hosts`` of the caller's tree (default: the
    workers read it themselves); passed to the workers through its environment variable.
    ``store``: the contributions store's settings (None: a read-only portal); each worker
    opens its own connections (the proposals' rate limit is counted per worker).
    """
    import uvicorn

    n = default_workers() if workers is None else workers
    if n < 1:
        # programmer error: serve.workers is checked by the settings (English on purpose)
        raise ValueError(f"workers must be at least 1, not {n}")
    options: dict[str, object] = {"host": host, "port": port, "http": "httptools",
                                  "loop": "uvloop", "access_log": False,
                                  "log_level": log_level}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # A spawned worker imports the whole stack before it answers the supervisor's
        # ping; on a busy machine that takes more than uvicorn's 5 s, and the worker was
        # killed and restarted in a loop ("Child process died").
        options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_S
    if n == 1:
        from proximite.web.app import create_app
        from proximite.web.store import PortalData

        if data is None:
            data = PortalData.demo()
        data.warm()
        app = create_app(data, hosts=allowed_hosts,
                         store=contrib_store(store) if store is not None else None)
        freeze_heap()
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    from proximite.web.app import ALLOWED_HOSTS_ENV

    shared = share_portal(data) if data is not None else None
    if shared is not None:
        os.environ[PORTAL_FILE_ENV] = str(shared)
    if allowed_hosts is not None:
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(allowed_hosts)
    os.environ[SUPERVISOR_PID_ENV] = str(os.getpid())
    if store is not None:
        import dataclasses
        import json

        os.environ[STORE_SETTINGS_ENV] = json.dumps(dataclasses.asdict(store))
    try:
        uvicorn.run(APP_FACTORY, factory=True, workers=n, **options)  # type: ignore[arg-type]
        if shared is not None and not shared.is_file():
            raise SystemExit(f"Erreur : le fichier de données des processus du géoportail "
                             f"a disparu ({shared}) ; serveur arrêté.")
    finally:
        os.environ.pop(SUPERVISOR_PID_ENV, None)
        os.environ.pop(STORE_SETTINGS_ENV, None)
        if shared is not None:
            os.environ.pop(PORTAL_FILE_ENV, None)
            shared.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """Command line of ``python -m proximite.web.server`` (used by the load benchmark)."""
    parser = argparse.ArgumentParser(description="Serve the géoportail over the demo.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.workers, log_level=args.log_level)


if __name__ == "__main__":  # pragma: no cover - command line entry
    main()
