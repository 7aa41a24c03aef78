"""Reference commands: the catalogue, the effective settings, the demo bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from proximite.cli.common import out_console, user_errors


def categories(
    catalogue: Annotated[Path | None, typer.Option(
        help="Dossier du catalogue (categories.yaml, baskets.yaml)")] = None,
) -> None:
    """Lister les catégories de services et les paniers."""
    from proximite.catalogue import load_catalogue

    with user_errors():
        cat = load_catalogue(catalogue)
    table = Table(title="Catégories")
    for col in ("code", "libellé", "parent", "codes BPE", "OSM"):
        table.add_column(col)
    for c in cat.categories.values():
        table.add_row(c.code, c.label, c.parent or "", " ".join(c.bpe_codes),
                      "; ".join(",".join(f"{k}={v}" for k, v in f.items())
                                for f in c.osm_filters))
    out_console.print(table)
    for b in cat.baskets.values():
        out_console.print(f"[bold]{b.code}[/] {b.label} : {', '.join(b.categories)}")


def config(
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="Fichier de réglages \\[défaut : ./proximite.toml s'il existe]")]
    = None,
) -> None:
    """Afficher les réglages effectifs et leur provenance (défaut, fichier, environnement)."""
    from proximite.settings import describe, load_settings

    with user_errors():
        settings = load_settings(config_file)
    out_console.print("# Réglages effectifs, au format de proximite.toml ; après chaque "
                      "valeur, sa provenance.\n# Environnement : PROXIMITE_SECTION__CLÉ, "
                      "ex. PROXIMITE_DIAGNOSTIC__MARGIN_M=10000.", highlight=False,
                      markup=False, soft_wrap=True)
    for line in describe(settings):
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)


def build_demo(
    shared: Annotated[Path, typer.Option(help="Le dossier des données partagées")] = Path(
        "../shared/data"),
    out: Annotated[Path | None, typer.Option(help="Dossier du bundle")] = None,
) -> None:
    """Reconstruire le bundle de démonstration de la Lozère depuis les fichiers officiels."""
    from proximite.demo import build_demo_bundle

    with user_errors():
        path = build_demo_bundle(shared, out)
    out_console.print(f"Bundle écrit dans {path}")


COMMANDS = {"categories": categories, "config": config, "build-demo": build_demo}
