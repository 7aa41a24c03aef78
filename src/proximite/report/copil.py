"""The steering committee's pack (``proximite copil``): a plan's review, as HTML and PDF.

Sections: summary, progress by axis (chart and table, then by the next level), what
changed since the previous review, the indicators with their trend, the key maps of the
latest saved diagnostic, every item of the plan with its level, facts, comment and
indicators, the work programme, and the method (the roll-up rule, the sources). The
same blocks as the diagnostic report (:mod:`proximite.report.blocks`), so every text is
escaped and every chart has its table; the PDF is the same HTML printed by WeasyPrint,
with page numbers and a table of contents giving the page of each section.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from proximite.catalogue import Catalogue, load_catalogue
from proximite.plans.model import (
    TERRITORY_MEASURES,
    Indicator,
    Measure,
    Observation,
    Plan,
    PlanItem,
)
from proximite.plans.progress import (
    RollUp,
    changes_since_previous,
    item_history,
    level_weights,
    numeric,
    roll_up,
    trend,
)
from proximite.report.blocks import (
    Block,
    Bullets,
    Column,
    Figure,
    Heading,
    Link,
    Notice,
    Para,
    Section,
    Table,
    bullets,
    section,
)
from proximite.report.formatting import fmt_date, fmt_number, fmt_share
from proximite.report.render import render_page
from proximite.report.targets import Target, label

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

#: Colours of the levels, best first (ColorBrewer RdYlGn, colour-blind safe), and of
#: "no level" (white, hatched).
LEVEL_COLOURS = ("#1a9641", "#a6d96a", "#fdae61", "#d7191c", "#e0e0e0", "#bdbdbd")
NO_LEVEL_COLOUR = "#ffffff"
DPI = 90
MEASURE_LABELS = {
    Measure.POP_OVER: "population à plus de {t} min",
    Measure.SHARE_OVER: "part de la population à plus de {t} min",
    Measure.MEDIAN_MIN: "temps médian",
    Measure.MEAN_MIN: "temps moyen",
    Measure.SERVICES: "nombre de lieux",
    Measure.COMMUNES_WITHOUT: "communes sans lieu",
    Measure.FIBRE_PREMISES: "locaux raccordables à la fibre (FttH, ARCEP), dans le territoire",
    Measure.FIBRE_COMMUNES: "communes ayant des locaux raccordables à la fibre (FttH, ARCEP)",
}
COPIL_FILES = ("copil.html", "copil.pdf")


@dataclass(frozen=True)
class SavedRun:
    """A saved diagnostic and its label in the pack (a date or the folder's name)."""

    label: str
    result: DiagnosticResult


def _percent(progress: float | None) -> str:
    return "non calculable" if progress is None else fmt_share(progress)


def _leaf_level(plan: Plan) -> str:
    return plan.levels[-1]


def _rollup_cells(plan: Plan, rollup: RollUp) -> list[Any]:
    return [rollup.n_leaves, *(rollup.counts[level] for level in plan.scale),
            rollup.counts[None], _percent(rollup.progress)]


def _rollup_columns(plan: Plan, first: str) -> list[Column]:
    return [Column(first), Column("actions", True),
            *(Column(plan.level_label(level), True) for level in plan.scale),
            Column("sans niveau", True), Column("progression pondérée", True)]


def progress_chart(plan: Plan, rollups: list[tuple[str, RollUp]]) -> bytes:
    """Horizontal stacked bars: the leaves of each axis by level (PNG)."""
    height = 1.2 + 0.55 * len(rollups)
    fig = MplFigure(figsize=(8.0, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    names = [name for name, _ in rollups][::-1]
    left = [0.0] * len(rollups)
    levels: list[str | None] = [*plan.scale, None]
    def colour(index: int, level: str | None) -> str:
        return NO_LEVEL_COLOUR if level is None else LEVEL_COLOURS[
            min(index, len(LEVEL_COLOURS) - 1)]

    for index, level in enumerate(levels):
        counts = [r.counts[level] for _, r in rollups][::-1]
        ax.barh(names, counts, left=left, color=colour(index, level), edgecolor="#4d4d4d",
                hatch="//" if level is None else None, label=plan.level_label(level))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_xlabel("actions")
    ax.legend(handles=[Patch(facecolor=colour(i, lv), edgecolor="#4d4d4d",
                             hatch="//" if lv is None else None, label=plan.level_label(lv))
                       for i, lv in enumerate(levels)],
        loc="upper center", bbox_to_anchor=(0.5, -0.35 / max(height / 3, 1)), ncol=5,
        frameon=False, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _axis_name(item: PlanItem) -> str:
    number = f" {item.number}" if item.number else ""
    return f"{item.level.capitalize()}{number}"


def _progress(plan: Plan, date: dt.date) -> Section:
    axes = plan.children(None)
    axes = [a for a in axes if a.retired is None]
    rollups = [(_axis_name(a), roll_up(plan, date, a.id)) for a in axes]
    rows = [[f"{_axis_name(a)} : {a.title}", *_rollup_cells(plan, r)]
            for a, (_, r) in zip(axes, rollups, strict=True)]
    whole = roll_up(plan, date)
    rows.append(["Ensemble du plan", *_rollup_cells(plan, whole)])
    counts = " ; ".join(f"{name} : {r.n_rated} sur {r.n_leaves} actions évaluées, "
                        f"progression {_percent(r.progress)}" for name, r in rollups)
    blocks: list[Block] = [
        Figure(progress_chart(plan, rollups), f"Avancement par {plan.levels[0]} — {counts}.",
               f"Actions ({_leaf_level(plan)}) par niveau d'avancement au {fmt_date(date)}",
               Link("#table-avancement", "tableau des valeurs")),
        Table(f"Avancement par {plan.levels[0]} au {fmt_date(date)}",
              _rollup_columns(plan, plan.levels[0]), rows, table_id="table-avancement")]
    if len(plan.levels) > 2:
        second = [i for _, i in plan.tree() if i.level == plan.levels[1]]
        blocks.append(Table(
            f"Avancement par {plan.levels[1]}", _rollup_columns(plan, plan.levels[1]),
            [[f"{_axis_name(i)} : {i.title}", *_rollup_cells(plan, roll_up(plan, date, i.id))]
             for i in second]))
    return section("avancement", "Avancement", *blocks)


def _summary(plan: Plan, date: dt.date) -> Section:
    whole = roll_up(plan, date)
    review = plan.reviews.get(date)
    n_facts = sum(len(e.facts) for e in review.entries.values()) if review else 0
    text = (f"Revue du {fmt_date(date)} : {whole.n_leaves} actions au niveau le plus fin du "
            f"plan ({_leaf_level(plan)}), dont {whole.n_rated} avec un niveau sur l'échelle "
            f"« {' / '.join(plan.level_label(level) for level in plan.scale)} » ; "
            f"{n_facts} faits rapportés. Progression pondérée : {_percent(whole.progress)}"
            + (f" (calculée sur les {whole.n_rated} actions évaluées)." if whole.n_rated
               else "."))
    blocks: list[Block] = [Para(text)]
    missing = whole.counts[None]
    if missing:
        blocks.append(Notice(
            f"{missing} actions sur {whole.n_leaves} n'ont pas de niveau pour cette revue : "
            "elles ne comptent pas dans la progression, qui ne décrit donc que les actions "
            "évaluées.", title="Niveaux manquants"))
    cadence = plan.header.get("review_cadence")
    if isinstance(cadence, dict) and cadence.get("text"):
        blocks.append(Para(f"Rythme des revues prévu par le document : {cadence['text']}."))
    return section("synthese", "Synthèse", *blocks)


def _changes(plan: Plan, date: dt.date) -> Section:
    before, changes = changes_since_previous(plan, date)
    if before is None:
        return section("changements", "Changements depuis la revue précédente", Para(
            f"Aucune revue antérieure au {fmt_date(date)} n'est enregistrée pour ce plan : "
            "pas de comparaison."))
    if not changes:
        return section("changements", "Changements depuis la revue précédente", Para(
            f"Aucun changement de niveau ni de faits depuis la revue du {fmt_date(before)}."))
    rows: list[list[Any]] = [
        [plan.items[c.item_id].label, plan.level_label(c.before), plan.level_label(c.after),
         c.kind] for c in changes]
    return section("changements", "Changements depuis la revue précédente",
                   Para(f"Revue précédente : {fmt_date(before)}. {len(changes)} actions ont "
                        "changé de niveau ou de faits."),
                   Table("Changements par action", [Column("action"), Column("avant"),
                                                    Column("maintenant"), Column("changement")],
                         rows))


def _value(indicator: Indicator, value: float | str) -> str:
    number = numeric(value)
    if number is None:
        return str(value)
    decimals = 1 if indicator.query is not None and indicator.query.measure in (
        Measure.MEDIAN_MIN, Measure.MEAN_MIN, Measure.SHARE_OVER) else 0
    if indicator.query is None and not float(number).is_integer():
        decimals = 1
    unit = f" {indicator.unit}" if indicator.unit else ""
    return fmt_number(number, decimals) + unit


def _when(observation: Observation, prefix: str = "") -> str:
    """An observation's date as the pack says it: a date, or the saved run it comes from."""
    if isinstance(observation.date, dt.date):
        return f"{prefix}{fmt_date(observation.date)}"
    if observation.computed:
        return f"{prefix}diagnostic « {observation.date} »"
    return str(observation.date)


def trend_text(indicator: Indicator) -> str:
    """The indicator's last value and trend in one French sentence."""
    t = trend(indicator)
    if t.last is None:
        return "aucune valeur"
    text = f"{_value(indicator, t.last.value)} ({_when(t.last)})"
    if t.previous is not None and t.delta is not None:
        before = _when(t.previous, "le ")
        if t.direction == "stable":
            text += f", stable depuis {before}"
        else:
            sign = "+" if t.delta > 0 else "−"
            text += (f", {t.direction} de {sign}{_value(indicator, abs(t.delta))} depuis "
                     f"{before}")
            if t.favourable is not None:
                text += " (favorable)" if t.favourable else " (défavorable)"
    if t.target_value is not None:
        target = _value(indicator, t.target_value)
        if t.target_reached is None:
            text += f" ; cible {target}"
        else:
            text += f" ; cible {target} {'atteinte' if t.target_reached else 'non atteinte'}"
    return text


def indicator_label(indicator: Indicator, catalogue: Catalogue) -> str:
    """The indicator's name and, for a computed one, what it reads (labels, not codes)."""
    if indicator.query is None:
        return indicator.name
    q = indicator.query
    measure = MEASURE_LABELS[q.measure].format(t=fmt_number(q.threshold_min or 0, 0))
    if q.measure in TERRITORY_MEASURES:
        return f"{indicator.name} (calculé : {measure})"
    target = catalogue.label(q.target, q.target_kind)
    return f"{indicator.name} (calculé : {measure}, {target})"


def _indicators(plan: Plan, catalogue: Catalogue, notes: list[str]) -> Section:
    if not plan.indicators:
        return section("indicateurs", "Indicateurs", Para("Ce plan ne déclare aucun "
                                                          "indicateur."))
    rows: list[list[Any]] = []
    for ind in plan.indicators.values():
        kind = "calculé" if ind.query is not None else "déclaré"
        rows.append([indicator_label(ind, catalogue), ", ".join(ind.item_ids), kind,
                     trend_text(ind)])
    n_computed = sum(1 for i in plan.indicators.values() if i.query is not None)
    blocks: list[Block] = [Para(
        f"{len(plan.indicators)} indicateurs, dont {n_computed} calculés à partir des "
        "diagnostics enregistrés (une valeur par diagnostic, du plus ancien au plus récent) "
        "et les autres déclarés par les partenaires."),
        Table("Indicateurs et évolution", [Column("indicateur"), Column("éléments"),
                                           Column("type"), Column("dernière valeur et "
                                                                  "évolution")], rows)]
    if notes:
        blocks.append(Heading("Valeurs non calculées"))
        blocks.append(bullets(notes))
    return section("indicateurs", "Indicateurs", *blocks)


def _maps(plan: Plan, runs: list[SavedRun]) -> Section:
    from proximite.report.overview import maps

    if not runs:
        return section("cartes", "Cartes du dernier diagnostic", Para(
            "Aucun diagnostic enregistré n'a été donné (option --run) : pas de carte ni "
            "d'indicateur calculé."))
    latest = runs[-1]
    result = latest.result
    wanted: dict[tuple[str, str], None] = {}
    for ind in plan.indicators.values():
        if ind.query is not None and ind.query.measure not in TERRITORY_MEASURES:
            wanted[(ind.query.target, ind.query.target_kind)] = None
    if not wanted:  # no computed indicator: the run's own baskets
        wanted = {(code, "basket"): None for code in result.baskets}
    targets = []
    for code, kind in wanted:
        known = result.baskets if kind == "basket" else result.categories
        if code in known:
            targets.append(Target(code, kind, label(result, code, kind), None))
    found, _ = maps(result, targets)
    return section("cartes", f"Cartes du dernier diagnostic ({latest.label})",
                   Para(f"Diagnostic « {latest.label} » : {result.territory.name}, "
                        f"{result.network_note}"), *found.blocks)


def _item_blocks(plan: Plan, date: dt.date, item: PlanItem, catalogue: Catalogue, *,
                 heading: bool = True) -> list[Block]:
    blocks: list[Block] = [Heading(item.label)] if heading else []
    lines: list[str] = []
    children = [c for c in plan.children(item.id) if c.retired is None]
    if children:
        r = roll_up(plan, date, item.id)
        lines.append(f"Avancement : {r.n_rated} sur {r.n_leaves} actions évaluées, "
                     f"progression {_percent(r.progress)}")
    else:
        review = plan.reviews.get(date)
        entry = review.entries.get(item.id) if review else None
        lines.append(f"Niveau : {plan.level_label(entry.level if entry else None)}")
        if entry is not None:
            lines.extend(f"Fait : {fact}" for fact in entry.facts)
            if entry.comment:
                lines.append(f"Commentaire : {entry.comment}")
            if entry.who:
                lines.append(f"Saisi par : {entry.who}")
        earlier = [(d, e) for d, e in item_history(plan, item.id) if d < date]
        for d, e in earlier:
            lines.append(f"Revue du {fmt_date(d)} : {plan.level_label(e.level)}"
                         + (f", {len(e.facts)} faits" if e.facts else ""))
    if item.pilots:
        lines.append("Pilotes : " + ", ".join(item.pilots))
    if item.partners:
        lines.append("Partenaires : " + ", ".join(item.partners))
    if item.calendar:
        lines.append(f"Calendrier : {item.calendar}")
    for ind in plan.indicators_of(item.id):
        lines.append(f"Indicateur : {indicator_label(ind, catalogue)} — {trend_text(ind)}")
    comments = item.extra.get("comments")
    if isinstance(comments, list):
        for c in comments:
            if isinstance(c, dict) and isinstance(c.get("date"), dt.date) \
                    and c["date"] <= date and c.get("summary"):
                lines.append(f"Comité du {fmt_date(c['date'])} : {c['summary']}")
    blocks.append(Bullets(lines))
    return blocks


def _details(plan: Plan, date: dt.date, catalogue: Catalogue) -> list[Section]:
    sections = []
    for n, axis in enumerate(a for a in plan.children(None) if a.retired is None):
        blocks = _item_blocks(plan, date, axis, catalogue, heading=False)  # the section's
        for _, item in plan.tree(axis.id):
            blocks.extend(_item_blocks(plan, date, item, catalogue))
        sections.append(section(f"detail-{n + 1}", axis.label, *blocks))
    return sections


def _programme(plan: Plan, date: dt.date) -> Section:
    entries = plan.header.get("work_programme")
    entries = entries if isinstance(entries, list) else []
    adopted = [e for e in entries if isinstance(e, dict) and e.get("date") == date]
    blocks: list[Block] = []
    for entry in adopted:
        word = "adopté" if entry.get("adopted") else "proposé"
        blocks.append(Para(f"Programme de travail {word} le {fmt_date(date)} :"))
        blocks.append(bullets(entry.get("items") or []))
    earlier = [e for e in entries if isinstance(e, dict) and isinstance(e.get("date"), dt.date)
               and e["date"] < date]
    if earlier:
        last = max(earlier, key=lambda e: e["date"])
        blocks.append(Heading(f"Rappel : programme du {fmt_date(last['date'])}"))
        blocks.append(bullets(last.get("items") or []))
    if not adopted:
        blocks.insert(0, Para(f"Aucun programme de travail n'est enregistré pour la revue du "
                              f"{fmt_date(date)}."))
    return section("programme", "Programme de travail", *blocks)


def _method(plan: Plan) -> Section:
    weights = ", ".join(f"{plan.level_label(level)} {fmt_share(w)}"
                        for level, w in level_weights(plan.scale).items())
    sources = plan.header.get("source_documents")
    lines = [f"{d.get('title')} ({d.get('kind')}, {fmt_date(d['date'])})" for d in sources
             if isinstance(d, dict) and isinstance(d.get("date"), dt.date)] \
        if isinstance(sources, list) else []
    return section(
        "methode", "Méthode et sources",
        Para("Les actions évaluées sont les éléments du niveau le plus fin du plan. Pour "
             "chaque axe et chaque élément, on compte ses actions par niveau ; la progression "
             f"pondérée est la moyenne des poids des actions évaluées ({weights}), chaque "
             "action comptant une fois. Une action sans niveau n'entre pas dans la moyenne : "
             "sans aucune action évaluée, la progression est « non calculable »."),
        Para("Un indicateur calculé lit la valeur du territoire dans chaque diagnostic "
             "enregistré donné à la commande ; un indicateur déclaré reprend les valeurs "
             "saisies (date, source, auteur)."),
        bullets(lines) if lines else None)


def copil_sections(plan: Plan, date: dt.date, runs: list[SavedRun],
                   notes: list[str]) -> tuple[list[Section], list[tuple[str, str]]]:
    """The sections of the pack and its table of contents (anchor, title)."""
    catalogue = runs[-1].result.catalogue if runs else load_catalogue()
    sections = [_summary(plan, date), _progress(plan, date), _changes(plan, date),
                _indicators(plan, catalogue, notes), _maps(plan, runs),
                *_details(plan, date, catalogue), _programme(plan, date), _method(plan)]
    return sections, [(s.id, s.title) for s in sections]


def render_copil(plan: Plan, date: dt.date, runs: list[SavedRun], notes: list[str], *,
                 today: dt.date | None = None) -> str:
    """The pack as one self-contained HTML page."""
    sections, nav = copil_sections(plan, date, runs, notes)
    notices = [Notice(runs[-1].result.network_note)] if runs and \
        runs[-1].result.graph.is_stand_in else []
    return render_page("copil.html.j2",
                       title=f"Comité de pilotage du {fmt_date(date)} — {plan.title}",
                       territory=plan.territory_name, plan_id=plan.id,
                       today=fmt_date(today or dt.date.today()), notices=notices, nav=nav,
                       sections=sections)


def write_pdf(html_text: str, path: Path) -> Path:
    """Print the page to PDF with WeasyPrint (pages numbered by the page's own CSS)."""
    from weasyprint import HTML

    HTML(string=html_text).write_pdf(path)
    return path


def write_copil(plan: Plan, date: dt.date, runs: list[SavedRun], notes: list[str],
                folder: Path, *, pdf: bool = True,
                today: dt.date | None = None) -> dict[str, Path]:
    """``copil.html`` and ``copil.pdf`` in ``folder``."""
    html_text = render_copil(plan, date, runs, notes, today=today)
    written = {"html": folder / "copil.html"}
    written["html"].write_text(html_text, encoding="utf-8")
    if pdf:
        written["pdf"] = write_pdf(html_text, folder / "copil.pdf")
    return written
