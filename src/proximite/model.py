"""The data contracts of a diagnostic, at the bottom of the package.

Every layer above (inventory, network, access, indicators, analysis, planning, the
orchestrator, outputs, report, web, CLI) exchanges these types; this module imports only
the standard library, numpy, pandas, the error types and the graph type, so nothing needs
the orchestrator (:mod:`proximite.pipeline`) for its types. The :class:`Territory` type is
named for type checking only (it carries a GeoDataFrame and its loaders).

Parameter dataclasses hold each default once; :mod:`proximite.settings` composes them into
the one settings tree read from ``proximite.toml``, the environment and the CLI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from proximite.errors import InputError, Rejection, SettingError
from proximite.messages import short_number, titled
from proximite.network.graph import RoadGraph

if TYPE_CHECKING:
    from proximite.territory import Territory


# --------------------------------------------------------------------------- vocabularies


class AccessStatus(StrEnum):
    """Status of one origin's time to one category or basket."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    NO_SERVICE = "no_service"
    INCOMPLETE = "incomplete"  # a basket with a category not reachable
    NO_ORIGIN = "no_origin"  # a commune where the origins (a population grid) have no point


class TargetKind(StrEnum):
    """What a row of access times or indicators is about."""

    CATEGORY = "category"
    BASKET = "basket"


class Level(StrEnum):
    """Geographic level of an indicator row."""

    COMMUNE = "commune"
    EPCI = "epci"
    TERRITORY = "territory"


class TravelMode(StrEnum):
    """How people travel on the network."""

    CAR = "car"
    WALK = "walk"


# Plain-string aliases kept for the modules and tests that compare with them.
STATUS_OK = AccessStatus.OK.value
STATUS_UNREACHABLE = AccessStatus.UNREACHABLE.value
STATUS_NO_SERVICE = AccessStatus.NO_SERVICE.value
STATUS_INCOMPLETE = AccessStatus.INCOMPLETE.value
STATUS_NO_ORIGIN = AccessStatus.NO_ORIGIN.value


