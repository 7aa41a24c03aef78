"""The HTML report on a hand-built diagnostic: self-contained, accessible, honest."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from proximite.catalogue import load_catalogue
from proximite.errors import Rejection
from proximite.indicators import IndicatorParams, basket_times, compute_indicators
from proximite.inventory.schema import normalise_services
from proximite.model import DiagnosticOptions, DiagnosticResult
from proximite.network.graph import RoadGraph
from proximite.pipeline import (
    STAND_IN_NOTE,
    categories_to_compute,
    services_per_commune,
)
from proximite.report import write_report
from proximite.report.formatting import fmt_minutes, fmt_number, fmt_percent
from proximite.report.maps import choropleth_png, class_counts
from proximite.territory import Territory, territory_from_origins

STAND_IN_TEXT = "ce n'est PAS un réseau routier"
PROVENANCE_URL = "https://www.data.gouv.fr/fr/datasets/liste-des-france-services/"
# 2 x 2 communes of 0.1 degree around (3.5, 44.5); D is cut off the network.
COMMUNES = [
    # code, name, population, epci code, epci name, west, south
    ("48001", "Aubrac-les-Bains", 100.0, "200001", "CC des Causses", 3.4, 44.4),
    ("48002", "Saint-<b>Test</b> & Co", 300.0, "200001", "CC des Causses", 3.5, 44.4),
    ("48003", "Valdonnez", 600.0, "200002", "CC du Mont Lozère", 3.4, 44.5),
    ("48004", "Mas-d'Orcières", 1000.0, "200002", "CC du Mont Lozère", 3.5, 44.5),
]
# minutes per commune (A, B, C, D); None = unreachable. France Services median = 12.5:
# cumulative population 100 (2 min), 400 then 1000 (12.5 min) >= half of 2000.
TIMES = {
    "france_services": [2.0, 12.5, 12.5, 25.0],
    "la_poste": [1.0, 4.0, 8.0, None],
    "mediation_numerique": [3.0, 9.0, 15.0, 40.0],
    "station_carburant": [6.0, 6.0, 22.0, 35.0],
}


def _communes() -> gpd.GeoDataFrame:
    rows = [{"code_insee": code, "nom": name, "population": pop, "epci_code": epci,
             "epci_nom": epci_name, "pct_65plus": 30.0, "origin_lon": west + 0.05,
             "origin_lat": south + 0.05, "geometry": shapely.box(west, south, west + 0.1,
                                                                 south + 0.1)}
            for code, name, pop, epci, epci_name, west, south in COMMUNES]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _services() -> pd.DataFrame:
    rows = []
    for i, (category, code) in enumerate([("france_services", "48002"),
                                          ("bureau_de_poste", "48001"),
                                          ("agence_postale", "48003"),
                                          ("mediation_numerique", "48001"),
                                          ("station_carburant", "48002")]):
        west, south = next((w, s) for c, *_, w, s in COMMUNES if c == code)
        rows.append({"service_id": f"s{i}", "category": category, "name": f"Service {i}",
                     "lon": west + 0.03, "lat": south + 0.04, "code_insee": code,
                     "source": "ANCT liste France Services 2024-08-01",
                     "data_date": "2024-08-01"})
    return normalise_services(pd.DataFrame(rows))


def _access(origins: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    rows = []
    for category in categories:
        times = TIMES.get(category)
        for i, origin in enumerate(origins["origin_id"]):
            if times is None:
                status, minutes, detail = "no_service", math.nan, "no service in inventory"
            elif times[i] is None:
                status, minutes, detail = "unreachable", math.nan, "origin off the network"
            else:
                status, minutes, detail = "ok", float(times[i]), ""
            rows.append({"origin_id": origin, "category": category, "travel_time_min": minutes,
                         "status": status, "status_detail": detail,
                         "nearest_service_id": "", "snap_distance_m": 10.0})
    return pd.DataFrame(rows)


def _graph(is_stand_in: bool) -> RoadGraph:
    return RoadGraph.from_edges(
        np.array(["48001", "48002", "48003"]), np.array([3.45, 3.55, 3.45]),
        np.array([44.45, 44.45, 44.55]), np.array([0, 1, 0, 2]), np.array([1, 0, 2, 0]),
        np.array([5.0, 5.0, 6.0, 6.0]), description="graphe de contiguïté des communes",
        is_stand_in=is_stand_in)


def build_result(*, is_stand_in: bool = True, with_communes: bool = True,
                 thresholds_min: tuple[float, ...] = (10.0, 20.0, 30.0)) -> DiagnosticResult:
    """A 4-commune diagnostic assembled the way run_diagnostic assembles it."""
    catalogue = load_catalogue()
    communes = _communes()
    territory = Territory(name="Causses d'essai", communes=communes,
                          source="communes dessinées pour le test")
    origins = territory.origins()
    if not with_communes:
        origins["code_insee"] = ""
        territory = territory_from_origins(origins, "origines d'essai")
    services = _services()
    baskets = ["socle_demo", "allier_17"]
    categories = categories_to_compute(catalogue, services, baskets)
    access = _access(origins, categories)
    access["target_kind"] = "category"
    basket_rows = basket_times(access, catalogue, baskets)
    basket_rows["target_kind"] = "basket"
    access_all = pd.concat([access, basket_rows], ignore_index=True)
    options = DiagnosticOptions(indicators=IndicatorParams(thresholds_min))
    indicators = compute_indicators(
        access_all, origins, territory.communes if with_communes else None,
        options.indicators,
        services_per_commune=services_per_commune(services, catalogue, categories))
    # added after the indicators: compute_indicators takes code_insee from the origins
    access_all = access_all.merge(origins[["origin_id", "code_insee"]], on="origin_id")
    graph = _graph(is_stand_in)
    note = (STAND_IN_NOTE.format(speed=60) if is_stand_in
            else f"Réseau : {graph.description}, {graph.n_nodes} nœuds.")
    warnings = [note] if is_stand_in else []
    warnings += [f"avertissement de test n°{i}" for i in range(12)]
    return DiagnosticResult(
        territory=territory, services=services,
        rejected=[Rejection("services_partenaires.csv", 7, "lon", "abc",
                            "longitude illisible"),
                  Rejection("services_partenaires.csv", 9, "category", "mairie_annexe",
                            "catégorie inconnue")],
        duplicates=pd.DataFrame(), origins=origins, graph=graph, access_times=access_all,
        indicators=indicators, categories=categories, baskets=baskets, catalogue=catalogue,
        options=options, network_note=note, warnings=warnings,
        provenance=[{"dataset": "Liste des France Services", "producer": "ANCT",
                     "licence": "Licence Ouverte 2.0", "date": "2024-08-01",
                     "url": PROVENANCE_URL}],
        timings_s={"territoire": 0.01, "temps d'accès": 0.02})


class _Collector(HTMLParser):
    """Tags and attributes of the page, to check resources and accessibility."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def _parse(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    return collector


