"""Contribution pages: a place's fiche and history, proposing, signing in, moderating,
import conflicts, cartoparties and their results.

Server-rendered HTML forms (they work without JavaScript). Every POST checks the CSRF
token of the visitor's server-side session; the proposal endpoints are rate-limited per
client address. The audit trail has no route that changes it: reverting an entry adds one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from proximite.inventory.hours import FRENCH_DAYS
from proximite.inventory.schema import MODES_SEP
from proximite.store.accounts import authenticate, close_session, csrf_ok, open_session
from proximite.store.models import (
    Cartoparty,
    ConflictStatus,
    Contribution,
    ContributionStatus,
    ImportConflict,
    Place,
    PlaceEvent,
    WebSession,
)
from proximite.store.moderation import before_after, decide, followed, propose, queue
from proximite.store.places import (
    PermissionDenied,
    StaleVersion,
    StoreError,
    can_moderate,
    resolve_conflict,
    revert_event,
)
from proximite.store.validation import LABELS, ProposalInvalid, validate_proposal
from proximite.web.contrib import (
    ContribStore,
    current_session,
    ensure_session,
    render_page,
    set_session_cookie,
    unit_of_work,
)
from proximite.web.pages import maplibre_installed
from proximite.web.routes.common import contrib_of, portal_of
from proximite.web.store import PortalData

PARIS = ZoneInfo("Europe/Paris")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")

router = APIRouter(include_in_schema=False)


class PageError(Exception):
    """An answer other than the page: status code, title and French message."""

    def __init__(self, status: int, title: str, message: str,
                 link: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.link = status, title, message, link


def _store(request: Request) -> ContribStore:
    store = contrib_of(request)
    if store is None:
        raise PageError(404, "Contributions non activées",
                        "Ce géoportail ne reçoit pas de contributions (aucune base configurée).")
    return store


def _page(request: Request, template: str, title: str, *, status: int = 200,
          session_row: WebSession | None = None, cookie: list[str] | None = None,
          **values: Any) -> HTMLResponse:
    portal = portal_of(request)
    body = render_page(request, portal, template, title, web_session=session_row,
                       paris=PARIS, LABELS=LABELS, **values)
    response = HTMLResponse(body, status_code=status)
    store = contrib_of(request)
    if cookie and store is not None:
        set_session_cookie(response, cookie[0], store)
    return response


@dataclass
class Visit:
    """What every contribution route starts from: the store, the portal, the open
    transaction and the visitor's session row. ``cookie`` holds the token of a session
    opened for this answer (:meth:`page` sets it); ``form`` a POST's checked fields."""

    request: Request
    store: ContribStore
    portal: PortalData
    session: Session
    row: WebSession | None
    cookie: list[str] = field(default_factory=list)
    form: dict[str, str] = field(default_factory=dict)

    def page(self, template: str, title: str, *, status: int = 200,
             **values: Any) -> HTMLResponse:
        return _page(self.request, template, title, status=status, session_row=self.row,
                     cookie=self.cookie, **values)


@contextmanager
def _visit(request: Request, *, open_session_if_none: bool = False) -> Iterator[Visit]:
    """The store (a 404 page when contributions are off), one transaction and the
    visitor's session; with ``open_session_if_none`` an anonymous session is opened for a
    page holding a form (its CSRF token)."""
    store = _store(request)
    with unit_of_work(store) as session:
        cookie: list[str] = []
        row = (ensure_session(session, request, store, cookie) if open_session_if_none
               else current_session(session, request))
        yield Visit(request, store, portal_of(request), session, row, cookie)


@asynccontextmanager
async def _posted(request: Request) -> AsyncIterator[Visit]:
    """A form's POST: the visit, with ``form`` read and its CSRF token checked (a 403 page
    when it is not the session's own)."""
    with _visit(request) as visit:
        visit.form = await _checked_form(request, visit.row)
        yield visit


async def page_error(request: Request, error: Exception) -> HTMLResponse:
    """The French page of a :class:`PageError` (the app's handler for it)."""
    assert isinstance(error, PageError)
    return _page(request, "message.html.j2", error.title, status=error.status,
                 message=error.message, link=error.link)


