"""Time the store: importing a département's inventory, re-importing it, proposals.

Run: ``.venv/bin/python benchmarks/bench_store.py`` (SQLite in a temporary folder; set
``PROXIMITE_BENCH_DATABASE_URL`` to an empty PostgreSQL database to time that instead).
The baseline, in the same run, is pandas ``to_sql`` of the same rows into the same kind
of database (a bare bulk insert, with no history, no provenance check, no conflicts):
the ratio says what the history and the per-field comparison cost. Targets, as ratios to
that baseline (the shared 2-core machine's load moves both alike): the Lozère inventory
(3,878 rows) imported within 40x (one history entry per place, through the ORM) and
re-imported within 10x; 50 simultaneous proposals in under 5 s, none lost.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from proximite.inventory.communes import assign_communes
from proximite.io.inputs import load_inputs
from proximite.settings import Settings
from proximite.store.db import make_engine, session_factory, upgrade
from proximite.store.models import Place
from proximite.store.moderation import propose
from proximite.store.places import import_services
from proximite.store.validation import ProposalChecks, validate_proposal

IMPORT_TARGET_X, REIMPORT_TARGET_X, PROPOSALS_TARGET_S = 40.0, 10.0, 5.0
PROPOSALS = 50


def main() -> None:
    inputs = load_inputs(departement="48", settings=Settings())
    services = assign_communes(inputs.services, inputs.territory.communes)
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    url = os.environ.get("PROXIMITE_BENCH_DATABASE_URL") or f"sqlite:///{folder / 's.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)

    baseline_engine = make_engine(f"sqlite:///{folder / 'baseline.sqlite'}") \
        if url.startswith("sqlite") else engine
    started = time.perf_counter()
    services.to_sql("bench_baseline", baseline_engine, if_exists="replace", index=False)
    baseline_s = time.perf_counter() - started

    started = time.perf_counter()
    with factory.begin() as session:
        report = import_services(session, services, source_label="bench")
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as session:
        again = import_services(session, services, source_label="bench")
    reimport_s = time.perf_counter() - started

    with factory() as session:
        place = session.scalars(select(Place).where(Place.territory == "48")).first()
        assert place is not None
        place_id, current = place.id, place.values()
    checks = ProposalChecks(categories={str(current["category"]): ""},
                            locate=lambda lon, lat: "48095")
    barrier = threading.Barrier(PROPOSALS)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            with factory.begin() as session:
                target = session.get(Place, place_id)
                proposal = validate_proposal({"opening_hours": f"Mo 09:00-11:{i:02d}"},
                                             checks, current=current)
                propose(session, proposal, place=target, author=None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PROPOSALS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    proposals_s = time.perf_counter() - started

    print(f"store: {engine.url.render_as_string(hide_password=True)}")
    print(f"rows: {len(services)} (added {report.added}, rejected {len(report.rejected)}, "
          f"merged {report.merged}); re-import unchanged {again.unchanged}")
    print(f"baseline pandas to_sql: {baseline_s:.2f} s")
    for name, seconds, target in (("import", import_s, IMPORT_TARGET_X),
                                  ("re-import", reimport_s, REIMPORT_TARGET_X)):
        ratio = seconds / baseline_s
        print(f"{name}: {seconds:.2f} s, ratio to baseline {ratio:.1f} — target < "
              f"{target:g}x: {'PASS' if ratio < target else 'FAIL'}")
    print(f"{PROPOSALS} simultaneous proposals: {proposals_s:.2f} s, {len(errors)} errors — "
          f"target < {PROPOSALS_TARGET_S:g} s: "
          f"{'PASS' if proposals_s < PROPOSALS_TARGET_S and not errors else 'FAIL'}")


if __name__ == "__main__":
    main()
