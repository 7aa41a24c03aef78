"""Plan pages: ``/suivi`` (public progress of the plans) and ``/gestion/suivi/…`` (staff:
sign in, enter a review, declare an indicator value). HTML pages, not part of the API."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from proximite.plans.edit import (
    Change,
    PlanEditError,
    declare_value,
    record_evaluation,
    update_item,
)
from proximite.plans.model import Evaluation, Observation, Plan
from proximite.plans.progress import item_history
from proximite.report.formatting import fmt_date
from proximite.store.accounts import csrf_ok
from proximite.store.db import utcnow
from proximite.store.models import WebSession
from proximite.store.plans import (
    PlanNotFound,
    StalePlanError,
    list_plans,
    load_plan,
    save_plan,
)
from proximite.web.contrib import ContribStore, current_session, render_page, unit_of_work
from proximite.web.plans import level_key, may_edit, plan_view
from proximite.web.routes.common import contrib_of, portal_of

router = APIRouter(include_in_schema=False)
SIGN_IN = "/connexion"


def _store(request: Request) -> ContribStore:
    store: ContribStore | None = contrib_of(request)
    if store is None:  # not mounted without a store (routes.plans_off answers then)
        raise HTTPException(404, "Le suivi des plans n'est pas activé sur ce serveur.")
    return store


def _plan_or_404(session: Session, plan_id: str) -> tuple[Plan, int]:
    try:
        return load_plan(session, plan_id)
    except PlanNotFound:
        raise HTTPException(404, f"Plan inconnu : « {plan_id} ». Voir /suivi.") from None


def _html(request: Request, template: str, title: str, status: int = 200,
          session_row: WebSession | None = None, **values: object) -> HTMLResponse:
    return HTMLResponse(render_page(request, portal_of(request), template, title, "/suivi",
                                    web_session=session_row, **values), status_code=status)


# --------------------------------------------------------------------------- public
@router.get("/suivi", response_class=HTMLResponse)
def plans_index(request: Request) -> HTMLResponse:
    """The plans followed in the store."""
    with unit_of_work(_store(request)) as session:
        plans = list_plans(session)
    return _html(request, "plans/index.html.j2", "Suivi des schémas", plans=plans)


@router.get("/suivi/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, revue: str | None = None) -> HTMLResponse:
    """A plan's progress at a review (default: the latest), item by item."""
    with unit_of_work(_store(request)) as session:
        plan, _ = _plan_or_404(session, plan_id)
    date = max(plan.reviews) if plan.reviews else None
    if revue is not None:
        try:
            date = dt.date.fromisoformat(revue)
        except ValueError:
            raise HTTPException(422, f"revue « {revue} » : date AAAA-MM-JJ attendue") from None
        if date not in plan.reviews:
            raise HTTPException(404, f"Aucune revue du {revue} pour ce plan.")
    return _html(request, "plans/plan.html.j2", plan.title, **plan_view(plan, date))