def _form_dict(form: FormData) -> dict[str, str]:
    """Text fields as one value each; repeated checkboxes joined (access modes)."""
    out: dict[str, str] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = MODES_SEP.join(values) if key == "access_modes" else (values[-1] if values
                                                                         else "")
    return out


async def _checked_form(request: Request, row: WebSession | None) -> dict[str, str]:
    form = _form_dict(await request.form())
    if not csrf_ok(row, form.get("csrf")):
        raise PageError(403, "Formulaire expiré",
                        "Ce formulaire a expiré ou ne vient pas de ce site : recharger la "
                        "page et recommencer.")
    return form


def _place_or_404(session: Session, service_id: str) -> Place:
    place = session.scalars(select(Place).where(Place.service_id == service_id)).first()
    if place is None:
        raise PageError(404, "Lieu inconnu", f"Aucun lieu « {service_id} » dans la base.",
                        ("/annuaire", "Voir l'annuaire"))
    return place


def _moderator(row: WebSession | None, territory: str | None = None) -> Any:
    user = row.user if row is not None else None
    if user is None:
        raise PageError(401, "Connexion nécessaire",
                        "Seuls les modérateurs connectés voient la file de modération.",
                        ("/connexion?suite=/moderation", "Se connecter"))
    if user.role not in ("moderator", "admin") or (territory is not None
                                                   and not can_moderate(user, territory)):
        raise PageError(403, "Accès refusé", "Ce compte ne modère pas ce territoire.")
    return user


def _categories(portal: PortalData) -> list[tuple[str, str]]:
    return sorted(((code, c.label) for code, c in portal.catalogue.categories.items()),
                  key=lambda item: item[1])


def _commune_label(portal: PortalData, code: str) -> str:
    commune = portal.communes.get(code)
    return f"{commune.name} ({code})" if commune else code


# --------------------------------------------------------------------------- places


@router.get("/lieux/{service_id}", response_class=HTMLResponse)
def place_page(request: Request, service_id: str) -> HTMLResponse:
    """A place's fiche: current values, provenance, history (with revert for moderators)."""
    with _visit(request, open_session_if_none=True) as visit:
        session, portal = visit.session, visit.portal
        place = _place_or_404(session, service_id)
        pending = len(session.scalars(select(Contribution.id).where(
            Contribution.place_id == place.id,
            Contribution.status == ContributionStatus.PENDING.value)).all())
        dates = {e.id: e.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
                 for e in place.events}
        assert visit.row is not None  # opened above
        return visit.page("lieu.html.j2", place.name or service_id, place=place,
                          pending=pending,
                          category_label=portal.catalogue.label(place.category),
                          commune=_commune_label(portal, place.code_insee), dates=dates,
                          can_moderate=can_moderate(visit.row.user, place.territory))


def _proposal_form(visit: Visit, *, place: Place | None, form: dict[str, str],
                   errors: dict[str, str] | None = None, status: int = 200,
                   cartoparty: Cartoparty | None = None) -> HTMLResponse:
    action = (f"/lieux/{quote(place.service_id, safe='')}/signaler" if place is not None
              else "/proposer")
    title = ("Signaler une erreur / proposer une modification" if place is not None
             else "Proposer un nouveau lieu")
    return visit.page("proposer.html.j2", title, status=status, place=place, form=form,
                      errors=errors or {}, categories=_categories(visit.portal),
                      days=FRENCH_DAYS, action=action,
                      modes=set(form.get("access_modes", "").split(MODES_SEP)),
                      cartoparty=cartoparty)


