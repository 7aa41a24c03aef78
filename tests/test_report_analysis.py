"""The diagnosis on the Lozère demo: report sections and GeoPackage layers."""

from __future__ import annotations

import math
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyogrio
import pytest

from language import english_sentences, visible_text
from proximite.analysis.diagnosis import AnalysisResult
from proximite.outputs import write_outputs
from proximite.pipeline import DiagnosticResult


@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult,
         demo_analysis: AnalysisResult) -> tuple[DiagnosticResult, AnalysisResult]:
    return demo_result, demo_analysis


@pytest.fixture(scope="module")
def written(demo: tuple[DiagnosticResult, AnalysisResult],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's outputs with the diagnosis, written once for the module (the report is
    most of the time: the page tests read the written one)."""
    result, analysis = demo
    return write_outputs(result, tmp_path_factory.mktemp("outputs"), analysis=analysis)


@pytest.fixture(scope="module")
def demo_page(written: dict[str, Path]) -> str:
    """The page as ``render_report(result, analysis=analysis)`` makes it (write_report
    writes exactly that string)."""
    return written["report"].read_text(encoding="utf-8")


class _Tables(HTMLParser):
    """Each table of a page by caption: its rows of cell texts, the header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "tr":
            self._rows.append([])
        if tag in ("caption", "th", "td"):
            self._in, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._caption = self._text.strip()
        elif tag in ("th", "td") and self._in:
            self._rows[-1].append(self._text.strip())
        elif tag == "table" and self._caption is not None:
            self.tables[self._caption] = self._rows
        if tag == self._in:
            self._in = None


def _tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _number(text: str) -> float:
    """A figure as printed in French (``1 234,5 min``, ``8,3 %``) back to a float."""
    if text == "inaccessible":
        return math.inf
    if text == "—":
        return math.nan
    cleaned = re.sub(r"[\s\u00a0\u202f]|min|%", "", text).replace(",", ".")
    return float(cleaned)


def _weighted_median(times: np.ndarray, weights: np.ndarray) -> float:
    """Smallest time reached by at least half of the population (the report's definition),
    computed here on its own from the access times."""
    order = np.argsort(times, kind="stable")
    cumulated = np.cumsum(weights[order])
    return float(times[order][np.searchsorted(cumulated, cumulated[-1] / 2)])


def test_analysis_covers_every_commune(demo: tuple[DiagnosticResult, AnalysisResult]) -> None:
    result, analysis = demo
    assert len(analysis.profiles) == 152
    assert set(analysis.profiles["profile"]) <= set("ABCDEF") | {""}
    # the stand-in has no health data: no commune gets a profile on allier_17, each says why
    assert set(analysis.profiles["status"]) == {"incomplete"}
    assert analysis.profiles["explanation"].str.startswith("pas de profil : pas de temps").all()
    assert len(analysis.poles) == 152
    assert analysis.poles["threshold_scaled"].all()  # the demo covers few BPE types
    assert len(analysis.potential) == 152
    # every territory resident is served first by exactly one proximity pole
    summary = analysis.pole_summary
    served = summary.loc[summary["level"] == "proximite", "population_served"].sum()
    assert served == pytest.approx(result.territory.population)
    scenario = analysis.scenario
    assert scenario is not None
    assert "bureau de poste" in scenario.scenario.name
    assert scenario.affected_population > 0
    assert set(scenario.recomputed) >= {"la_poste", "bureau_de_poste"}
    assert "france_services" not in scenario.recomputed


def test_report_and_layers(demo: tuple[DiagnosticResult, AnalysisResult],
                           written: dict[str, Path]) -> None:
    analysis = demo[1]
    html = written["report"].read_text(encoding="utf-8")
    for anchor in ("profils", "poles", "deficits", "accessibilite-potentielle", "scenario"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    assert "Pôles indicatifs" in html
    # the example closure's affected population, formatted as in the page
    affected = f"{analysis.scenario.affected_population:,.0f}".replace(",", "\u202f")
    assert affected in html
    # each map has a text alternative and the table it refers to exists
    for alt in re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)"', html):
        assert alt
    assert 'id="table-profils"' in html and 'id="table-poles"' in html
    layers = {name for name, _ in pyogrio.list_layers(written["gpkg"])}
    assert {"profiles", "poles", "deficits", "potential_accessibility",
            "scenario_comparison"} <= layers
    communes = pyogrio.read_dataframe(written["gpkg"], layer="communes")
    assert communes["profile"].notna().all()
    assert set(communes["pole_level"]) <= {"aucun", "proximite", "intermediaire",
                                           "superieure"}


