"""Report sections of the diagnosis: profiles A–F, service poles, deficit zones,
potential accessibility and the example scenario (read from an AnalysisResult)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from proximite.analysis.typology import PROFILE_LABELS, PROFILES
from proximite.indicators import weighted_quantile
from proximite.report.blocks import (
    Block,
    Cell,
    Column,
    Details,
    Figure,
    Link,
    Notice,
    Para,
    Section,
    Table,
    bullets,
    section,
)
from proximite.report.formatting import (
    fmt_count,
    fmt_minutes,
    fmt_number,
    fmt_percent,
    fmt_threshold,
)
from proximite.report.maps import categorical_png, simplified
from proximite.report.observatory import NAV_OBSERVATORY, observatory_sections
from proximite.report.targets import commune_names

if TYPE_CHECKING:
    from proximite.analysis.diagnosis import AnalysisResult
    from proximite.analysis.scenario import ScenarioResult
    from proximite.model import DiagnosticResult

NAV_ANALYSIS = [("profils", "Profils d'accès A–F"), ("poles", "Pôles de services"),
                ("deficits", "Zones déficitaires"), *NAV_OBSERVATORY,
                ("accessibilite-potentielle", "Accessibilité potentielle (offre / demande)"),
                ("scenario", "Scénario exemple")]

PROFILE_COLOURS = {"A": "#b2182b", "B": "#ef8a62", "C": "#fddbc7", "D": "#d1e5f0",
                   "E": "#67a9cf", "F": "#2166ac"}
POLE_COLOURS = {"superieure": "#253494", "intermediaire": "#2c7fb8",
                "proximite": "#a1dab4", "aucun": "#ffffff"}
POLE_NAMES = {"superieure": "pôle supérieur", "intermediaire": "pôle intermédiaire",
              "proximite": "pôle de proximité", "aucun": "pas un pôle"}
MAX_DEFICIT_ROWS = 30


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """A table's rows as named tuples (typed loosely: each column has its own type)."""
    return frame.itertuples()


def _label(result: DiagnosticResult, code: object) -> str:
    return result.catalogue.titled_label(str(code))


def potential_label(result: DiagnosticResult, column: str) -> str:
    """French name of a potential-accessibility column (``2sfca_<code>_<cutoff>min``,
    ``e2sfca_<code>``): the reader sees the service and the method, never the code."""
    fixed = re.fullmatch(r"2sfca_(.+)_(\d+(?:_\d+)?)min", column)
    if fixed:
        cutoff = fmt_threshold(float(fixed.group(2).replace("_", ".")))
        return f"{_label(result, fixed.group(1))}, 2SFCA à {cutoff} min"
    decay = re.fullmatch(r"e2sfca_(.+)", column)
    if decay:
        return f"{_label(result, decay.group(1))}, E2SFCA (décroissance par paliers)"
    return column


def _figure(png: bytes, title: str, alt: str, table_anchor: str) -> Figure:
    return Figure(png, alt, title, Link(f"#{table_anchor}", "tableau des valeurs"))


