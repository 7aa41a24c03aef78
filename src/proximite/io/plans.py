"""Reading and writing plan files (YAML), and the four plans shipped with the package.

The shipped plans are copies of ``shared/data/plans/`` (``scripts/ship_plans.py``;
provenance in ``data/plans/PROVENANCE.md``): ``--plan`` takes a file or one of their ids.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from proximite import messages
from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError
from proximite.plans.model import Plan
from proximite.plans.schema import add_indicators, export_plan, parse_plan

SHIPPED_DIR = "data/plans"
#: The computed indicators chosen for a shipped plan: ``<plan id>.yaml`` in this folder.
INDICATORS_DIR = "data/plans/indicateurs"


def shipped_plans() -> dict[str, Path]:
    """Plan id -> shipped file (the file name is the id with underscores)."""
    folder = Path(str(resources.files("proximite").joinpath(SHIPPED_DIR)))
    return {path.stem.replace("_", "-"): path for path in sorted(folder.glob("*.yaml"))}


def resolve_plan(name: str | Path) -> Path:
    """A plan file: an existing path, or the id of a shipped plan."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = shipped_plans()
    if str(name) in shipped:
        return shipped[str(name)]
    raise InputError(messages.FILE_NOT_FOUND, path=str(name),
                     expected="un fichier de plan YAML ou l'id d'un plan livré : "
                              + ", ".join(shipped))


def _load(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"lecture impossible ({exc.strerror})", path=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"YAML invalide ({getattr(exc, 'problem', exc)})", path=str(path),
                         line=None if mark is None else mark.line + 1) from exc


def read_plan(name: str | Path, catalogue: Catalogue | None = None) -> Plan:
    """The plan in file ``name`` (or shipped plan id), checked against ``catalogue``
    (default: the package's catalogue)."""
    path = resolve_plan(name)
    return parse_plan(_load(path), str(path),
                      catalogue if catalogue is not None else load_catalogue())


def shipped_indicators(plan_id: str) -> Path | None:
    """The shipped computed indicators of plan ``plan_id``, if any."""
    path = Path(str(resources.files("proximite").joinpath(INDICATORS_DIR))) / f"{plan_id}.yaml"
    return path if path.is_file() else None


def read_indicators(plan: Plan, path: str | Path,
                    catalogue: Catalogue | None = None) -> list[str]:
    """Add the indicators of file ``path`` to ``plan``; the ids added."""
    path = Path(path)
    if not path.is_file():
        raise InputError(messages.FILE_NOT_FOUND, path=str(path),
                         expected="un fichier d'indicateurs YAML (plan:, indicators:)")
    return add_indicators(plan, _load(path), str(path),
                          catalogue if catalogue is not None else load_catalogue())


def plan_yaml(plan: Plan) -> str:
    """The YAML text of ``plan`` (:func:`~proximite.plans.schema.export_plan`)."""
    return yaml.safe_dump(export_plan(plan), sort_keys=False, allow_unicode=True, width=100)


def write_plan(plan: Plan, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(plan_yaml(plan), encoding="utf-8")
    return path
