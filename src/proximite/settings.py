"""One typed, validated settings tree: every default written once, in its dataclass.

Why nested standard-library dataclasses rather than pydantic-settings: the sections *are*
the parameter types the library already takes (:class:`~proximite.model.DiagnosticOptions`,
:class:`~proximite.model.AnalysisOptions`, :class:`~proximite.planning.run.PlanningOptions`
...), so a notebook user and the CLI read the same defaults from the same place and no
second model has to be kept in sync; validation stays in each dataclass's
``__post_init__`` (French messages naming the key); and recording where each value came
from (``proximite config``) is a dictionary filled while the tree is built. TOML is read
with the standard library's :mod:`tomllib`.

Precedence, lowest first: the dataclass defaults, a ``proximite.toml`` (``--config`` or
``./proximite.toml``), environment variables ``PROXIMITE_<SECTION>__<KEY>`` (``__``
between levels, e.g. ``PROXIMITE_DIAGNOSTIC__ACCESS__MAX_SNAP_M=5000``), then the CLI.

Adding a section: write a frozen dataclass with defaults and validation, add it as a field
of :class:`Settings`; the loader, the environment variables and ``proximite config`` follow.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proximite.errors import ProximiteError, SettingError
from proximite.model import (
    AccessParams,
    AnalysisOptions,
    DemoDefaults,
    DiagnosticOptions,
    DigitalParams,
    StepDecay,
)
from proximite.network.travelmapping import TravelMappingParams
from proximite.planning.run import PlanningOptions

DEFAULT = "défaut"
ENV_PREFIX = "PROXIMITE_"
#: The networks the demo can run on (see :class:`DemoSettings`).
DEMO_NETWORKS = ("travelmapping", "stand-in")
CONFIG_FILE = "proximite.toml"


@dataclass(frozen=True)
class ServeSettings:
    """The géoportail server."""

    host: str = "127.0.0.1"  # local only unless asked
    port: int = 8000
    workers: int | None = None  # None: one process per core

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingError("port", self.port, "un port entre 1 et 65535")
        if self.workers is not None and self.workers < 1:
            raise SettingError("workers", self.workers, "un nombre de processus ≥ 1")


#: Loopback names, and the name Starlette's TestClient sends (no network resolves it).
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1", "testserver")


@dataclass(frozen=True)
class WebSettings:
    """The géoportail application.

    ``allowed_hosts``: the Host header values it answers ('*' for any, '*.example.org'
    for sub-domains); the Host header is otherwise trusted into absolute URLs and
    redirects. Environment: ``PROXIMITE_WEB__ALLOWED_HOSTS=carto.example.fr,*.example.fr``.
    """

    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    # Above this many origin x service pairs (a département: ~600,000), "near" answers
    # are searched on request and memoised instead of precomputed at start-up (France:
    # 1.4 billion pairs; see proximite.web.store).
    near_max_precomputed_pairs: int = 20_000_000

    def __post_init__(self) -> None:
        if self.near_max_precomputed_pairs < 0:
            raise SettingError("near_max_precomputed_pairs", self.near_max_precomputed_pairs,
                               "un nombre de paires ≥ 0")
        if not self.allowed_hosts:
            raise SettingError("allowed_hosts", "", "au moins un nom d'hôte (« * » pour "
                               "tous)")


@dataclass(frozen=True)
class DemoSettings:
    """The embedded demo bundle."""

    # Which network the demo runs on: "travelmapping" (the shipped Lozère bundle: full
    # inventory, calibrated Travel Mapping roads) or "stand-in" (the commune contiguity
    # graph with the first open lists, kept as a fallback; the golden test pins it).
    network: str = "travelmapping"

    def __post_init__(self) -> None:
        if self.network not in DEMO_NETWORKS:
            raise SettingError("network", self.network, "« " + " » ou « ".join(DEMO_NETWORKS)
                               + " »")


@dataclass(frozen=True)
class NationalSettings:
    """The national run (``diagnostic --france``) and its Dask execution.

    Tasks are one category x one block of ``departements_per_block`` départements, each
    searched on the graph cut to the block + ``block_margin_km`` (times beyond what the
    margin proves exact are searched again on the whole graph). Default: one block, so
    one task per category: on the 157,000-node Travel Mapping graph a block search costs
    as much as a whole-graph one (13 blocks of 8 took 404 s against 23 s); blocks pay on
    graphs of millions of nodes. ``scheduler``: an existing
    Dask scheduler (``tcp://host:8786``); None: a ``LocalCluster`` of ``workers``
    processes with ``memory_limit`` each. ``work_dir``: where finished blocks are kept for
    a resumed run (None: ``<out>.travail``).
    """

    departements_per_block: int = 200
    block_margin_km: float = 100.0
    workers: int = 2
    memory_limit: str = "3GiB"
    scheduler: str | None = None
    work_dir: Path | None = None
    france_services_threshold_min: float = 30.0

    def __post_init__(self) -> None:
        if self.departements_per_block < 1:
            raise SettingError("departements_per_block", self.departements_per_block,
                               "un nombre de départements ≥ 1")
        if not (math.isfinite(self.block_margin_km) and self.block_margin_km > 0):
            raise SettingError("block_margin_km", self.block_margin_km, "une distance > 0 km")
        if self.workers < 1:
            raise SettingError("workers", self.workers, "un nombre de processus ≥ 1")
        if not (math.isfinite(self.france_services_threshold_min)
                and self.france_services_threshold_min > 0):
            raise SettingError("france_services_threshold_min",
                               self.france_services_threshold_min, "une durée > 0 min")


@dataclass(frozen=True)
class NetworkSettings:
    """Network builders' parameters (Travel Mapping: class speeds, factors, access leg).

    ``calibration``: a calibration file (``proximite calibrate``) whose speeds, factors
    and access speed replace the ``travelmapping`` ones; None: the shipped Isère
    calibration. ``use_calibration = false``: the ``travelmapping`` values as set.
    """

    travelmapping: TravelMappingParams = field(default_factory=TravelMappingParams)
    calibration: Path | None = None
    use_calibration: bool = True


#: The database back-ends the store runs on (SQLAlchemy URL schemes).
STORE_SCHEMES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class StoreSettings:
    """The multi-user store: places, contributions, their history and the accounts.

    ``database_url``: a SQLAlchemy URL (``sqlite:///chemin.sqlite``,
    ``postgresql+psycopg://user@host/base``); empty: a SQLite file in the user data
    directory (``$XDG_DATA_HOME/proximite/proximite.sqlite``), so nothing needs setting up.
    """

    database_url: str = ""
    # Proposals accepted per client (IP address) and window, in the `limits` notation.
    proposal_rate_limit: str = "20/minute"
    session_hours: int = 12  # a signed-in session's lifetime
    # Session cookies only over HTTPS (turn off for plain-HTTP development only).
    secure_cookies: bool = True
    # The licence the accepted contributions are published under (open-data exports).
    contributions_licence: str = "Licence Ouverte / Open Licence 2.0 (Etalab)"

    def __post_init__(self) -> None:
        scheme = self.database_url.split(":", 1)[0].split("+", 1)[0]
        if self.database_url and scheme not in STORE_SCHEMES:
            raise SettingError("database_url", self.database_url,
                               "une adresse sqlite:///… ou postgresql+psycopg://…")
        if self.session_hours < 1:
            raise SettingError("session_hours", self.session_hours, "un nombre d'heures ≥ 1")


@dataclass(frozen=True)
class Settings:
    """The whole tree. ``sources`` maps a dotted key to where its value came from."""

    diagnostic: DiagnosticOptions = field(default_factory=DiagnosticOptions)
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    planning: PlanningOptions = field(default_factory=PlanningOptions)
    serve: ServeSettings = field(default_factory=ServeSettings)
    web: WebSettings = field(default_factory=WebSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    digital: DigitalParams = field(default_factory=DigitalParams)
    store: StoreSettings = field(default_factory=StoreSettings)
    national: NationalSettings = field(default_factory=NationalSettings)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def source(self, key: str) -> str:
        return self.sources.get(key, DEFAULT)

    def get(self, key: str) -> Any:
        node: Any = self
        for part in key.split("."):
            node = getattr(node, part)
        return node

    def is_default(self, key: str) -> bool:
        """True when nobody set ``key``: sourced from the default or, for a tree built in
        code (no ``sources``), unset (an optional section left None) or equal to its default.
        """
        if key in self.sources:
            return self.sources[key] == DEFAULT
        try:
            value = self.get(key)
        except AttributeError:  # inside an optional section left None
            return True
        return bool(value == _default_of(key))


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Given:
    """One value given by a source: the raw text or TOML value, and who gave it."""

    value: Any
    origin: str  # "--margin-km", "PROXIMITE_...", "proximite.toml: diagnostic.margin_m"
    shown: str | None = None  # the value as the user typed it (CLI units), for messages


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dataclass_of(annotation: Any) -> type | None:
    """The dataclass type of ``X`` or ``X | None``, else None."""
    if dataclasses.is_dataclass(annotation) and annotation is not StepDecay:
        return annotation  # type: ignore[return-value]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            if dataclasses.is_dataclass(arg) and arg is not StepDecay:
                return arg  # type: ignore[return-value]
    return None


def _walk(cls: type, prefix: str) -> Iterator[tuple[dataclasses.Field[Any], str, Any,
                                                   type | None]]:
    """Each field of one section: the field, its dotted key, its annotation and, for a
    sub-section, its dataclass (None for a leaf). :func:`leaves` and :func:`_build` both
    walk the tree through here, so they cannot disagree on its shape."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.name != "sources":
            yield f, prefix + f.name, hints[f.name], _dataclass_of(hints[f.name])


def leaves(cls: type = Settings, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(dotted key, annotation, default)`` of every leaf of the tree."""
    for f, key, annotation, sub in _walk(cls, prefix):
        if sub is not None:
            yield from leaves(sub, key + ".")
        else:
            default = (f.default if f.default is not dataclasses.MISSING
                       else f.default_factory() if f.default_factory is not dataclasses.MISSING
                       else None)
            yield key, annotation, default


def _coerce(annotation: Any, raw: Any) -> Any:
    """Convert a TOML value or a text (CLI, environment) to the annotated type."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], raw)
    origin = typing.get_origin(annotation)
    if annotation is StepDecay:
        return raw if isinstance(raw, StepDecay) else StepDecay(raw)
    if origin in (tuple, list) or str(origin).endswith("Sequence'>"):
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        item_type = args[0] if args else str
        values = tuple(_coerce(item_type, item.strip() if isinstance(item, str) else item)
                       for item in items if not (isinstance(item, str) and not item.strip()))
        return values
    if annotation is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "oui", "yes", "vrai"):
            return True
        if text in ("0", "false", "non", "no", "faux"):
            return False
        raise ValueError(raw)
    if annotation is float:
        return float(str(raw).replace(",", ".")) if isinstance(raw, str) else float(raw)
    if annotation is int:
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError(raw)
        return int(raw)
    if annotation is Path:
        return Path(raw)
    return raw if isinstance(raw, str) else str(raw)


_EXPECTED = {float: "un nombre", int: "un nombre entier", bool: "true ou false"}


def _build(cls: type, prefix: str, given: Mapping[str, Given], sources: dict[str, str]) -> Any:
    """Instantiate ``cls`` from its defaults and the given leaves under ``prefix``."""
    kwargs: dict[str, Any] = {}
    for f, key, annotation, sub in _walk(cls, prefix):
        if sub is not None:
            optional = sub is not annotation
            if optional and not any(k.startswith(key + ".") for k in given):
                continue  # an optional section nobody set: keep its None default
            kwargs[f.name] = _build(sub, key + ".", given, sources)
            continue
        if key in given:
            item = given[key]
            try:
                kwargs[f.name] = _coerce(annotation, item.value)
            except (ValueError, TypeError, ProximiteError) as exc:
                raise _named(SettingError(f.name, item.value, _expected(annotation, exc)),
                             key, given) from None
            sources[key] = item.origin
        else:
            sources.setdefault(key, DEFAULT)
    try:
        return cls(**kwargs)
    except SettingError as exc:
        keys = [prefix + part.strip() for part in exc.key.split(",")]
        if len(keys) > 1:  # a rule between several values: name who gave them
            origins = [given[k].origin for k in keys if k in given]
            if origins:
                raise SettingError(f"{', '.join(origins)} ({prefix}{exc.key})", exc.value,
                                   exc.expected) from None
        raise _named(exc, prefix + exc.key, given) from None


def _expected(annotation: Any, exc: Exception) -> str:
    if isinstance(exc, SettingError):
        return exc.expected
    base = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if typing.get_origin(annotation) is tuple:
        return "des nombres séparés par des virgules"
    return _EXPECTED.get(base[0], "une valeur valide")


def _named(exc: SettingError, key: str, given: Mapping[str, Given]) -> SettingError:
    """The same error, naming the option, file key or variable the value came from."""
    item = given.get(key)
    if item is None:
        return SettingError(key, exc.value, exc.expected)
    shown = item.shown if item.shown is not None else _show(item.value)
    return SettingError(item.origin, shown, exc.expected)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ",".join(_show(v) for v in value)
    return str(value)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield prefix + name, value


def read_toml(path: Path) -> dict[str, Given]:
    """The leaves of a ``proximite.toml``, refusing unknown keys (a typo must not pass)."""
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except FileNotFoundError:
        raise ProximiteError(f"{path} : fichier de configuration introuvable") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProximiteError(f"{path} : TOML invalide ({exc})") from None
    known = {key for key, _, _ in leaves()}
    given: dict[str, Given] = {}
    for key, value in _flatten(table):
        if key not in known:
            raise ProximiteError(f"{path} : clé inconnue « {key} » (clés possibles : "
                                 "voir `proximite config`)")
        given[key] = Given(value, f"{path} : {key}", _show(value))
    return given


def read_environment(environ: Mapping[str, str]) -> dict[str, Given]:
    """``PROXIMITE_SECTION__KEY`` variables, refusing unknown ones under the prefix."""
    known = {key.replace(".", "__").upper(): key for key, _, _ in leaves()}
    given: dict[str, Given] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        suffix = name[len(ENV_PREFIX):]
        if suffix not in known:
            if "__" in suffix:  # a nested name under our prefix: surely meant for us
                raise ProximiteError(f"variable d'environnement inconnue {name}")
            continue
        given[known[suffix]] = Given(value, name, value)
    return given


def load_settings(config: str | Path | None = None, *,
                  environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Given] | None = None) -> Settings:
    """The effective settings: defaults < ``proximite.toml`` < environment < ``overrides``.

    ``config`` None reads ``./proximite.toml`` when it exists.
    """
    given: dict[str, Given] = {}
    path = Path(config) if config is not None else Path(CONFIG_FILE)
    if config is not None or path.exists():
        given.update(read_toml(path))
    given.update(read_environment(os.environ if environ is None else environ))
    given.update(overrides or {})
    sources: dict[str, str] = {}
    built = _build(Settings, "", given, sources)
    return dataclasses.replace(built, sources=sources)


# --------------------------------------------------------------------------- demo defaults

#: The keys a demo bundle's manifest may set, with how to show them.
DEMO_KEYS = {
    "diagnostic.access.access_speed_kmh": "vitesse hors réseau {:g} km/h",
    "diagnostic.access.max_snap_m": "distance au réseau max. {:g} m",
    "diagnostic.edge_speed_kmh": "vitesse sur les arcs {:g} km/h",
}


def _default_of(key: str) -> Any:
    for leaf, _, default in leaves():
        if leaf == key:
            return default
    raise KeyError(key)


def demo_values(demo: DemoDefaults) -> dict[str, float]:
    return {"diagnostic.access.access_speed_kmh": demo.access.access_speed_kmh,
            "diagnostic.access.max_snap_m": demo.access.max_snap_m,
            "diagnostic.edge_speed_kmh": demo.edge_speed_kmh}


def _value_or_default(settings: Settings, key: str) -> float:
    """The setting's value; for the optional access section, its class default when unset."""
    if key.startswith("diagnostic.access.") and settings.diagnostic.access is None:
        return float(getattr(AccessParams(), key.rsplit(".", 1)[1]))
    return float(settings.get(key))


def with_demo_defaults(settings: Settings, demo: DemoDefaults) -> tuple[Settings, list[str]]:
    """The settings with the bundle's values wherever nobody set one, and what was taken."""
    values = demo_values(demo)
    taken = [key for key in DEMO_KEYS if settings.is_default(key)]
    if not taken:
        return settings, []
    access = settings.diagnostic.access or AccessParams()
    access_changes = {key.rsplit(".", 1)[1]: values[key] for key in taken
                      if key.startswith("diagnostic.access.")}
    diagnostic = dataclasses.replace(
        settings.diagnostic, access=dataclasses.replace(access, **access_changes),
        edge_speed_kmh=(values["diagnostic.edge_speed_kmh"]
                        if "diagnostic.edge_speed_kmh" in taken
                        else settings.diagnostic.edge_speed_kmh))
    sources = dict(settings.sources) | {key: f"démo ({demo.source})" for key in taken}
    return (dataclasses.replace(settings, diagnostic=diagnostic, sources=sources),
            [DEMO_KEYS[key].format(values[key]) for key in taken])


def differences_from_demo(settings: Settings, demo: DemoDefaults) -> list[str]:
    """The defaulted values that differ from the demo's (running its files by hand)."""
    values = demo_values(demo)
    out = []
    for key, template in DEMO_KEYS.items():
        if not settings.is_default(key):
            continue
        used = _value_or_default(settings, key)
        if not math.isclose(used, values[key]):
            out.append(f"{template.format(used)} (démo : {values[key]:g})")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, StepDecay):
        return "[" + ", ".join(f"[{u:g}, {w:g}]" for u, w in value.bands) + "]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def describe(settings: Settings) -> list[str]:
    """The effective settings as ``proximite.toml`` lines, each with its source.

    Unset values (``None``: decided later, e.g. the network's own access speeds) are
    written commented out, with what decides them.
    """
    sections: dict[str, list[str]] = {}
    for key, _, default in leaves():
        head, _, name = key.rpartition(".")
        lines = sections.setdefault(head, [])
        try:
            value = settings.get(key)
        except AttributeError:  # inside an optional section left None
            value = None
        source = settings.source(key)
        if value is None and key.startswith("diagnostic.access."):
            lines.append(f"# {name} = {_toml_value(default)}  # {source} du réseau "
                         "(la démo : celui de son bundle.yaml)")
        elif value is None:
            lines.append(f"# {name} =  # {source} : non défini")
        else:
            lines.append(f"{name} = {_toml_value(value)}  # {source}")
    out: list[str] = []
    for head, lines in sections.items():
        out.extend(([""] if out else []) + [f"[{head}]", *lines])
    return out