@pytest.fixture(scope="module")
def stand_in_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(build_result(), tmp_path_factory.mktemp("report") / "report.html")
    assert path.exists() and path.name == "report.html"
    return path.read_text(encoding="utf-8")


def test_french_number_formatting() -> None:
    assert fmt_minutes(12.5) == "12,5 min"
    assert fmt_minutes(3) == "3,0 min"
    assert fmt_minutes(math.inf) == "inaccessible"
    assert fmt_minutes(math.nan) == "—"
    assert fmt_number(1234567.0) == "1\u202f234\u202f567"
    assert fmt_number(1234.56, 1) == "1\u202f234,6"
    assert fmt_number(None) == "—"
    assert fmt_percent(100 / 12) == "8,3\u00a0%"  # no-break space before %


def test_report_is_self_contained(stand_in_page: str) -> None:
    page = _parse(stand_in_page)
    for tag, attrs in page.tags:
        assert not (tag == "link" and "stylesheet" in (attrs.get("rel") or "")), attrs
        src = attrs.get("src")
        assert src is None or src.startswith("data:"), (tag, src)
        href = attrs.get("href")
        # the only outside address is a provenance link (a link, not a resource)
        assert href is None or href.startswith("#") or href == PROVENANCE_URL, href
    assert "@import" not in stand_in_page and "url(" not in stand_in_page
    assert any(tag == "style" for tag, _ in page.tags)


