"""How the géoportail is served: uvicorn with uvloop, httptools and one process per core.

Why this shape: a single uvicorn process (asyncio loop, pure-Python HTTP parser) spends
far more time in the HTTP stack than in the handlers, which answer from memory in well
under a millisecond; several worker processes use every core, and uvloop plus httptools
cut the per-request cost of the loop and of parsing. Access logs are off: one log line
per request is a write per request on a server whose answers cost tens of microseconds.
Each worker freezes its heap once the demo is built (:func:`freeze_heap`), so that the
garbage collector's full passes stop walking the demo's objects.

Uvicorn starts its workers with ``spawn``: each one imports :func:`demo_app` by its
import string and builds its own :class:`~proximite.web.store.PortalData` (nothing is
shared between processes, so every worker holds the demo in memory and memoises its own
answers). The server binds to 127.0.0.1 unless told otherwise.

Run: ``python -m proximite.web.server [--port 8000] [--workers N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from proximite.web.store import PortalData

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Import string of the worker factory (uvicorn workers need a string, not an object).
APP_FACTORY = "proximite.web.server:demo_app"


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


def demo_app() -> FastAPI:
    """The API over the embedded Lozère demo, built in the calling (worker) process."""
    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    data = PortalData.demo()
    data.warm()
    app = create_app(data)
    freeze_heap()
    return app


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, workers: int | None = None,
          *, data: PortalData | None = None, log_level: str = "info") -> None:
    """Serve the géoportail until interrupted; ``workers`` defaults to one per core.

    ``data`` (an already built diagnostic) can only be used with a single worker: other
    workers are separate processes that build the demo themselves.
    """
    import uvicorn

    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError(f"workers must be at least 1, not {n}")
    options = {"host": host, "port": port, "http": "httptools", "loop": "uvloop",
               "access_log": False, "log_level": log_level}
    if n == 1:
        from proximite.web.app import create_app
        from proximite.web.store import PortalData

        if data is None:
            data = PortalData.demo()
        data.warm()
        app = create_app(data)
        freeze_heap()
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    if data is not None:
        raise ValueError("data can only be passed with workers=1: each worker process "
                         "builds the demo itself")
    uvicorn.run(APP_FACTORY, factory=True, workers=n, **options)  # type: ignore[arg-type]


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
