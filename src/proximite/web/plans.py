"""The géoportail's plan pages: the public progress of an action plan, and the staff pages
where a review and declared indicator values are entered.

They live in the contributions store (:class:`~proximite.web.contrib.ContribStore`, the
same database, accounts, sign-in at ``/connexion``, server-side sessions and CSRF token of
every form). Staff are an administrator, or a moderator granted the plan's département.
Pages are Jinja2 templates with autoescaping (whatever staff typed is shown as text),
rendered inside the portal's frame by :func:`~proximite.web.contrib.render_page`. Edits go
through :mod:`proximite.plans.edit` (checked there) and
:func:`proximite.store.plans.save_plan` (version-checked: two people saving the same plan
at once cannot overwrite each other).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from proximite.plans.model import Plan
from proximite.plans.progress import roll_up, trend
from proximite.report.formatting import fmt_date, fmt_share
from proximite.store.models import Role, User


def may_edit(user: User | None, plan: Plan) -> bool:
    """Administrators edit every plan; moderators the plans of their départements."""
    if user is None or not user.active:
        return False
    if user.role == Role.ADMIN.value:
        return True
    territory = plan.header.get("territory") or {}
    code = str(territory.get("departement", "")) if isinstance(territory, dict) else ""
    return user.role == Role.MODERATOR.value and code in user.territory_codes


# ------------------------------------------------------------------------- view models
def level_key(level: str | None) -> str:
    """A CSS class name for a level (the text is always shown too)."""
    return "sans" if level is None else level.replace("_", "-")


def plan_view(plan: Plan, date: dt.date | None) -> dict[str, Any]:
    """What the public page shows of ``plan`` at the review of ``date`` (None: none)."""
    review = plan.reviews.get(date) if date is not None else None
    axes = []
    for axis in plan.children(None):
        if axis.retired is not None:
            continue
        items = []
        for depth, item in plan.tree(axis.id):
            entry = review.entries.get(item.id) if review else None
            leaf = not any(c.retired is None for c in plan.children(item.id))
            rollup = roll_up(plan, date, item.id) if date is not None and not leaf else None
            items.append({
                "item": item, "depth": depth, "leaf": leaf,
                "level": plan.level_label(entry.level if entry else None) if leaf else None,
                "level_key": level_key(entry.level if entry else None),
                "facts": list(entry.facts) if entry else [],
                "comment": entry.comment if entry else None,
                "progress": None if rollup is None else progress_text(rollup.progress),
                "rated": None if rollup is None else f"{rollup.n_rated} sur {rollup.n_leaves}",
                "indicators": [{"name": i.name, "trend": indicator_text(i)}
                               for i in plan.indicators_of(item.id)]})
        rollup = roll_up(plan, date, axis.id) if date is not None else None
        axes.append({"item": axis, "items": items, "rollup": rollup,
                     "progress": None if rollup is None else progress_text(rollup.progress)})
    whole = roll_up(plan, date) if date is not None else None
    return {"plan": plan, "date": date, "date_text": fmt_date(date) if date else None,
            "reviews": [(d.isoformat(), fmt_date(d)) for d in plan.reviews],
            "axes": axes, "whole": whole,
            "whole_progress": None if whole is None else progress_text(whole.progress),
            "levels": [(lv, plan.level_label(lv)) for lv in plan.scale]}


def progress_text(progress: float | None) -> str:
    return "non calculable" if progress is None else fmt_share(progress)


def indicator_text(indicator: Any) -> str:
    """The last declared value and its change (computed values live in the COPIL pack)."""
    from proximite.report.copil import trend_text

    if indicator.query is not None and not indicator.observed:
        return "calculé à partir des diagnostics enregistrés (voir le dossier du comité)"
    return trend_text(indicator) if trend(indicator).last is not None else "aucune valeur"