def _place_form(place: Place) -> dict[str, str]:
    lon = f"{place.lon:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    lat = f"{place.lat:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return {"name": place.name, "category": place.category, "operator": place.operator,
            "address": place.address, "lon": lon, "lat": lat,
            "opening_hours": place.opening_hours, "access_modes": place.access_modes}


def _cartoparty(session: Session, slug: str | None) -> Cartoparty | None:
    if not slug:
        return None
    party = session.scalars(select(Cartoparty).where(Cartoparty.slug == slug)).first()
    if party is None:
        raise PageError(404, "Cartoparty inconnue", f"Aucune cartoparty « {slug} ».")
    return party


@router.get("/lieux/{service_id}/signaler", response_class=HTMLResponse)
def report_form(request: Request, service_id: str, cartoparty: str = "") -> HTMLResponse:
    with _visit(request, open_session_if_none=True) as visit:
        place = _place_or_404(visit.session, service_id)
        return _proposal_form(visit, place=place, form=_place_form(place),
                              cartoparty=_cartoparty(visit.session, cartoparty))


@router.get("/proposer", response_class=HTMLResponse)
def new_place_form(request: Request, cartoparty: str = "", lon: str = "", lat: str = ""
                   ) -> HTMLResponse:
    with _visit(request, open_session_if_none=True) as visit:
        party = _cartoparty(visit.session, cartoparty)
        form = {"lon": lon[:30], "lat": lat[:30], "access_modes": "on_site"}
        if party is not None and len(party.categories) == 1:
            form["category"] = party.categories[0]
        return _proposal_form(visit, place=None, form=form, cartoparty=party)


async def _submit(request: Request, service_id: str | None) -> Response:
    store = _store(request)
    client = request.client.host if request.client else "inconnu"
    if not store.allow_proposal(client):
        raise PageError(429, "Trop de propositions",
                        "Trop de propositions envoyées depuis cette adresse en peu de temps : "
                        f"réessayer plus tard (limite : {store.settings.proposal_rate_limit}).")
    async with _posted(request) as visit:
        session, form, row = visit.session, visit.form, visit.row
        place = _place_or_404(session, service_id) if service_id is not None else None
        party = _cartoparty(session, form.get("cartoparty"))
        if place is None:
            form["kind"] = "new"
        elif form.get("kind") == "closure":
            form = {k: v for k, v in form.items()
                    if k in ("kind", "comment", "source_note", "csrf", "cartoparty")}
        assert store.checks is not None
        try:
            proposal = validate_proposal(
                {k: v for k, v in form.items() if k not in ("csrf", "cartoparty")},
                store.checks, current=place.values() if place is not None else None)
        except ProposalInvalid as invalid:
            return _proposal_form(visit, place=place, form=form, errors=invalid.errors,
                                  status=422, cartoparty=party)
        author = row.user if row is not None else None
        contribution, token = propose(session, proposal, place=place, author=author,
                                      cartoparty=party)
        target = f"/contributions/{contribution.id}?jeton={quote(token)}&envoi=1"
    return RedirectResponse(target, status_code=303)


@router.post("/lieux/{service_id}/signaler", response_model=None)
async def report_submit(request: Request, service_id: str) -> Response:
    return await _submit(request, service_id)


@router.post("/proposer", response_model=None)
async def new_place_submit(request: Request) -> Response:
    return await _submit(request, None)


@router.get("/contributions/{contribution_id}", response_class=HTMLResponse)
def contribution_page(request: Request, contribution_id: int, jeton: str = "",
                      envoi: int = 0) -> HTMLResponse:
    """The outcome, for whoever holds the follow link (or the author, or a moderator)."""
    with _visit(request) as visit:
        session, row = visit.session, visit.row
        contribution = followed(session, contribution_id, jeton) if jeton else None
        if contribution is None:
            candidate = session.get(Contribution, contribution_id)
            user = row.user if row is not None else None
            if candidate is not None and user is not None and (
                    candidate.author_id == user.id
                    or can_moderate(user, candidate.territory)):
                contribution = candidate
        if contribution is None:
            raise PageError(404, "Contribution introuvable",
                            "Ce lien de suivi n'est pas valable.")
        return visit.page("suivi.html.j2", f"Votre proposition n° {contribution.id}",
                          contribution=contribution, just_sent=envoi == 1)


@router.get("/mes-contributions", response_class=HTMLResponse)
def my_contributions(request: Request) -> HTMLResponse:
    """A signed-in contributor's proposals and their outcome."""
    with _visit(request) as visit:
        row = visit.row
        if row is None or row.user is None:
            raise PageError(401, "Connexion nécessaire",
                            "Connectez-vous pour voir vos propositions (sans compte, le lien "
                            "reçu après l'envoi donne le résultat).",
                            ("/connexion?suite=/mes-contributions", "Se connecter"))
        items = list(visit.session.scalars(select(Contribution).where(
            Contribution.author_id == row.user.id).order_by(Contribution.id.desc())))
        return visit.page("mes_contributions.html.j2", "Mes propositions", items=items)


@router.post("/lieux/{service_id}/historique/{event_id}/annuler", response_model=None)
async def revert(request: Request, service_id: str, event_id: int) -> Response:
    async with _posted(request) as visit:
        session, form = visit.session, visit.form
        place = _place_or_404(session, service_id)
        user = _moderator(visit.row, place.territory)
        event = session.get(PlaceEvent, event_id)
        if event is None or event.place_id != place.id:
            raise PageError(404, "Entrée inconnue", "Cette entrée d'historique n'existe pas.")
        try:
            revert_event(session, event, moderator=user, reason=form.get("reason", ""))
        except StoreError as exc:
            # nothing written: the transaction is rolled back
            raise PageError(422, "Annulation impossible", str(exc),
                            (f"/lieux/{quote(service_id, safe='')}", "Retour au lieu")
                            ) from None
    return RedirectResponse(f"/lieux/{quote(service_id, safe='')}#historique",
                            status_code=303)


# --------------------------------------------------------------------------- accounts


@router.get("/connexion", response_class=HTMLResponse)
def sign_in_form(request: Request, suite: str = "/moderation") -> HTMLResponse:
    with _visit(request, open_session_if_none=True) as visit:
        return visit.page("connexion.html.j2", "Connexion", suite=_local(suite), email="",
                          failed=False)


def _local(target: str) -> str:
    """Only a path of this site (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/connexion", response_model=None)
async def sign_in(request: Request) -> Response:
    async with _posted(request) as visit:
        session, form, store = visit.session, visit.form, visit.store
        user = authenticate(session, form.get("email", ""), form.get("password", ""))
        if user is None:
            return visit.page("connexion.html.j2", "Connexion", status=401,
                              suite=_local(form.get("suite", "/")),
                              email=form.get("email", ""), failed=True)
        close_session(session, request.cookies.get("proximite_session"))
        opened = open_session(session, user, hours=store.settings.session_hours)
    response = RedirectResponse(_local(form.get("suite", "/")), status_code=303)
    set_session_cookie(response, opened.token, store)
    return response


@router.post("/deconnexion", response_model=None)
async def sign_out(request: Request) -> Response:
    async with _posted(request) as visit:
        close_session(visit.session, request.cookies.get("proximite_session"))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie("proximite_session", path="/")
    return response


# --------------------------------------------------------------------------- moderation


@router.get("/moderation", response_class=HTMLResponse)
def moderation_queue(request: Request, territoire: str | None = None) -> HTMLResponse:
    with _visit(request) as visit:
        session = visit.session
        user = _moderator(visit.row)
        try:
            items = queue(session, user, territory=territoire or None)
        except PermissionDenied as exc:
            raise PageError(403, "Accès refusé", str(exc)) from None
        conflicts = session.scalars(select(ImportConflict.id).where(
            ImportConflict.status == ConflictStatus.OPEN.value,
            *(() if user.role == "admin" else (
                ImportConflict.territory.in_(sorted(user.territory_codes)),)))).all()
        territories = ("tous" if user.role == "admin"
                       else ", ".join(sorted(user.territory_codes)))
        return visit.page("moderation.html.j2", "File de modération", items=items,
                          territories=territories, conflicts=len(conflicts))


@router.get("/moderation/conflits", response_class=HTMLResponse)
def conflicts_page(request: Request) -> HTMLResponse:
    with _visit(request) as visit:
        user = _moderator(visit.row)
        query = select(ImportConflict).where(
            ImportConflict.status == ConflictStatus.OPEN.value)
        if user.role != "admin":
            query = query.where(ImportConflict.territory.in_(sorted(user.territory_codes)))
        items = list(visit.session.scalars(query.order_by(ImportConflict.id)))
        return visit.page("conflits.html.j2", "Conflits d'import", items=items)


@router.post("/moderation/conflits/{conflict_id}", response_model=None)
async def conflict_decide(request: Request, conflict_id: int) -> Response:
    async with _posted(request) as visit:
        conflict = visit.session.get(ImportConflict, conflict_id)
        if conflict is None:
            raise PageError(404, "Conflit inconnu", f"Aucun conflit n° {conflict_id}.")
        user = _moderator(visit.row, conflict.territory)
        try:
            resolve_conflict(visit.session, conflict, moderator=user,
                             take_official=visit.form.get("decision") == "take", reason="")
        except StoreError as exc:
            raise PageError(409, "Conflit déjà traité", str(exc)) from None
    return RedirectResponse("/moderation/conflits", status_code=303)


def _contribution_or_404(session: Session, contribution_id: int) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None:
        raise PageError(404, "Contribution inconnue", f"Aucune contribution n° {contribution_id}.")
    return contribution


def _decision_page(visit: Visit, contribution: Contribution, problem: str = "",
                   status: int = 200) -> HTMLResponse:
    return visit.page("moderer.html.j2", f"Proposition n° {contribution.id}",
                      status=status, c=contribution,
                      rows=before_after(visit.session, contribution), problem=problem)


@router.get("/moderation/{contribution_id}", response_class=HTMLResponse)
def moderation_item(request: Request, contribution_id: int) -> HTMLResponse:
    with _visit(request) as visit:
        contribution = _contribution_or_404(visit.session, contribution_id)
        _moderator(visit.row, contribution.territory)
        return _decision_page(visit, contribution)


def _amendment(form: dict[str, str], contribution: Contribution,
               store: ContribStore) -> dict[str, Any] | None:
    """The moderator's changes to the proposed values, validated like a proposal (a
    moved point gets its commune again); None when nothing was changed."""
    proposed = contribution.proposed
    given = {name: form[f"amend_{name}"].strip() for name in proposed
             if f"amend_{name}" in form}
    shown = {name: (f"{value:.7f}".rstrip("0").rstrip(".").replace(".", ",")
                    if isinstance(value, float) else str(value))
             for name, value in proposed.items()}
    if all(shown.get(name) == text for name, text in given.items()):
        return None
    if contribution.kind == "closure":
        return None
    assert store.checks is not None
    fields = {**shown, **given, "kind": contribution.kind}
    fields.pop("code_insee", None)
    proposal = validate_proposal(fields, store.checks,
                                 current=None if contribution.kind == "new" else {})
    return proposal.fields


@router.post("/moderation/{contribution_id}", response_model=None)
async def moderation_decide(request: Request, contribution_id: int) -> Response:
    async with _posted(request) as visit:
        session, form, store = visit.session, visit.form, visit.store
        contribution = _contribution_or_404(session, contribution_id)
        user = _moderator(visit.row, contribution.territory)
        try:
            version = int(form.get("version", ""))
        except ValueError:
            raise PageError(422, "Formulaire incomplet",
                            "Version de la contribution absente : recharger la page.") from None
        accept = form.get("decision") == "accept"
        try:
            amended = _amendment(form, contribution, store) if accept else None
            with session.begin_nested():
                decide(session, contribution, moderator=user, accept=accept,
                       expected_version=version, reason=form.get("reason", ""),
                       amended=amended)
        except (StoreError, ProposalInvalid) as exc:
            session.expire_all()
            fresh = _contribution_or_404(session, contribution_id)
            code = 409 if isinstance(exc, StaleVersion) else 422
            return _decision_page(visit, fresh, problem=str(exc), status=code)
    return RedirectResponse("/moderation", status_code=303)


# --------------------------------------------------------------------------- cartoparties


@router.get("/cartoparties/nouvelle", response_class=HTMLResponse)
def cartoparty_form(request: Request) -> HTMLResponse:
    with _visit(request) as visit:
        _moderator(visit.row)
        return visit.page("cartoparty_new.html.j2", "Nouvelle cartoparty", form={},
                          errors={}, chosen=set(), categories=_categories(visit.portal))


@router.post("/cartoparties", response_model=None)
async def cartoparty_create(request: Request) -> Response:
    async with _posted(request) as visit:
        session, form, row, portal = visit.session, visit.form, visit.row, visit.portal
        raw = await request.form()
        chosen = [c for c in raw.getlist("categories") if isinstance(c, str)]
        errors = _cartoparty_errors(session, form, chosen, portal)
        territory = form.get("territory", "").strip()
        if not errors:
            _moderator(row, territory)
        if errors:
            return visit.page("cartoparty_new.html.j2", "Nouvelle cartoparty", status=422,
                              form=form, errors=errors, chosen=set(chosen),
                              categories=_categories(portal))
        party = Cartoparty(slug=form["slug"].strip(), title=form["title"].strip(),
                           territory=territory,
                           event_date=date.fromisoformat(form["event_date"]),
                           categories=chosen, description=form.get("description", ""),
                           created_by=row.user_id if row is not None else None)
        session.add(party)
    return RedirectResponse(f"/cartoparties/{quote(party.slug)}", status_code=303)


def _cartoparty_errors(session: Session, form: dict[str, str], chosen: list[str],
                       portal: PortalData) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.get("title", "").strip():
        errors["title"] = "obligatoire"
    slug = form.get("slug", "").strip()
    if not SLUG.match(slug):
        errors["slug"] = "attendu 2 à 79 lettres minuscules, chiffres ou tirets"
    elif session.scalars(select(Cartoparty.id).where(Cartoparty.slug == slug)).first():
        errors["slug"] = f"« {slug} » est déjà pris"
    if not re.match(r"^(\d{2}|2[AB]|97\d)$", form.get("territory", "").strip()):
        errors["territory"] = "attendu un code de département, par exemple 48"
    try:
        date.fromisoformat(form.get("event_date", ""))
    except ValueError:
        errors["event_date"] = "attendu une date (AAAA-MM-JJ)"
    unknown = [c for c in chosen if c not in portal.catalogue.categories]
    if not chosen:
        errors["categories"] = "choisir au moins un type de service"
    elif unknown:
        errors["categories"] = f"« {unknown[0]} » n'est pas un type de service du catalogue"
    return errors


def _party_or_404(session: Session, slug: str) -> Cartoparty:
    party = _cartoparty(session, slug)
    assert party is not None
    return party


@router.get("/cartoparties/{slug}", response_class=HTMLResponse)
def cartoparty_page(request: Request, slug: str) -> HTMLResponse:
    """The event: the places of its categories in its territory, as a list and a map."""
    with _visit(request, open_session_if_none=True) as visit:
        session, portal = visit.session, visit.portal
        party = _party_or_404(session, slug)
        places = list(session.scalars(select(Place).where(
            Place.territory == party.territory, Place.category.in_(party.categories),
            Place.closed.is_(False)).order_by(Place.code_insee, Place.name)))
        contributed = {c.place.service_id for c in session.scalars(select(Contribution)
                       .where(Contribution.cartoparty_id == party.id)) if c.place}
        labels = {code: c.label for code, c in portal.catalogue.categories.items()}
        points = [{"id": p.service_id, "name": p.name, "lon": p.lon, "lat": p.lat}
                  for p in places]
        return visit.page("cartoparty.html.j2", party.title, party=party, places=places,
                          points=points,
                          labels=[portal.catalogue.label(c) for c in party.categories],
                          category_labels=labels, contributed=contributed,
                          maplibre="1" if maplibre_installed() else "0")


RESULT_COLUMNS = ["contribution", "etat", "type", "service_id", "nom", "categorie", "champs",
                  "proposee_le", "moderee_le", "motif", "licence"]


@router.get("/cartoparties/{slug}/resultats.csv", response_model=None)
def cartoparty_results(request: Request, slug: str) -> Response:
    """Every proposal made during the event, with its outcome and the licence."""
    with _visit(request) as visit:
        session, store = visit.session, visit.store
        party = _party_or_404(session, slug)
        rows = session.scalars(select(Contribution).where(
            Contribution.cartoparty_id == party.id).order_by(Contribution.id))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(RESULT_COLUMNS)
        for c in rows:
            values = c.applied or c.proposed
            place = c.place
            writer.writerow([
                c.id, c.status, c.kind, place.service_id if place else "",
                _neutral(str(values.get("name", place.name if place else ""))),
                values.get("category", place.category if place else ""),
                _neutral("; ".join(f"{k}={v}" for k, v in values.items())),
                c.created_at.isoformat(), c.moderated_at.isoformat() if c.moderated_at
                else "", _neutral(c.reason), store.settings.contributions_licence])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="cartoparty-{party.slug}.csv"'})


def _neutral(text: str) -> str:
    """Cells a spreadsheet would run as a formula get a leading quote (as the exports)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