def test_difference_and_potential_classes() -> None:
    from proximite.report.analysis import delta_class, potential_class

    assert delta_class(5.0, 5.0) == "inchangé"
    assert delta_class(5.0, 9.0) == "+0 à 5 min"
    assert delta_class(5.0, 15.0) == "+5 à 10 min"
    assert delta_class(5.0, 40.0) == "plus de +20 min"
    assert delta_class(5.0, float("inf")) == "plus d'accès"
    assert delta_class(9.0, 5.0) == "plus court"
    assert potential_class(0.0) == "aucun site accessible"
    assert potential_class(0.3) == "moins de 0,5"
    assert potential_class(1.0) == "1 à 2"
    assert potential_class(7.0) == "5 et plus"


def test_report_has_difference_and_potential_maps(demo_page: str) -> None:
    html = unescape(demo_page)
    assert "Carte de la variation du temps d'accès" in html
    assert "Carte de l'accessibilité potentielle (France Services, 2SFCA à 20 min)" in html
    assert 'id="table-scenario-communes"' in html
    assert 'id="table-potentiel-communes"' in html
    # the closed post office's commune gets longer times
    assert "+0 à 5 min" in html or "+5 à 10 min" in html or "+10 à 20 min" in html


def test_demo_report_key_figures_match_the_diagnostic_tables(
        demo: tuple[DiagnosticResult, AnalysisResult], demo_page: str) -> None:
    result, analysis = demo
    tables = _tables(demo_page)
    key = dict(tables["Chiffres clés du territoire"][1:])
    communes = result.territory.communes
    assert _number(key["Population"]) == communes["population"].sum() == 76486
    assert _number(key["Communes"]) == len(communes) == 152
    assert _number(key["EPCI"]) == communes["epci_code"].nunique()
    total, inside = key["Services retenus"].split(", dont ")
    assert _number(total) == len(result.services)
    in_territory = result.services["code_insee"].isin(communes["code_insee"]).sum()
    assert _number(inside.split(" dans le territoire")[0]) == in_territory
    assert f"{int(len(result.services) - in_territory)} dans la marge de 20 km" in \
        key["Services retenus"].replace("\u202f", "")

    # territory summary: medians recomputed from access_times, people beyond 20 min counted
    access = result.access_times
    population = result.origins.set_index("origin_id")["population"]
    labels = {result.catalogue.categories[c].label: c for c in result.categories}
    header, *summary = tables["Catégories de services : territoire"]
    assert header[6] == "Population à plus de 20 min" and len(summary) >= 5
    for row in summary:
        rows = access[(access["category"] == labels[row[0]])
                      & (access["target_kind"] == "category")]
        times = np.where(rows["status"] == "ok", rows["travel_time_min"], np.inf)
        weights = population.reindex(rows["origin_id"]).to_numpy(dtype=float)
        assert _number(row[1]) == pytest.approx(round(_weighted_median(times, weights), 1))
        beyond_20 = weights[times > 20].sum()
        assert _number(row[6]) == pytest.approx(round(beyond_20))  # Population > 20 min
        assert _number(row[-1]) == weights[np.isinf(times)].sum()

    # commune table: a category's column is the town hall's own time (one origin each)
    header, *per_commune = tables["Temps d'accès par commune (valeurs des cartes, en minutes "
                                  "depuis la mairie)"]
    assert len(per_commune) == 152
    code = "accompagnement_numerique"
    own = access[(access["category"] == code)
                 & (access["target_kind"] == "category")].set_index("code_insee")
    column = header.index(result.catalogue.categories[code].label)
    for row in per_commune:
        expected = own.loc[row[1], "travel_time_min"]
        assert _number(row[column]) == pytest.approx(round(expected, 1)), row[0]

    # deficit zones: communes beyond the threshold per service, as in deficits.csv
    threshold = f"{analysis.options.deficit_threshold_min:g}"
    by_target = {r[0]: int(r[1]) for r in
                 tables[f"Communes au-delà de {threshold} minutes, par service ou panier"][1:]}
    counts = analysis.deficits.groupby("target").size()
    assert by_target["France Services"] == counts["france_services"] > 0

    # example scenario: the affected population, as computed by the scenario
    assert analysis.scenario is not None
    assert (f"{analysis.scenario.affected_population:,.0f}".replace(",", "\u202f")
            + " habitants") in unescape(demo_page)


def test_demo_report_has_no_english_sentence(demo_page: str) -> None:
    text = "\n".join(visible_text(demo_page))
    assert "Méthode" in text and len(text) > 10_000  # the scan reads the page
    assert english_sentences(text) == []


def test_demo_report_prints_no_machine_path_and_no_code_as_label(demo_page: str) -> None:
    text = "\n".join(visible_text(demo_page))
    assert not re.search(r"(^|[\s(])/(home|work|tmp|usr|root)/", text)
    assert "2sfca_" not in text and "e2sfca_" not in text
    assert "Panier : Panier" not in text and "Panier : Socle" in text
    assert "communes_48.geojson" in text  # the communes file, by its name