def _profiles(result: DiagnosticResult, analysis: AnalysisResult, note: str) -> Section:
    profiles = analysis.profiles
    attrs = profiles.attrs
    params = attrs.get("params") or analysis.options.profiles
    counts = attrs.get("counts", {})
    basket = result.catalogue.baskets.get(attrs.get("basket", ""))
    services = [_label(result, c) for c in attrs.get("categories", [])]
    sub = [_label(result, c) for c in attrs.get("sub_basket", [])]
    population = result.territory.communes.set_index("code_insee")["population"]
    rows: list[list[Cell]] = []
    sizes: dict[str, int] = {}
    for profile in PROFILES:
        members = profiles[profiles["profile"] == profile]
        sizes[profile] = len(members)
        n = counts.get("very_high" if profile == "A" else "high" if profile == "B"
                       else "fast", 0)
        rows.append([profile, PROFILE_LABELS[profile].format(n=n), len(members),
                     fmt_number(population.reindex(members["code_insee"]).sum())])
    incomplete = profiles[profiles["status"] != "ok"]
    if len(incomplete):
        rows.append(["—", "sans profil : données manquantes pour une partie du panier",
                     len(incomplete),
                     fmt_number(population.reindex(incomplete["code_insee"]).sum())])

    def sd(value: float) -> str:
        return ("la moyenne" if value == 0 else
                f"la moyenne {'+' if value > 0 else '−'} "
                f"{fmt_threshold(abs(value))} écart-type")

    basket_name = result.catalogue.label(attrs.get("basket", ""), "basket")
    body: list[Block] = [
        Para(f"{basket_name} : {len(services)} services ("
             + ", ".join(services) + ")." + (f" {basket.note}" if basket and basket.note
                                            else "")),
        Para("Règles (observatoire de l'Allier, document de pilotage 2019), dans cet ordre, "
             "la première qui s'applique donne le profil : A temps très élevés pour au moins "
             f"{counts.get('very_high', '?')} services ; B temps élevés pour au moins "
             f"{counts.get('high', '?')} ; F temps rapides pour au moins "
             f"{counts.get('fast', '?')} ; C temps moyen au panier supérieur à la moyenne des "
             "communes et temps moyen au panier santé-éducation-alimentation supérieur à sa "
             "moyenne ; D temps moyen au panier supérieur à la moyenne, sauf au panier "
             "santé-éducation-alimentation ; E sinon."),
        Para("Paramètres : pour chaque service, la moyenne et l'écart-type des temps des "
             "communes (" + ("pondérés par la population" if params.population_weighted
                             else "chaque commune compte une fois") + ") ; un temps est "
             f"« très élevé » au-delà de {sd(params.very_high_sd)} (ou sans accès), "
             f"« élevé » au-delà de {sd(params.high_sd)}, « rapide » en deçà de "
             f"{sd(params.fast_sd)}. Les nombres de services (6, 4 et 6 sur "
             f"{params.reference_basket_size}) sont ramenés à la taille du panier. Panier "
             "santé-éducation-alimentation : " + (", ".join(sub) or "aucun service") + "."),
        Table("Profils d'accès des communes",
              [Column("profil"), Column("définition"), Column("communes", True),
               Column("population", True)], rows),
    ]
    if attrs.get("missing"):
        body.append(Notice(
            "Aucune commune n'a de profil : l'inventaire n'a aucun service pour "
            + ", ".join(_label(result, c) for c in attrs["missing"]) + ".",
            title="Données manquantes"))
    if len(result.territory.communes) and len(incomplete) < len(profiles):
        png = categorical_png(simplified(result.territory.communes),
                              profiles.set_index("code_insee")["profile"].replace("", np.nan),
                              "Profils d'accès des communes (A à F)", PROFILE_COLOURS,
                              legend_title="Profil", note=note)
        alt = ("Carte des profils d'accès A à F des communes : " + " ; ".join(
            f"{p} : {fmt_count(n, 'commune')}" for p, n in sizes.items()) + ".")
        body.append(_figure(png, "Profils d'accès A à F", alt, "table-profils"))
    names = commune_names(result)
    detail_rows: list[list[Cell]] = [
        [row.code_insee, names.get(row.code_insee, ""), row.profile or "—", row.explanation]
        for row in _rows(profiles)]
    body.append(Details("Profil et explication de chaque commune", [Table(
        "Profil d'accès par commune", [Column("code INSEE"), Column("commune"),
                                       Column("profil"), Column("explication")],
        detail_rows, table_id="table-profils")]))
    return section("profils", "Profils d'accès A–F", *body)


