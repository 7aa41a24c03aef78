"""Shipped territory bundles: what ``--departement 48 / 15 / 03`` reads on a fresh clone.

A bundle is a folder ``data/bundles/<dep>/`` with a ``bundle.yaml`` manifest naming its
communes file, optional service files and network, the notes the report must repeat (e.g.
reconstructed commune outlines), the files it was built from and their provenance. It is
written by ``scripts/build_bundles.py`` from the shared open data; this module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from proximite.errors import ProximiteError
from proximite.territory import BUNDLES_DIR, Territory, load_communes_file

DIGITAL_DIR = "digital"


@dataclass(frozen=True)
class TerritoryBundle:
    """One shipped département: a folder and its manifest."""

    departement: str
    directory: Path
    manifest: dict[str, Any]

    @classmethod
    def find(cls, departement: str) -> TerritoryBundle | None:
        """The bundle of a département code (``"15"``, ``"3"``), or None if none ships."""
        code = str(departement).strip().upper().zfill(2)
        directory = Path(str(BUNDLES_DIR)) / code
        manifest_path = directory / "bundle.yaml"
        if not manifest_path.is_file():
            return None
        try:
            manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ProximiteError(f"{manifest_path}: manifeste illisible ({exc})") from exc
        return cls(code, directory, manifest)

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    def territory(self) -> Territory:
        """The communes, with the manifest's notes among the territory's warnings."""
        territory = load_communes_file(self.directory / self.manifest["communes"],
                                       population_field=self.manifest["population_field"],
                                       name=self.name)
        territory.source = f"jeu de données Proximité embarqué ({self.name})"
        territory.warnings.extend(self.manifest.get("notes", []))
        return territory

    def service_files(self) -> list[Path]:
        return [self.directory / name for name in self.manifest.get("services", [])]

    def network_file(self) -> Path | None:
        """The bundle's road network (a path relative to the bundle), if it names one."""
        network = self.manifest.get("network")
        return (self.directory / network["file"]).resolve() if network else None

    def bpe_types_file(self) -> Path | None:
        """BPE counts of every equipment type per commune (for the service poles), if any."""
        name = self.manifest.get("bpe_types")
        return self.directory / name if name else None

    def provenance(self) -> list[dict[str, str]]:
        return list(self.manifest.get("provenance", [])) + list(
            self.digital_manifest().get("provenance", []))

    def digital_manifest(self) -> dict[str, Any]:
        """``digital/digital.yaml`` (ARCEP fibre and mobile sites cut for the bundle, written
        by ``scripts/build_digital_bundles.py``), empty when the bundle has none."""
        path = self.directory / DIGITAL_DIR / "digital.yaml"
        if not path.is_file():
            return {}
        try:
            return dict(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise ProximiteError(f"{path}: manifeste illisible ({exc})") from exc

    def digital_files(self) -> tuple[Path | None, Path | None]:
        """The bundle's fibre (FttH) and mobile-site files, None where it has none."""
        manifest = self.digital_manifest()
        folder = self.directory / DIGITAL_DIR
        return tuple(folder / manifest[key] if key in manifest else None  # type: ignore[return-value]
                     for key in ("ftth", "mobile_sites"))


def shipped_departements() -> list[str]:
    """Codes of the départements with a shipped bundle."""
    root = Path(str(BUNDLES_DIR))
    return sorted(p.name for p in root.iterdir() if (p / "bundle.yaml").is_file())