@router.get("/suivi/{plan_id}/elements/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, plan_id: str, item_id: str) -> HTMLResponse:
    """One item across the reviews: its level, facts and comment at each committee."""
    with unit_of_work(_store(request)) as session:
        plan, _ = _plan_or_404(session, plan_id)
    if item_id not in plan.items:
        raise HTTPException(404, f"Élément inconnu : « {item_id} » dans le plan {plan_id}.")
    item = plan.items[item_id]
    rows = [{"date": fmt_date(d), "level": plan.level_label(e.level),
             "level_key": level_key(e.level), "facts": list(e.facts), "comment": e.comment,
             "who": e.who} for d, e in item_history(plan, item_id)]
    return _html(request, "plans/element.html.j2", f"{item.label} — {plan.title}",
                 plan=plan, item=item, rows=rows,
                 path=[a.label for a in reversed(plan.ancestors(item_id))])


# ---------------------------------------------------------------------------- staff
def _staff(request: Request, session: Session, plan: Plan) -> WebSession | None:
    row = current_session(session, request)
    return row if row is not None and may_edit(row.user, plan) else None


def _to_sign_in(path: str) -> RedirectResponse:
    return RedirectResponse(f"{SIGN_IN}?suite={quote(path)}", status_code=303)


def _review_form(request: Request, plan: Plan, version: int, row: WebSession, *,
                 status: int = 200, error: str | None = None, saved: str | None = None,
                 given: dict[str, str] | None = None) -> HTMLResponse:
    leaves = [(i.id, i.label) for i in plan.leaves()]
    items = [(i.id, i.label) for _, i in plan.tree()]
    indicators = [(i.id, i.name) for i in plan.indicators.values() if i.query is None]
    latest = max(plan.reviews).isoformat() if plan.reviews else dt.date.today().isoformat()
    return _html(request, "plans/revue.html.j2", f"Saisir une revue — {plan.title}",
                 status=status, session_row=row, plan=plan, version=version, leaves=leaves,
                 indicators=indicators, items=items,
                 levels=[(lv, plan.level_label(lv)) for lv in plan.scale], error=error,
                 saved=saved, given=given or {"date": latest})


@router.get("/gestion/suivi/{plan_id}", response_class=HTMLResponse)
def review_form(request: Request, plan_id: str, enregistre: str | None = None) -> Response:
    with unit_of_work(_store(request)) as session:
        plan, version = _plan_or_404(session, plan_id)
        row = _staff(request, session, plan)
        if row is None:
            return _to_sign_in(f"/gestion/suivi/{plan_id}")
        saved = enregistre if enregistre in plan.items or enregistre in plan.indicators \
            else None
        return _review_form(request, plan, version, row, saved=saved)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


#: An edit of a staff form: (plan, who) -> the history entry (raises on a refusal).
Edit = Callable[[Plan, str], Change]


def _staff_edit(request: Request, plan_id: str, csrf: str, version: int, date: str | None,
                done: str, given: dict[str, str], edit: Edit) -> Response:
    """Check the account and the form's token, apply ``edit``, save (version-checked); the
    form again with the French reason when refused, else back to it with "Enregistré"."""
    with unit_of_work(_store(request)) as session:
        plan, current = _plan_or_404(session, plan_id)
        row = _staff(request, session, plan)
        if row is None:
            return _to_sign_in(f"/gestion/suivi/{plan_id}")
        if not csrf_ok(row, csrf):
            raise HTTPException(403, "Formulaire expiré ou d'une autre origine : recharger "
                                     "la page.")
        try:
            if date is not None:
                dt.date.fromisoformat(date)
        except ValueError:
            return _review_form(request, plan, current, row, status=422, given=given,
                                error=f"date « {date} » invalide (attendu AAAA-MM-JJ)")
        try:
            change = edit(plan, row.user.display_name if row.user else "")
            save_plan(session, plan, expected_version=version, changes=[change])
        except PlanEditError as exc:
            return _review_form(request, plan, current, row, status=422, error=str(exc),
                                given=given)
        except StalePlanError as exc:
            return _review_form(request, plan, current, row, status=409, error=str(exc),
                                given=given)
    return RedirectResponse(f"/gestion/suivi/{plan_id}?enregistre={quote(done)}",
                            status_code=303)


@router.post("/gestion/suivi/{plan_id}/revue", response_class=HTMLResponse)
def enter_review(request: Request, plan_id: str, csrf: Annotated[str, Form()],
                 version: Annotated[int, Form()], date: Annotated[str, Form()],
                 item: Annotated[str, Form()], level: Annotated[str, Form()] = "",
                 facts: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = ""
                 ) -> Response:
    """One item's evaluation at the review of ``date`` (created if new)."""
    def edit(plan: Plan, who: str) -> Change:
        if item not in {i.id for i in plan.leaves()}:
            raise PlanEditError(f"élément « {item} » : pas une action de ce plan")
        return record_evaluation(plan, dt.date.fromisoformat(date), Evaluation(
            item, level or None, _lines(facts), comment.strip() or None, who), at=utcnow())

    given = {"date": date, "item": item, "level": level, "facts": facts, "comment": comment}
    return _staff_edit(request, plan_id, csrf, version, date, item, given, edit)


@router.post("/gestion/suivi/{plan_id}/indicateur", response_class=HTMLResponse)
def declare_value_page(request: Request, plan_id: str, csrf: Annotated[str, Form()],
                       version: Annotated[int, Form()], indicator: Annotated[str, Form()],
                       date: Annotated[str, Form()], value: Annotated[str, Form()],
                       source: Annotated[str, Form()] = "") -> Response:
    """A declared value of an indicator (value, date, source, who)."""
    def edit(plan: Plan, who: str) -> Change:
        number = value.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            amount = float(number)
            if not math.isfinite(amount):
                raise ValueError(number)
        except ValueError:
            raise PlanEditError(f"valeur « {value} » : un nombre est attendu (ex. 12 ou "
                                "12,5)") from None
        return declare_value(plan, indicator, Observation(
            dt.date.fromisoformat(date), amount, source=source.strip() or None, who=who),
            at=utcnow())

    given = {"date": date, "indicator": indicator, "value": value, "source": source}
    return _staff_edit(request, plan_id, csrf, version, date, indicator, given, edit)


@router.post("/gestion/suivi/{plan_id}/element", response_class=HTMLResponse)
def update_item_page(request: Request, plan_id: str, csrf: Annotated[str, Form()],
                     version: Annotated[int, Form()], element: Annotated[str, Form()],
                     pilots: Annotated[str, Form()] = "", partners: Annotated[str, Form()] = "",
                     calendar: Annotated[str, Form()] = "") -> Response:
    """An item's pilots, partners and calendar (one per line): an empty field leaves the
    value as it is, a lone « - » clears it (the form cannot show the current values
    without a script, so an empty field must not erase them)."""
    def edit(plan: Plan, who: str) -> Change:
        fields: dict[str, object] = {}
        for name, text in (("pilots", pilots), ("partners", partners)):
            if text.strip():
                fields[name] = () if text.strip() == "-" else _lines(text)
        if calendar.strip():
            fields["calendar"] = None if calendar.strip() == "-" else calendar.strip()
        if not fields:
            raise PlanEditError("rien à modifier : remplir au moins un champ")
        return update_item(plan, element, who=who, at=utcnow(), **fields)

    given = {"element": element, "pilots": pilots, "partners": partners, "calendar": calendar}
    return _staff_edit(request, plan_id, csrf, version, None, element, given, edit)