def _poles(result: DiagnosticResult, analysis: AnalysisResult, note: str) -> Section:
    poles = analysis.poles
    body: list[Block] = []
    warnings = sorted({w for w in poles["warning"].dropna() if w})
    if warnings:
        body.append(Notice(" ".join(warnings), lead="Pôles indicatifs"))
    counts = poles["pole_level"].value_counts()
    params = analysis.options.poles
    source = str(analysis.equipment.attrs.get("source", "")) or "l'inventaire"
    below = int(poles["below_min_population"].sum()) if "below_min_population" in poles \
        else 0
    body.append(Para(
        "Pôles de services : nombre de types d'équipements de chaque gamme INSEE (tables de "
        f"passage BPE 2021) présents dans la commune, comptés dans {source}, comparé aux "
        f"seuils du Cerema : {params.proximite[0]} types sur {params.proximite[1]} pour un "
        f"pôle de proximité, {params.intermediaire[0]} sur {params.intermediaire[1]} "
        f"intermédiaire, {params.superieure[0]} sur {params.superieure[1]} supérieur "
        "(paramètres, appliqués en proportion de la taille des tables). Un pôle compte au "
        f"moins {fmt_number(params.min_population)} habitants (choix du projet) : "
        f"{fmt_count(below, 'commune')} équipée(s) comme un pôle mais moins peuplée(s) "
        "n'en sont pas. " + ", ".join(f"{POLE_NAMES[level]} : {int(counts.get(level, 0))}"
                                       for level in POLE_COLOURS) + "."))
    if len(result.territory.communes):
        png = categorical_png(simplified(result.territory.communes),
                              poles.set_index("code_insee")["pole_level"],
                              "Pôles de services", POLE_COLOURS,
                              legend_title="Niveau", legend_labels=POLE_NAMES, note=note)
        alt = ("Carte des pôles de services : " + ", ".join(
            f"{POLE_NAMES[level]} : {fmt_count(int(counts.get(level, 0)), 'commune')}"
            for level in POLE_COLOURS) + ".")
        body.append(_figure(png, "Pôles de services", alt, "table-poles"))
    summary = analysis.pole_summary
    searched = {"proximite": "pôle de proximité ou plus", "intermediaire":
                "pôle intermédiaire ou plus", "superieure": "pôle supérieur"}
    ordered = summary.assign(_level=summary["level"].map(
        {"superieure": 0, "intermediaire": 1, "proximite": 2})).sort_values(
        ["_level", "population_served"], ascending=[True, False])
    body.append(Table(
        "Population desservie en premier par chaque pôle, pour chaque niveau recherché (le "
        "pôle de ce niveau ou plus le plus proche)",
        [Column("pôle"), Column("niveau du pôle"), Column("niveau recherché"),
         Column("population desservie", True), Column("communes desservies", True)],
        [[r.pole_name, POLE_NAMES.get(r.pole_level, r.pole_level),
          searched.get(r.level, r.level), fmt_number(r.population_served), r.communes_served]
         for r in _rows(ordered)], table_id="table-poles"))
    return section("poles", "Pôles de services", *body)


