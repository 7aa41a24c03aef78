"""Write a diagnostic to one folder: GeoPackage (opens in QGIS), CSV tables, report.

Layers of ``diagnostic.gpkg``: ``communes`` (polygons, with one ``t_<code>_min`` column
per category and basket for direct choropleths), ``services`` (points), ``access_times``
(one row per origin and category, at the origin point), ``indicators``,
``rejected_services`` and ``duplicates`` (attribute tables); with the analysis, its tables.

The GeoPackage is also the complete record of the run, read back by
:func:`proximite.saved.load_diagnostic` (``proximite serve --diagnostic``): ``origins``
(points), ``network_nodes`` (points), ``network_edges`` (the road graph's edges) and
``run`` (key/value: parameters, catalogue, warnings, provenance), described in
:mod:`proximite.saved`. These have no CSV (``access_times.csv`` already carries each
origin's point and population).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from proximite.io.csv_writer import write_csv
from proximite.model import AnalysisResult, DiagnosticResult
from proximite.outdir import atomic_output_dir
from proximite.saved import GPKG_NAME, write_layer, write_record


def rejected_table(result: DiagnosticResult) -> pd.DataFrame:
    return pd.DataFrame(
        [{"file": r.path, "line": r.line, "field": r.field, "value": r.value,
          "reason": r.reason, "rows": getattr(r, "rows", 1)} for r in result.rejected],
        columns=["file", "line", "field", "value", "reason", "rows"])


def communes_layer(result: DiagnosticResult) -> gpd.GeoDataFrame:
    """Commune polygons with a time column per category and basket (median at commune)."""
    communes = result.territory.communes.copy()
    per_commune = result.indicators[result.indicators["level"] == "commune"]
    if len(communes) and len(per_commune):
        wide = per_commune.pivot(index="zone_code", columns="category", values="median_min")
        wide.columns = [f"t_{c}_min" for c in wide.columns]
        communes = communes.merge(wide, left_on="code_insee", right_index=True, how="left")
    return communes


def access_layer(result: DiagnosticResult) -> gpd.GeoDataFrame:
    table = result.access_times.merge(result.origins[["origin_id", "lon", "lat"]],
                                      on="origin_id", how="left")
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat),
                            crs="EPSG:4326")


def services_layer(result: DiagnosticResult) -> gpd.GeoDataFrame:
    services = result.services
    return gpd.GeoDataFrame(services, geometry=gpd.points_from_xy(services.lon, services.lat),
                            crs="EPSG:4326")


def analysis_layers(analysis: AnalysisResult) -> dict[str, pd.DataFrame]:
    """Tables of the diagnosis (profiles, poles, deficits, potential, scenario)."""
    layers: dict[str, pd.DataFrame] = {
        "profiles": analysis.profiles,
        "poles": analysis.poles,
        "pole_catchments": analysis.pole_by_origin,
        "deficits": analysis.deficits,
        "epci_deficits": analysis.epci_deficits,
        "potential_accessibility":
            analysis.potential.reset_index(),
    }
    if len(analysis.scheme_indicators):
        layers["scheme_indicators"] = analysis.scheme_indicators
    if len(analysis.inventory_change):
        layers["inventory_change"] = analysis.inventory_change
    scenario = analysis.scenario
    if scenario is not None:
        layers["scenario_comparison"] = scenario.comparison
        layers["scenario_thresholds"] = scenario.threshold_changes
    return layers


def access_mode_layers(result: DiagnosticResult) -> dict[str, pd.DataFrame]:
    """Itinerant and remote access per commune, and the digital axis when the run has it."""
    layers: dict[str, pd.DataFrame] = {"itinerant_access": result.itinerant,
                                       "remote_access": result.remote}
    if len(result.digital):
        layers["digital"] = result.digital
    return {name: frame for name, frame in layers.items() if len(frame.columns)}


DIAGNOSTIC_FILES = ("diagnostic.gpkg", "*.csv", "report.html", "*.gpkg-wal", "*.gpkg-shm",
                    "*.gpkg-journal")
"""Names ``proximite diagnostic`` writes: a folder holding only these may be replaced."""


def write_outputs(result: DiagnosticResult, out_dir: str | Path, *,
                  report: bool = True, analysis: AnalysisResult | None = None) -> dict[str, Path]:
    """Write every output into ``out_dir``, whole or not at all; the final paths by name.

    The files are written into a temporary folder swapped in at the end
    (:func:`proximite.outdir.atomic_output_dir`): an interrupted write leaves the previous
    outputs as they were. With ``analysis``
    (:class:`~proximite.analysis.diagnosis.AnalysisResult`), its tables are added as
    layers and CSV, and the commune layer gets the profile and pole level.
    """
    out = Path(out_dir)
    with atomic_output_dir(out, command="diagnostic", patterns=DIAGNOSTIC_FILES) as (
            folder, run_id):
        written = write_output_files(result, folder, run_id, report=report, analysis=analysis)
    return {name: out / path.name for name, path in written.items()}


def write_output_files(result: DiagnosticResult, out: Path, run_id: str, *,
                       report: bool = True,
                       analysis: AnalysisResult | None = None) -> dict[str, Path]:
    """Write every output into the (new, empty) folder ``out``; the paths by name."""
    gpkg = out / GPKG_NAME
    communes = communes_layer(result)
    if analysis is not None and len(communes) and len(analysis.profiles):
        communes = communes.merge(
            analysis.profiles[["code_insee", "profile"]],
            on="code_insee", how="left").merge(
            analysis.poles[["code_insee", "pole_level"]],
            on="code_insee", how="left")
    layers: dict[str, pd.DataFrame] = {
        "communes": communes,
        "services": services_layer(result),
        "access_times": access_layer(result),
        "indicators": result.indicators,
        "rejected_services": rejected_table(result),
        "duplicates": result.duplicates,
    }
    layers.update(access_mode_layers(result))
    if analysis is not None:
        layers.update(analysis_layers(analysis))
    written: dict[str, Path] = {"gpkg": gpkg}
    for name, frame in layers.items():
        if name == "communes" and len(frame) == 0:
            continue
        if isinstance(frame, gpd.GeoDataFrame):
            write_layer(frame, gpkg, name)
        elif len(frame.columns):
            plain_frame = pd.DataFrame(frame).copy()
            plain_frame.attrs = {}
            for column in plain_frame.columns:
                if plain_frame[column].dtype == object:
                    plain_frame[column] = plain_frame[column].map(
                        lambda v: "" if v is None else v if isinstance(v, str) else str(v))
            write_layer(plain_frame, gpkg, name)
        csv_path = out / f"{name}.csv"
        write_csv(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), csv_path)
        written[name] = csv_path
    write_record(result, gpkg, run_id)
    if report:
        from proximite.report import write_report

        written["report"] = write_report(result, out / "report.html", analysis=analysis)
    return written


def write_digital(table: pd.DataFrame, out_dir: str | Path, name: str = "digital.csv") -> Path:
    """Write the digital-infrastructure commune indicators
    (:func:`proximite.inventory.digital.digital_indicators`) next to the other outputs."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    table.to_csv(path, index=False)
    return path
