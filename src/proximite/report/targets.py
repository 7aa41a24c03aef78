"""Reading a diagnostic for the report: the categories and baskets it computed, their
French labels and the figures per commune, shared by every section module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from proximite.report.formatting import is_finite

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

#: Printed under every map drawn on the stand-in network, so a copied image keeps it.
MAP_STAND_IN_NOTE = ("Réseau de substitution, pas un réseau routier : ordres de grandeur, "
                     "pas des temps d'accès routiers.")
#: French names of the travel modes of a road graph.
MODE_LABELS = {"car": "voiture", "bike": "vélo", "bicycle": "vélo", "foot": "à pied",
               "walk": "à pied"}


@dataclass
class Target:
    """A category or basket as reported: code, kind, French label, territory row."""

    code: str
    kind: str
    label: str
    row: pd.Series | None

    @property
    def has_data(self) -> bool:
        """True when the territory statistics were computed (services exist for all)."""
        return self.row is not None and is_finite(self.row.get("population_unreachable"))


def label(result: DiagnosticResult, code: str, kind: str = "category") -> str:
    """French label of a category or basket code (rule: :meth:`Catalogue.label`)."""
    return result.catalogue.label(code, kind)


def targets(result: DiagnosticResult, kind: str) -> list[Target]:
    codes = result.baskets if kind == "basket" else result.categories
    ind = result.indicators
    out = []
    for code in codes:
        row = None
        if len(ind):
            match = ind[(ind["level"] == "territory") & (ind["category"] == code)
                        & (ind["target_kind"] == kind)]
            row = match.iloc[0] if len(match) else None
        out.append(Target(code, kind, label(result, code, kind), row))
    return out


def thresholds(indicators: pd.DataFrame) -> list[tuple[float, str]]:
    """(minutes, suffix) of the threshold columns, found by prefix (thresholds vary)."""
    found = []
    for col in indicators.columns:
        if col.startswith("pop_over_"):
            suffix = col[len("pop_over_"):]
            try:
                found.append((float(suffix), suffix))
            except ValueError:
                continue
    return sorted(found)


def members(result: DiagnosticResult, target: Target) -> set[str]:
    """Every category code (sub-categories included) whose services serve a target."""
    cat = result.catalogue
    codes = cat.baskets[target.code].categories if target.kind == "basket" else (target.code,)
    found: set[str] = set()
    for code in codes:
        found |= cat.members(code)
    return found


def commune_values(result: DiagnosticResult, code: str, kind: str) -> pd.Series:
    """Commune time (minutes) by code_insee; ``inf`` = unreachable, ``NaN`` = not computed.

    The commune figure is its population-weighted median (its town hall's time when
    there is one origin per commune, the usual case).
    """
    ind = result.indicators
    if not len(ind):
        return pd.Series(dtype=float)
    rows = ind[(ind["level"] == "commune") & (ind["category"] == code)
               & (ind["target_kind"] == kind)]
    values = rows["median_min"].to_numpy(dtype=float).copy()
    unreachable = np.isnan(values) & (rows["population_unreachable"].to_numpy(dtype=float) > 0)
    values[unreachable] = np.inf
    return pd.Series(values, index=rows["zone_code"].astype(str).to_numpy(), dtype=float)


def service_counts(result: DiagnosticResult) -> dict[str, int]:
    services = result.services
    return {code: int(services["category"].isin(result.catalogue.members(code)).sum())
            for code in result.categories}


def has_polygons(result: DiagnosticResult) -> bool:
    communes = result.territory.communes
    return len(communes) > 0 and bool(communes.geometry.notna().any())


def population(result: DiagnosticResult) -> float:
    if len(result.territory.communes):
        return result.territory.population
    return float(result.origins["population"].sum()) if len(result.origins) else 0.0


def commune_names(result: DiagnosticResult) -> pd.Series:
    communes = result.territory.communes
    return communes.set_index("code_insee")["nom"] if len(communes) else pd.Series(dtype=str)


def file_name(text: object) -> str:
    """A file as the reader knows it: an absolute path is shown by its name only (the
    page must not print where its author keeps files, wrong on any other computer)."""
    value = str(text)
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(value)
        if path.is_absolute() and path.name:
            return path.name
    return value