def _deficits(result: DiagnosticResult, analysis: AnalysisResult) -> Section:
    deficits = analysis.deficits
    threshold = analysis.options.deficit_threshold_min
    body: list[Block] = [Para(
        f"Communes dont le temps d'accès dépasse {fmt_number(threshold)} minutes, classées "
        "par un score de vulnérabilité : moyenne des rangs (0 à 1) du temps d'accès, de la "
        "part des 65 ans et plus, du temps jusqu'au pôle de proximité le plus proche et de "
        "la population (poids paramétrables). Rang 1 = situation la plus vulnérable ; à "
        "score égal, le temps le plus long passe devant, puis l'ordre des services et des "
        "codes communes. Catégories détaillées et paniers seulement : une catégorie qui en "
        "regroupe d'autres n'est pas comptée en plus de ses sous-catégories.")]
    skipped = deficits.attrs.get("targets_skipped", {})
    if skipped:
        body.append(Para("Non évalués faute de données : " + ", ".join(
            _label(result, t) for t in skipped) + "."))
    by_target = deficits.groupby("target", sort=False).agg(
        communes=("code_insee", "size"), population=("population", "sum"))
    body.append(Table(
        f"Communes au-delà de {fmt_number(threshold)} minutes, par service ou panier",
        [Column("service ou panier"), Column("communes", True), Column("population", True)],
        [[_label(result, t), int(r.communes), fmt_number(r.population)]
         for t, r in by_target.iterrows()]))
    covered = {t: n for t, n in deficits.attrs.get("covered_by_parent", {}).items() if n}
    if covered:
        body.append(Para(
            "Services détaillés (sous-catégories) : une commune n'est pas en déficit quand la "
            "catégorie qui les regroupe est à moins du seuil (par exemple un bureau de poste "
            "proche pour un relais poste). Communes ainsi écartées : " + ", ".join(
                f"{_label(result, t)} {n}" for t, n in covered.items()) + "."))
    top = deficits.sort_values("rank_overall").head(MAX_DEFICIT_ROWS)
    body.append(Table(
        f"Les {MAX_DEFICIT_ROWS} situations les plus vulnérables (toutes catégories)",
        [Column("commune"), Column("service ou panier"), Column("EPCI"),
         Column("population", True), Column("65 ans et plus", True),
         Column("temps d'accès", True), Column("temps au pôle", True),
         Column("score", True), Column("rang (toutes situations)", True)],
        [[r.nom, _label(result, r.target), r.epci_nom, fmt_number(r.population),
          fmt_percent(r.pct_65plus), fmt_minutes(r.travel_time_min),
          fmt_minutes(r.pole_time_min), fmt_number(r.vulnerability_score, 2),
          int(r.rank_overall)]
         for r in _rows(top)], table_id="table-deficits"))
    epci = analysis.epci_deficits
    epci = epci[epci["n_communes_deficit"] > 0]
    body.append(Table(
        "Synthèse par EPCI (EPCI ayant au moins une commune en déficit)",
        [Column("EPCI"), Column("service ou panier"), Column("communes en déficit", True),
         Column("population en déficit", True), Column("part de la population", True),
         Column("65 ans et plus en déficit (estim.)", True)],
        [[r.epci_nom, _label(result, r.target),
          f"{int(r.n_communes_deficit)} / {int(r.n_communes)}",
          fmt_number(r.population_deficit), fmt_percent(r.share_population_deficit),
          fmt_number(r.population_65plus_deficit)] for r in _rows(epci)]))
    return section("deficits", "Zones déficitaires", *body)


POTENTIAL_COLOURS = {"aucun site accessible": "#f7f7f7", "moins de 0,5": "#edf8fb",
                     "0,5 à 1": "#b2e2e2", "1 à 2": "#66c2a4", "2 à 5": "#2ca25f",
                     "5 et plus": "#006d2c"}


def potential_class(value: float) -> str:
    """Class of a potential accessibility value (sites per 1,000 inhabitants)."""
    if not value > 0:
        return "aucun site accessible"
    for upper, label in ((0.5, "moins de 0,5"), (1, "0,5 à 1"), (2, "1 à 2"), (5, "2 à 5")):
        if value < upper:
            return label
    return "5 et plus"