def _finite(value: float, *, minimum: float | None = None, positive: bool = False) -> bool:
    number = float(value)
    if not math.isfinite(number):
        return False
    if positive and not number > 0:
        return False
    return not (minimum is not None and number < minimum)


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    family: str
    parent: str | None = None
    gamme: str | None = None
    bpe_codes: tuple[str, ...] = ()
    osm_filters: tuple[dict[str, str], ...] = ()
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Codes of the other source nomenclatures (catalogue.CODE_SCHEMES) mapped here."""


@dataclass(frozen=True)
class Basket:
    code: str
    label: str
    categories: tuple[str, ...]
    source: str = ""
    to_check: str = ""
    note: str = ""  # how the list was counted (shown with the basket)


@dataclass
class Catalogue:
    categories: dict[str, Category]
    baskets: dict[str, Basket]
    families: dict[str, str] = field(default_factory=dict)

    def category(self, code: str, *, path: str | None = None, line: int | None = None) -> Category:
        """Return a category or raise a located error listing the known codes."""
        if code not in self.categories:
            raise InputError(
                f"catégorie « {code} » inconnue",
                path=path,
                line=line,
                field="category",
                expected="une de " + ", ".join(sorted(self.categories)),
            )
        return self.categories[code]

    def label(self, code: str, kind: str | None = None) -> str:
        """French name of a category or basket code, for anything a user reads.

        The fallback rule, once for every page, table and message: the table of ``kind``
        first (baskets for ``"basket"``, categories otherwise), then the other one (codes
        are unique across both); the bare code only when neither knows it, i.e. a code
        from another catalogue (an older saved run, a hand-written file). The loader
        refuses a category or basket without a label, so a known code always has a name.
        """
        code = str(code)
        first, second = ((self.baskets, self.categories) if kind == TargetKind.BASKET
                         else (self.categories, self.baskets))
        for table in (first, second):
            known = table.get(code)
            if known is not None:
                return known.label
        return code

    def titled_label(self, code: str, kind: str | None = None) -> str:
        """Like :meth:`label`, a basket saying it is one ("Panier : …") where categories
        and baskets share a list; a category stays bare."""
        code = str(code)
        is_basket = code in self.baskets and (kind == TargetKind.BASKET
                                              or code not in self.categories)
        name = self.label(code, kind)
        return titled(name, TargetKind.BASKET) if is_basket else name

    def members(self, code: str) -> set[str]:
        """The category and all its descendants (a bureau de poste is a La Poste point)."""
        found = {code}
        changed = True
        while changed:
            changed = False
            for cat in self.categories.values():
                if cat.parent in found and cat.code not in found:
                    found.add(cat.code)
                    changed = True
        return found

    def ancestors(self, code: str) -> list[str]:
        """The category followed by its parents, nearest first."""
        chain = [code]
        while self.categories[chain[-1]].parent:
            chain.append(self.categories[chain[-1]].parent)  # type: ignore[arg-type]
        return chain

    def bpe_index(self) -> dict[str, str]:
        """Map each BPE TYPEQU code to the most specific category that lists it."""
        return self.code_index("bpe")

    def code_index(self, scheme: str) -> dict[str, str]:
        """Map each code of ``scheme`` ("bpe" or a catalogue.CODE_SCHEMES key) to the most
        specific category that lists it, so a child is never also counted as its parent."""
        index: dict[str, str] = {}
        for cat in sorted(self.categories.values(), key=lambda c: len(self.ancestors(c.code))):
            for code in cat.bpe_codes if scheme == "bpe" else cat.codes.get(scheme, ()):
                index[code] = cat.code  # children (deeper) overwrite parents
        return index


def namer(labels: Mapping[str, str] | Catalogue | None) -> Callable[[str], str]:
    """The name of a code, by :meth:`Catalogue.label`'s rule, for the functions that also
    take a plain ``code -> label`` mapping (a notebook user's own names)."""
    if isinstance(labels, Catalogue):
        return labels.label
    known = labels or {}
    return lambda code: known.get(code, code)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class AccessParams:
    """Parameters of the off-network legs.

    ``access_speed_kmh`` is the speed, as the crow flies, of the legs between a point and
    its snapped network node (walking pace by default: the last metres are on foot or on
    a track the network does not hold). Points farther than ``max_snap_m`` from the
    network are not snapped: they are ``unreachable`` with the reason stated.
    ``detour_factor`` lengthens the crow-fly leg (a coarse network such as Travel Mapping
    leaves kilometres of communal roads to it).
    """

    access_speed_kmh: float = 5.0
    max_snap_m: float = 2000.0
    detour_factor: float = 1.0

    def __post_init__(self) -> None:
        if not _finite(self.access_speed_kmh, positive=True):
            raise SettingError("access_speed_kmh", self.access_speed_kmh, "une vitesse > 0 km/h")
        if not _finite(self.max_snap_m, minimum=0.0):
            raise SettingError("max_snap_m", self.max_snap_m, "une distance ≥ 0 m")
        if not _finite(self.detour_factor, minimum=1.0):
            raise SettingError("detour_factor", self.detour_factor, "un facteur ≥ 1")

    def leg_minutes(self, distance_m: np.ndarray) -> np.ndarray:
        return (np.asarray(distance_m, dtype=float) * self.detour_factor / 1000.0
                / self.access_speed_kmh * 60.0)


@dataclass(frozen=True)
class IndicatorParams:
    """Thresholds (minutes) for the population beyond X min."""

    thresholds_min: tuple[float, ...] = (10.0, 20.0, 30.0)

    def __post_init__(self) -> None:
        if not self.thresholds_min or not all(_finite(t, positive=True)
                                              for t in self.thresholds_min):
            raise SettingError("thresholds_min", ",".join(f"{t:g}" for t in self.thresholds_min),
                               "des durées en minutes > 0, séparées par des virgules")


def _bands_text(bands: Iterable[object]) -> str:
    """Decay bands as ``proximite.toml`` writes them (``[[5, 1], [10, 0.3]]``): the
    setting's value as the user typed it."""
    def one(value: object) -> str:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return "[" + ", ".join(one(v) for v in value) + "]"
        return f"{value:g}" if isinstance(value, int | float) else str(value)
    return one(list(bands))


@dataclass(frozen=True)
class StepDecay:
    """Stepwise distance decay: ``(upper_min, weight)`` bands, 0 beyond the last one.

    A time ``t`` takes the weight of the first band with ``t <= upper_min`` (as PySAL's
    ``step_fn``). Bands may also be written ``(lower_min, upper_min, weight)``, the first
    starting at 0 and each at the previous one's end. They are checked up front (sorted,
    not overlapping, weights in [0, 1] and not increasing) because a mis-typed band
    silently changes every indicator.
    """

    bands: tuple[tuple[float, float], ...]

    def __init__(self, bands: Iterable[Sequence[float]]) -> None:
        given = [tuple(band) if isinstance(band, Sequence) and not isinstance(band, str)
                 else band for band in bands]

        def refuse(expected: str) -> SettingError:
            # the setting's value as written, then what a valid list looks like
            return SettingError("decay", _bands_text(given), expected)

        parsed: list[tuple[float, float]] = []
        previous_upper = 0.0
        for band in given:
            if not isinstance(band, Sequence) or isinstance(band, str) or len(band) not in (2, 3):
                shown = _bands_text([band])[1:-1]
                raise refuse("des paliers [borne supérieure en min, poids] (ou [borne "
                             f"inférieure, borne supérieure, poids]), pas « {shown} »")
            if len(band) == 3:
                # (lower, upper, weight): the lower bound must close the previous band.
                lower = float(band[0])
                if lower < previous_upper:
                    raise refuse(f"des paliers qui ne se chevauchent pas (un palier commence à "
                                 f"{short_number(lower)} min, avant la fin du précédent à "
                                 f"{short_number(previous_upper)} min)")
                if lower > previous_upper:
                    raise refuse("des paliers contigus (rien entre "
                                 f"{short_number(previous_upper)} et {short_number(lower)} min)")
                band = band[1:]
            upper, weight = float(band[0]), float(band[1])
            if not (math.isfinite(upper) and upper > 0):
                raise refuse(f"des bornes supérieures > 0 min, pas {short_number(upper)}")
            if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
                raise refuse(f"des poids entre 0 et 1, pas {short_number(weight)}")
            parsed.append((upper, weight))
            previous_upper = upper
        if not parsed:
            raise refuse("au moins un palier [borne supérieure en min, poids]")
        uppers = [upper for upper, _ in parsed]
        for previous, current in pairwise(uppers):
            if current == previous:
                raise refuse("des paliers qui ne se chevauchent pas (deux paliers finissent à "
                             f"{short_number(current)} min)")
        if any(current < previous for previous, current in pairwise(uppers)):
            raise refuse("des paliers rangés par borne supérieure croissante")
        weights = [weight for _, weight in parsed]
        if any(current > previous for previous, current in pairwise(weights)):
            raise refuse("des poids qui ne croissent pas avec le temps de trajet")
        object.__setattr__(self, "bands", tuple(parsed))

    @property
    def horizon_min(self) -> float:
        """The last band's upper bound: beyond it the weight is 0."""
        return self.bands[-1][0]

    def __call__(self, minutes: np.ndarray) -> np.ndarray:
        minutes = np.asarray(minutes, dtype=float)
        uppers = np.array([upper for upper, _ in self.bands])
        weights = np.append([weight for _, weight in self.bands], 0.0)
        # side="left": t == upper falls in that band (inclusive upper bound).
        band = np.searchsorted(uppers, minutes, side="left")
        band = np.where(np.isnan(minutes), len(uppers), band)
        return weights[band]


#: DREES APL 2012 bands: weight 1 up to 5 min, 0.3 up to 10, 0.1 up to 15, 0 beyond.
#: The published bands are approximate (later APL versions use a 20 min horizon): treat
#: them as parameters, not as a standard.
DREES_APL_2012 = StepDecay([(5, 1.0), (10, 0.3), (15, 0.1)])


#: Health first resort, schools and food shops: the Allier "panier Santé-Éducation-
#: Alimentation" that tells profile C from D (the basket's members among these count).
HEALTH_EDUCATION_FOOD = (
    "medecin_generaliste", "chirurgien_dentiste", "infirmier", "kinesitherapeute",
    "pharmacie", "ecole", "college", "lycee", "boulangerie", "boucherie", "epicerie",
    "superette", "supermarche", "hypermarche",
)


@dataclass(frozen=True)
class ProfileParams:
    """Profiles A–F of the Allier observatory: the basket and the cut-offs.

    Per service of the basket, a commune's time is judged against the territory's mean
    and standard deviation of the communes' times to it (unweighted: every commune
    counts once, as the observatory's "moyenne"; ``population_weighted`` weighs them):
    *très élevé* when > mean + ``very_high_sd`` × sd (or unreachable), *élevé* when > mean
    + ``high_sd`` × sd, *rapide* when < mean + ``fast_sd`` × sd. Counts are out of
    ``reference_basket_size`` services and scaled to a basket of another size.

    Why *élevé* is mean + 0.5 sd rather than the bare mean: on Lozère, "above the mean for
    4 of 17 services" holds for two communes in three, which leaves no commune for C and
    D; half a standard deviation on each side (rapide < mean − 0.5 sd) keeps the six
    profiles apart. The observatory gives words, not numbers: these are choices.
    """

    basket: str = "allier_17"
    very_high_sd: float = 1.0
    high_sd: float = 0.5
    fast_sd: float = -0.5
    very_high_min_count: int = 6   # A: "très élevés à au moins 6 services"
    high_min_count: int = 4        # B: "élevés à au moins 4 services"
    fast_min_count: int = 6        # F: "rapide à au moins 6 services"
    reference_basket_size: int = 17
    population_weighted: bool = False
    sub_basket: tuple[str, ...] = HEALTH_EDUCATION_FOOD

    def __post_init__(self) -> None:
        if not self.fast_sd < self.high_sd < self.very_high_sd:
            raise SettingError("fast_sd, high_sd, very_high_sd",
                               f"{self.fast_sd:g}, {self.high_sd:g}, {self.very_high_sd:g}",
                               "des écarts croissants (rapide < élevé < très élevé)")
        if not isinstance(self.reference_basket_size, int) or self.reference_basket_size < 1:
            raise SettingError("reference_basket_size", self.reference_basket_size,
                               "un nombre de services ≥ 1 (17 pour le panier de l'Allier)")
        for name in ("very_high_min_count", "high_min_count", "fast_min_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= self.reference_basket_size:
                raise SettingError(name, value, "un entier entre 1 et "
                                   f"{self.reference_basket_size}")


@dataclass(frozen=True)
class PoleParams:
    """Service poles: Cerema thresholds (types present of the reference count) and the
    population a pole needs (project choice, see :mod:`proximite.analysis.poles`)."""

    proximite: tuple[int, int] = (12, 24)
    intermediaire: tuple[int, int] = (14, 27)
    superieure: tuple[int, int] = (18, 36)
    min_population: float = 500.0
    scale_to_inventory: bool = True

    def __post_init__(self) -> None:
        for name in ("proximite", "intermediaire", "superieure"):
            value = tuple(getattr(self, name))
            if len(value) != 2 or not 1 <= value[0] <= value[1]:
                raise SettingError(name, value, "deux entiers, seuil ≤ nombre de types")
        if not self.min_population >= 0:
            raise SettingError("min_population", self.min_population, "un nombre ≥ 0")

    def thresholds(self) -> dict[str, tuple[int, int]]:
        return {"proximite": self.proximite, "intermediaire": self.intermediaire,
                "superieure": self.superieure}


@dataclass(frozen=True)
class DigitalParams:
    """Parameters of the digital axis (:mod:`proximite.analysis.digital`).

    ``radius_m``: 4G sites counted within this distance of the town hall.
    ``help_category``: the category of digital-help places (France Services or médiation
    numérique). ``fragile_quantile``: communes whose fragility index is at or above this
    quantile of the territory's are "les plus fragiles" in the report.
    """

    radius_m: float = 5_000.0
    help_category: str = "accompagnement_numerique"
    fragile_quantile: float = 0.75

    def __post_init__(self) -> None:
        if not _finite(self.radius_m, positive=True):
            raise SettingError("radius_m", self.radius_m, "une distance > 0 m")
        if not (_finite(self.fragile_quantile) and 0.0 < self.fragile_quantile < 1.0):
            raise SettingError("fragile_quantile", self.fragile_quantile,
                               "un quantile entre 0 et 1 (exclus)")


@dataclass(frozen=True)
class SchemeParams:
    """The schemes' quoted figures (:mod:`proximite.analysis.scheme`).

    ``group``: the communes "with none of" these categories (sub-categories included: the
    supérette is an épicerie, so the default is the scheme's "ni supérette, ni épicerie,
    ni boulangerie"). ``change_before`` / ``change_after``: two inventories of different
    dates (the 2018 MSAP list, the 2024 France Services list); a change within
    ``change_tolerance_min`` is "unchanged".
    """

    pole_level: str = "proximite"
    pole_threshold_min: float = 10.0
    group: tuple[str, ...] = ("epicerie", "boulangerie")
    change_before: str = "msap"
    change_after: str = "france_services"
    change_tolerance_min: float = 0.5

    def __post_init__(self) -> None:
        if self.pole_level not in ("proximite", "intermediaire", "superieure"):
            raise SettingError("pole_level", self.pole_level,
                               "proximite, intermediaire ou superieure")
        if not self.pole_threshold_min > 0:
            raise SettingError("pole_threshold_min", self.pole_threshold_min, "> 0 minute")
        if not self.change_tolerance_min >= 0:
            raise SettingError("change_tolerance_min", self.change_tolerance_min,
                               "≥ 0 minute")


@dataclass(frozen=True)
class AnalysisOptions:
    """Parameters of the diagnosis (all user-visible in the report's method section)."""

    potential_cutoffs_min: tuple[float, ...] = (20.0, 30.0)
    decay: StepDecay = DREES_APL_2012
    deficit_threshold_min: float = 20.0
    example_scenario: bool = True
    profiles: ProfileParams = field(default_factory=ProfileParams)
    poles: PoleParams = field(default_factory=PoleParams)
    scheme: SchemeParams = field(default_factory=SchemeParams)

    def __post_init__(self) -> None:
        if not all(_finite(c, positive=True) for c in self.potential_cutoffs_min):
            raise SettingError("potential_cutoffs_min",
                               ",".join(f"{c:g}" for c in self.potential_cutoffs_min),
                               "des temps limites > 0 min, séparés par des virgules")
        if not _finite(self.deficit_threshold_min, positive=True):
            raise SettingError("deficit_threshold_min", self.deficit_threshold_min,
                               "un seuil > 0 min")


@dataclass
class AnalysisResult:
    """Tables of the diagnosis, one per question of the scheme."""

    potential: pd.DataFrame  # per commune, columns 2sfca_<category>_<cutoff>min, e2sfca_*
    profiles: pd.DataFrame
    equipment: pd.DataFrame
    poles: pd.DataFrame
    pole_by_origin: pd.DataFrame
    pole_summary: pd.DataFrame
    deficits: pd.DataFrame
    epci_deficits: pd.DataFrame
    scenario: ScenarioResult | None
    options: AnalysisOptions
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    scheme_indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    inventory_change: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class DiagnosticOptions:
    """Everything the job needs besides the files (all with documented defaults)."""

    mode: str = "car"
    # None: the network's own default (the demo's stand-in sets its own, see bundle.yaml)
    access: AccessParams | None = None
    indicators: IndicatorParams = field(default_factory=IndicatorParams)
    margin_m: float = 20_000.0
    dedup_distance_m: float = 50.0
    edge_speed_kmh: float = 60.0
    baskets: Sequence[str] | None = None  # None = every basket of the catalogue
    extra_categories: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.mode not in tuple(TravelMode):
            raise SettingError("mode", self.mode, "car ou walk")
        if not _finite(self.margin_m, minimum=0.0):
            raise SettingError("margin_m", self.margin_m, "une distance ≥ 0")
        if not _finite(self.dedup_distance_m, minimum=0.0):
            raise SettingError("dedup_distance_m", self.dedup_distance_m, "une distance ≥ 0 m")
        if not _finite(self.edge_speed_kmh, positive=True):
            raise SettingError("edge_speed_kmh", self.edge_speed_kmh, "une vitesse > 0 km/h")


@dataclass
class DemoDefaults:
    """What a bundle's manifest sets instead of the library defaults (shown when used)."""

    access: AccessParams
    edge_speed_kmh: float
    source: str  # the manifest file, named in the message that shows these values


@dataclass
class ReferenceTables:
    """Reference tables the diagnosis reads besides the inventory (read by ``proximite.io``).

    ``gamme_tables``: INSEE BPE gamme tables (``code_equipement, codes, label, gamme``).
    ``bpe_types``: BPE counts per commune of every equipment type (``code_insee, typequ,
    n_equipment``, current commune codes, types in the vintage's own codes) or None;
    ``bpe_observed_types``: every type code that vintage can hold (an absent type is a
    real zero only if it is among them); ``bpe_vintage`` and ``bpe_source`` name it.
    """

    gamme_tables: pd.DataFrame
    bpe_types: pd.DataFrame | None = None
    bpe_observed_types: tuple[str, ...] = ()
    bpe_vintage: str = ""
    bpe_source: str = ""


@dataclass
class DiagnosticInputs:
    """Everything read from files before any computation (:func:`proximite.pipeline.load_inputs`).

    A notebook user may build it from their own frames: ``services`` is in the service
    schema (:data:`proximite.inventory.schema.SERVICE_COLUMNS`), ``origins`` has
    ``origin_id, code_insee, lon, lat, population``.
    """

    territory: Territory
    origins: pd.DataFrame
    services: pd.DataFrame
    graph: RoadGraph
    catalogue: Catalogue
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    provenance: list[dict[str, str]] = field(default_factory=list)
    network_source: str = ""  # the network file, named in errors about it
    origins_source: str = ""  # the origins file (none: town halls), named in errors about it
    demo: DemoDefaults | None = None  # set when the inputs are an embedded demo bundle
    # Said to the user: which defaults a run on the demo's own files used
    defaults_note: str = ""
    reference: ReferenceTables | None = None  # gamme tables, BPE type counts (poles)
    # The digital axis' inputs (ARCEP files), None when the run has none
    ftth: pd.DataFrame | None = None
    ftth_quarter: str = ""
    mobile_sites: pd.DataFrame | None = None


@dataclass
class DiagnosticResult:
    """What the diagnostic produced; every output (GeoPackage, CSV, report) reads this."""

    territory: Territory
    services: pd.DataFrame
    rejected: list[Rejection]
    duplicates: pd.DataFrame
    origins: pd.DataFrame
    graph: RoadGraph
    access_times: pd.DataFrame
    indicators: pd.DataFrame
    categories: list[str]
    baskets: list[str]
    catalogue: Catalogue
    options: DiagnosticOptions
    network_note: str
    warnings: list[str] = field(default_factory=list)
    provenance: list[dict[str, str]] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    # Which defaults the run used when they matter (the demo's, or the library's on the
    # demo's files): the CLI says it, the report lists it with the warnings.
    defaults_note: str = ""
    reference: ReferenceTables | None = None
    # Itinerant and remote access per commune (:mod:`proximite.access_modes`): the
    # itinerant stops never count as sites in ``access_times``.
    itinerant: pd.DataFrame = field(default_factory=pd.DataFrame)
    remote: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The digital axis per commune (:mod:`proximite.analysis.digital`); empty without data
    digital: pd.DataFrame = field(default_factory=pd.DataFrame)


# --------------------------------------------------------------------------- scenarios

OpenedService = tuple[str, float, float, str]


@dataclass
class Scenario:
    """Changes to apply to a diagnostic.

    ``close_categories`` closes every service of the category and of its children
    (closing ``la_poste`` closes every post office, relay and agency).
    ``open_services`` is a table in the service schema (at least ``category, lon, lat``)
    or a list of ``(category, lon, lat, name)``. ``speed_factor_by_class`` divides the
    travel time of every edge of a road class (0.5 = half the speed).
    """

    close_service_ids: Sequence[str] = ()
    close_categories: Sequence[str] = ()
    close_communes: Sequence[str] = ()
    open_services: pd.DataFrame | Sequence[OpenedService] | None = None
    speed_factor_by_class: Mapping[str, float] = field(default_factory=dict)
    name: str = ""

    def is_empty(self) -> bool:
        opened = self.open_services
        return not (self.close_service_ids or self.close_categories or self.close_communes
                    or self.speed_factor_by_class
                    or (opened is not None and len(opened) > 0))


@dataclass
class ScenarioResult:
    """Before/after figures of a scenario, for the recomputed categories and baskets only."""

    scenario: Scenario
    comparison: pd.DataFrame
    threshold_changes: pd.DataFrame
    indicators_before: pd.DataFrame
    indicators_after: pd.DataFrame
    affected_population: float
    recomputed: list[str]
    closed_service_ids: list[str]
    opened_services: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def affected_by_category(self) -> pd.DataFrame:
        """Population whose time or status changes, per category/basket."""
        changed = _changed_mask(self.comparison)
        frame = self.comparison.assign(changed=changed)
        longer = changed & ~(frame["delta_min"] < 0)
        shorter = changed & (frame["delta_min"] < 0)
        out = frame.assign(
            population_affected=np.where(changed, frame["population"], 0.0),
            population_worse=np.where(longer, frame["population"], 0.0),
            population_better=np.where(shorter, frame["population"], 0.0),
        ).groupby(["category", "target_kind"], sort=False)[
            ["population_affected", "population_worse", "population_better"]].sum()
        return out.reset_index()


def _changed_mask(comparison: pd.DataFrame) -> np.ndarray:
    status_changed = comparison["status_before"] != comparison["status_after"]
    delta = comparison["delta_min"].abs() > 1e-9
    return (status_changed | delta).to_numpy()