def test_report_is_accessible(stand_in_page: str) -> None:
    page = _parse(stand_in_page)
    assert '<html lang="fr">' in stand_in_page
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) >= 2  # the complete basket and the main categories
    for attrs in images:
        assert (attrs.get("alt") or "").strip(), "map without alt text"
        assert attrs["src"].startswith("data:image/png;base64,")
    n_tables = sum(tag == "table" for tag, _ in page.tags)
    assert n_tables == sum(tag == "caption" for tag, _ in page.tags)
    assert all(attrs.get("scope") in ("col", "row") for tag, attrs in page.tags if tag == "th")


def test_report_content(stand_in_page: str) -> None:
    assert "Causses d&#39;essai" in stand_in_page  # territory name, escaped
    assert STAND_IN_TEXT.replace("'", "&#39;") in stand_in_page
    assert 'class="notice"' in stand_in_page
    # territory median of France Services in the categories summary
    assert 'France Services</th><td class="num">12,5 min</td>' in stand_in_page
    # commune table with every commune; data text is escaped, never markup
    assert 'id="tableau-communes"' in stand_in_page
    for name in ("Aubrac-les-Bains", "Valdonnez", "Mas-d&#39;Orcières"):
        assert f'<th scope="row">{name}</th>' in stand_in_page
    assert "Saint-&lt;b&gt;Test&lt;/b&gt; &amp; Co" in stand_in_page
    assert "<b>Test</b>" not in stand_in_page
    assert "CC du Mont Lozère" in stand_in_page  # EPCI table
    # rejected rows: count by reason and detail
    assert "longitude illisible" in stand_in_page and "services_partenaires.csv" in stand_in_page
    # a category without any service is listed as missing, an incomplete basket too
    missing = stand_in_page.split('id="donnees-manquantes"')[1].split("</section>")[0]
    assert "Médecin généraliste" in missing and "aucune donnée" in missing
    assert "incomplet" in missing
    assert "Panier de l&#39;observatoire de l&#39;Allier (17 services)" in missing
    # every catalogue category without data is listed, computed or not
    assert "Bibliothèque" in missing and "(catégorie du catalogue non calculée)" in missing
    # all warnings, folded since there are many
    assert "avertissement de test n°11" in stand_in_page
    assert "<details><summary>Les 13 avertissements" in stand_in_page
    assert "Licence Ouverte 2.0" in stand_in_page
    # the unreachable commune is reported as such, never as a short time
    assert "inaccessible" in stand_in_page


def test_no_stand_in_notice_on_a_real_network(tmp_path: Path) -> None:
    text = write_report(build_result(is_stand_in=False), tmp_path / "report.html"
                        ).read_text(encoding="utf-8")
    assert STAND_IN_TEXT.replace("'", "&#39;") not in text
    assert 'class="notice"' not in text
    assert "12,5 min" in text


def test_report_without_commune_polygons(tmp_path: Path) -> None:
    result = build_result(with_communes=False)
    assert len(result.territory.communes) == 0
    text = write_report(result, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<img" not in text
    assert "Pas de carte" in text
    assert 'France Services</th><td class="num">12,5 min</td>' in text
    assert "2\u202f000" in text  # population from the origins


def test_choropleth_png_and_legend_counts() -> None:
    communes = _communes()
    values = pd.Series([2.0, 12.5, math.inf, math.nan],
                       index=communes["code_insee"].to_numpy())
    services = gpd.GeoDataFrame(geometry=gpd.points_from_xy([3.45], [44.45]), crs="EPSG:4326")
    png = choropleth_png(communes, values, "Essai", services)
    assert png.startswith(b"\x89PNG")
    counts = dict(class_counts(values))
    assert counts["0 à 5 min"] == 1 and counts["10 à 20 min"] == 1
    assert counts["inaccessible"] == 1 and counts["non calculé"] == 1
    assert dict(class_counts(pd.Series([10.0])))["5 à 10 min"] == 1  # upper bound included


def test_report_follows_configured_thresholds(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("proximite.report.overview.choropleth_png", lambda *a, **k: b"")  # fast
    text = write_report(build_result(thresholds_min=(15.0, 45.0)), tmp_path / "report.html"
                        ).read_text(encoding="utf-8")
    assert "Part à plus de 45 min" in text and "Part à plus de 15 min" in text
    assert "Part à plus de 30 min" not in text