def _potential(result: DiagnosticResult, analysis: AnalysisResult, note: str) -> Section:
    potential = analysis.potential
    population = result.origins.set_index("origin_id")["population"].reindex(potential.index)
    bands = ", ".join(f"{fmt_number(w, 1)} jusqu'à {fmt_number(u)} min"
                      for u, w in getattr(analysis.options.decay, "bands", []))
    body: list[Block] = [Para(
        "Accessibilité potentielle localisée (2SFCA) : nombre de sites accessibles pour "
        "1 000 habitants, en tenant compte de la population qui se partage chaque site "
        "dans le même rayon de temps. E2SFCA : même calcul avec une décroissance par "
        f"paliers (forme DREES APL, paramètres : {bands}). Offre = 1 par site (pas d'ETP "
        "dans les données ouvertes de la démo).")]
    rows: list[list[Cell]] = []
    for column in potential.columns:
        values = potential[column].to_numpy(dtype=float)
        weights = population.to_numpy(dtype=float)
        rows.append([potential_label(result, column),
                     fmt_number(weighted_quantile(values, weights, 0.1), 2),
                     fmt_number(weighted_quantile(values, weights, 0.5), 2),
                     fmt_number(weighted_quantile(values, weights, 0.9), 2),
                     fmt_number(float(population[values == 0].sum()))])
    body.append(Table(
        "Accessibilité potentielle (sites pour 1 000 habitants), répartition pondérée par "
        "la population", [Column("mesure"), Column("D1", True), Column("médiane", True),
                          Column("D9", True), Column("population sans site accessible", True)],
        rows, table_id="table-potentiel"))
    mapped = next((c for c in potential.columns if c.startswith("2sfca_france_services_")),
                  potential.columns[0] if len(potential.columns) else None)
    if mapped is not None and len(result.territory.communes):
        origins = result.origins.set_index("origin_id")
        mapped_values = potential[mapped]
        classes = pd.Series([potential_class(v) for v in mapped_values],
                            index=origins["code_insee"].reindex(mapped_values.index).to_numpy())
        classes = classes[~classes.index.duplicated()]
        name = potential_label(result, mapped)
        png = categorical_png(simplified(result.territory.communes), classes,
                              f"Accessibilité potentielle : {name} (sites pour 1 000 hab.)",
                              POTENTIAL_COLOURS, legend_title="Sites / 1 000 hab.", note=note)
        counts = classes.value_counts()
        alt = (f"Carte de l'accessibilité potentielle ({name}) par commune : " + " ; ".join(
            f"{k} : {fmt_count(int(v), 'commune')}" for k, v in counts.items()) + ".")
        body.append(_figure(png, f"Accessibilité potentielle ({name})", alt,
                            "table-potentiel-communes"))
        names = commune_names(result)
        body.append(Details(f"Valeur par commune ({name})", [Table(
            f"Accessibilité potentielle par commune ({name}, sites pour 1 000 hab.)",
            [Column("code INSEE"), Column("commune"), Column("valeur", True)],
            [[code, names.get(code, ""), fmt_number(v, 2)]
             for code, v in zip(classes.index, mapped_values.to_numpy(), strict=False)],
            table_id="table-potentiel-communes")]))
    return section("accessibilite-potentielle", "Accessibilité potentielle (offre / demande)",
                   *body)


def _scenario(result: DiagnosticResult, analysis: AnalysisResult, note: str) -> Section:
    scenario = analysis.scenario
    if scenario is None:
        return section("scenario", "Scénario exemple",
                       Para("Pas de scénario exemple : aucun bureau de poste dans "
                            "l'inventaire."))
    affected = scenario.affected_by_category
    affected = affected[affected["population_affected"] > 0]
    changes = scenario.threshold_changes
    changes = changes[(changes["population_now_beyond"] > 0)
                      | (changes["population_no_longer_beyond"] > 0)]
    before = scenario.indicators_before.set_index("category")
    after = scenario.indicators_after.set_index("category")
    body: list[Block] = [
        Para(f"{scenario.scenario.name}. Seuls les services et paniers concernés sont "
             "recalculés : " + ", ".join(_label(result, c) for c in scenario.recomputed)
             + f". Population dont le temps change : "
               f"{fmt_number(scenario.affected_population)} habitants."),
        Table("Population touchée par la fermeture",
              [Column("service ou panier"), Column("population touchée", True),
               Column("temps allongé", True), Column("médiane avant", True),
               Column("médiane après", True)],
              [[_label(result, r.category), fmt_number(r.population_affected),
                fmt_number(r.population_worse),
                fmt_minutes(before["median_min"].get(r.category, np.nan)),
                fmt_minutes(after["median_min"].get(r.category, np.nan))]
               for r in _rows(affected)], table_id="table-scenario"),
        Table("Population qui passe au-delà d'un seuil",
              [Column("service ou panier"), Column("seuil", True),
               Column("nouvellement au-delà", True), Column("plus au-delà", True)],
              [[_label(result, r.category), f"{fmt_number(r.threshold)} min",
                fmt_number(r.population_now_beyond), fmt_number(r.population_no_longer_beyond)]
               for r in _rows(changes)]),
    ]
    if len(result.territory.communes):
        body += _difference_map(result, scenario, note)
    if scenario.warnings:
        body.append(bullets(scenario.warnings))
    return section("scenario", "Scénario exemple", *body)


DELTA_CLASSES = {"inchangé": "#f7f7f7", "+0 à 5 min": "#fee5d9", "+5 à 10 min": "#fcae91",
                 "+10 à 20 min": "#fb6a4a", "plus de +20 min": "#cb181d",
                 "plus d'accès": "#67000d", "plus court": "#4393c3"}


def delta_class(before: float, after: float) -> str:
    """Class of a commune's change of time (minutes) for the difference map."""
    if np.isfinite(before) and not np.isfinite(after):
        return "plus d'accès"
    delta = after - before
    if not np.isfinite(delta) or abs(delta) < 1e-9:
        return "inchangé"
    if delta < 0:
        return "plus court"
    for upper, label in ((5, "+0 à 5 min"), (10, "+5 à 10 min"), (20, "+10 à 20 min")):
        if delta <= upper:
            return label
    return "plus de +20 min"


def _difference_map(result: DiagnosticResult, scenario: ScenarioResult,
                    note: str) -> list[Block]:
    """Map of the change of time for the first recomputed category (the closed one)."""
    comparison = scenario.comparison
    category = scenario.recomputed[-1] if scenario.recomputed else ""
    closed = result.services.set_index("service_id")["category"].reindex(
        scenario.closed_service_ids).dropna()
    if len(closed):
        category = str(closed.iloc[0])
    rows = comparison[comparison["category"] == category]
    before = rows["before_min"].where(rows["status_before"] == "ok", np.inf).to_numpy(float)
    after = rows["after_min"].where(rows["status_after"] == "ok", np.inf).to_numpy(float)
    classes = pd.Series([delta_class(b, a) for b, a in zip(before, after, strict=True)],
                        index=rows["code_insee"].to_numpy())
    classes = classes[~classes.index.duplicated()]
    counts = classes.value_counts()
    png = categorical_png(simplified(result.territory.communes), classes,
                          f"Scénario : variation du temps d'accès ({_label(result, category)})",
                          DELTA_CLASSES, legend_title="Variation", note=note)
    alt = (f"Carte de la variation du temps d'accès ({_label(result, category)}) après le "
           "scénario : " + " ; ".join(f"{k} : {fmt_count(int(v), 'commune')}"
                                      for k, v in counts.items()) + ".")
    names = commune_names(result)
    changed: list[list[Cell]] = [[code, names.get(code, ""), fmt_minutes(b), fmt_minutes(a), label]
               for code, b, a, label in zip(rows["code_insee"], before, after, classes.reindex(
                   rows["code_insee"]).to_numpy(), strict=True) if label != "inchangé"]
    return [_figure(png, "Variation du temps d'accès", alt, "table-scenario-communes"),
            Details("Communes dont le temps change", [Table(
                f"Temps avant et après le scénario ({_label(result, category)})",
                [Column("code INSEE"), Column("commune"), Column("avant", True),
                 Column("après", True), Column("variation")], changed,
                table_id="table-scenario-communes")])]


def analysis_sections(result: DiagnosticResult, analysis: AnalysisResult,
                      map_note: str) -> list[Section]:
    """The report sections of the diagnosis, in reading order."""
    if analysis.profiles.empty:
        unavailable = Para("Non calculé : le territoire n'a pas de communes (origines lues "
                           "dans un fichier).")
        return [section("profils", "Profils d'accès A–F", unavailable),
                section("poles", "Pôles de services", unavailable),
                section("deficits", "Zones déficitaires", unavailable),
                _potential(result, analysis, map_note), _scenario(result, analysis, map_note)]
    return [_profiles(result, analysis, map_note), _poles(result, analysis, map_note),
            _deficits(result, analysis), *observatory_sections(result, analysis),
            _potential(result, analysis, map_note), _scenario(result, analysis, map_note)]
