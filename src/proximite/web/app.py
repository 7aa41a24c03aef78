"""The géoportail's JSON API (FastAPI, documented at /docs and /openapi.json).

Everything is read from a :class:`~proximite.web.store.PortalData` held in memory: no
SQL, no query text assembled anywhere. Times are road travel times from the diagnostic's
graph, never straight-line distances. Validation errors are 422 (FastAPI ``Query``
constraints plus explicit checks); unknown commune, EPCI, category or service are 404
with a French message naming what was not found.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from proximite.web.export_routes import router as export_router
from proximite.web.hours import hours_status, paris_time
from proximite.web.map_layers import router as map_router
from proximite.web.pages import router as page_router
from proximite.web.pages import static_files
from proximite.web.store import PortalData

AtQuery = Annotated[datetime | None, Query(
    description="Instant d'évaluation de « ouvert maintenant » (défaut : maintenant ; "
                "sans fuseau = heure de Paris)")]

TAGS = [
    {"name": "catalogue", "description": "Catégories de services du catalogue."},
    {"name": "communes", "description": "Recherche de communes et fiche commune."},
    {"name": "services", "description": "Services proches (temps de trajet routier) et "
                                        "annuaire filtrable."},
    {"name": "carte", "description": "Couches GeoJSON de la carte du géoportail."},
]


# ---------------------------------------------------------------------- models
class CategoryOut(BaseModel):
    code: str
    label: str
    family: str
    parent: str | None
    n_services: int = Field(description="Services de l'inventaire dans la catégorie "
                                        "(sous-catégories comprises)")
    has_data: bool


class CommuneSummary(BaseModel):
    code_insee: str
    name: str
    population: float | None
    epci_code: str
    epci_name: str


class EpciOut(BaseModel):
    code: str = Field(description="Code SIREN")
    name: str
    n_communes: int


class CommuneSearchOut(BaseModel):
    query: str
    results: list[CommuneSummary]


class ServiceOut(BaseModel):
    service_id: str
    category: str
    category_label: str
    name: str
    operator: str
    address: str
    code_insee: str
    lon: float
    lat: float
    opening_hours: str = Field(description="Expression OSM opening_hours ('' si absente)")
    opening_hours_raw: str = Field(description="Texte d'horaires de la source, tel quel")
    hours_state: str = Field(description="open, closed ou unknown (Europe/Paris)")
    open_now: bool | None
    next_change: datetime | None = Field(description="Prochain changement d'état "
                                                     "(ouvre à / ferme à)")
    access_modes: list[str]
    source: str
    data_date: str


class NearServiceOut(ServiceOut):
    travel_time_min: float = Field(description="Temps de trajet routier (minutes)")


class NearOut(BaseModel):
    origin: dict[str, Any]
    category: str
    max_minutes: float = Field(description="Au-delà, les services ne sont pas listés")
    evaluated_at: datetime
    note: str
    services: list[NearServiceOut]


class DirectoryOut(BaseModel):
    services: list[ServiceOut]
    next_cursor: str | None = Field(description="À passer en `cursor` pour la page suivante "
                                                "(absent à la dernière page)")
    evaluated_at: datetime


class CategoryAccessOut(BaseModel):
    category: str
    label: str
    target_kind: str = Field(description="category ou basket (panier)")
    travel_time_min: float | None
    status: str
    status_detail: str
    median_min: float | None
    nearest_service: ServiceOut | None


class ProfileOut(BaseModel):
    profile: str
    explanation: str
    details: dict[str, Any]


class CommuneFiche(CommuneSummary):
    access: list[CategoryAccessOut]
    profile: ProfileOut | None
    network_note: str


class ErrorOut(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


# ---------------------------------------------------------------------- helpers
def _split_modes(value: str | None) -> list[str]:
    if not value:
        return []
    return [m.strip() for m in value.replace(",", ";").split(";") if m.strip()]


def _encode_cursor(service_id: str) -> str:
    raw = json.dumps({"after": service_id}, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> str:
    """The last service_id of the previous page; 422 if the cursor is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = payload["after"]
        if not isinstance(after, str):
            raise TypeError
        return after
    except (binascii.Error, UnicodeError, ValueError, KeyError, TypeError):
        raise HTTPException(422, "Curseur de pagination invalide : utiliser la valeur "
                                 "next_cursor d'une réponse précédente.") from None


def create_app(data: PortalData | None = None) -> FastAPI:
    """The API over ``data`` (default: the embedded Lozère demo, built now)."""
    portal = data if data is not None else PortalData.demo()
    catalogue = portal.catalogue

    app = FastAPI(
        title="Proximité — géoportail des services au public",
        description=(
            "API JSON du diagnostic d'accessibilité des services au public "
            f"({portal.territory_name}). Les services proches sont triés par temps de "
            "trajet routier (pas par distance à vol d'oiseau). « Ouvert maintenant » est "
            "calculé sur le serveur à partir des horaires OpenStreetMap, jours fériés "
            "français compris (Europe/Paris). " + portal.network_note),
        version="1.0",
        openapi_tags=TAGS,
    )
    app.state.portal = portal

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with a readable French message first, pydantic's details after."""
        parts = []
        for error in exc.errors():
            name = ".".join(str(p) for p in error.get("loc", ())[1:]) or "requête"
            parts.append(f"« {name} » : {error.get('msg', 'valeur invalide')}")
        return JSONResponse(
            {"detail": "Paramètre invalide " + " ; ".join(parts),
             "errors": jsonable_encoder(exc.errors())}, status_code=422)

    def category_or_404(code: str) -> str:
        if code not in catalogue.categories:
            raise HTTPException(404, f"Catégorie inconnue : « {code} ». Voir /api/categories.")
        return code

    def commune_or_404(code: str) -> str:
        if code not in portal.communes:
            raise HTTPException(404, f"Commune inconnue : « {code} » (code INSEE attendu, "
                                     "voir /api/communes?q=).")
        return code

    def service_out(record: dict[str, Any], at: datetime) -> dict[str, Any]:
        status = hours_status(record.get("opening_hours") or "",
                              record.get("opening_hours_raw") or "", at)
        cat = catalogue.categories.get(record["category"])
        return {
            "service_id": record["service_id"], "category": record["category"],
            "category_label": cat.label if cat else record["category"],
            "name": record.get("name") or "", "operator": record.get("operator") or "",
            "address": record.get("address") or "",
            "code_insee": record.get("code_insee") or "",
            "lon": record["lon"], "lat": record["lat"],
            "opening_hours": record.get("opening_hours") or "",
            "opening_hours_raw": record.get("opening_hours_raw") or "",
            "hours_state": status.state, "open_now": status.open_now,
            "next_change": status.next_change,
            "access_modes": _split_modes(record.get("access_modes")),
            "source": record.get("source") or "", "data_date": record.get("data_date") or "",
        }

    def summary(code: str) -> dict[str, Any]:
        entry = portal.communes[code]
        return {"code_insee": entry.code_insee, "name": entry.name,
                "population": entry.population, "epci_code": entry.epci_code,
                "epci_name": entry.epci_name}

    # ------------------------------------------------------------------ routes
    # Handlers that answer from memory in microseconds are ``async``: run on the event
    # loop, they skip the hand-off to a worker thread. Anything that may take
    # milliseconds (a search from a point, pandas filtering) stays sync, in the pool.
    counts = portal.services["category"].value_counts()
    categories_out = []
    for code, cat in catalogue.categories.items():
        n = int(sum(counts.get(m, 0) for m in catalogue.members(code)))
        categories_out.append({"code": code, "label": cat.label, "family": cat.family,
                               "parent": cat.parent, "n_services": n, "has_data": n > 0})

    @app.get("/api/categories", response_model=list[CategoryOut], tags=["catalogue"],
             summary="Catégories de services")
    async def list_categories() -> list[dict[str, Any]]:
        """Every category of the catalogue, with how many services the inventory holds."""
        return categories_out

    epcis_out = sorted(
        ({"code": code, "name": name,
          "n_communes": sum(1 for e in portal.communes.values() if e.epci_code == code)}
         for code, name in portal.epcis.items()), key=lambda e: str(e["name"]))

    @app.get("/api/epcis", response_model=list[EpciOut], tags=["communes"],
             summary="Intercommunalités du territoire")
    async def list_epcis() -> list[dict[str, Any]]:
        """The EPCI of the territory (code SIREN, name), for the directory's filter."""
        return epcis_out

    @app.get("/api/communes", response_model=CommuneSearchOut, tags=["communes"],
             summary="Rechercher une commune par son nom")
    def search_communes(
        q: str = Query(..., min_length=1, max_length=100,
                       description="Nom ou début de nom ; accents, tirets et « st » tolérés"),
        limit: int = Query(10, ge=1, le=50),
    ) -> dict[str, Any]:
        """Accent-insensitive search: 'st chely' finds Saint-Chély-d'Apcher."""
        hits = portal.search_communes(q, limit)
        return {"query": q, "results": [summary(e.code_insee) for e, _ in hits]}

    @app.get("/api/communes/{code_insee}", response_model=CommuneFiche, tags=["communes"],
             summary="Fiche commune", responses=ERRORS)
    def commune_fiche(
        code_insee: str = Path(..., max_length=10, description="Code INSEE de la commune"),
        at: AtQuery = None,
    ) -> dict[str, Any]:
        """Indicators per category and basket, nearest service of each, and the profile."""
        commune_or_404(code_insee)
        when = paris_time(at)
        access = portal.commune_access(code_insee)
        medians = {(r["category"], r["target_kind"]): r["median_min"]
                   for r in portal.commune_indicators(code_insee).to_dict("records")}
        rows = []
        for rec in access.to_dict("records"):
            code, kind = rec["category"], rec.get("target_kind", "category")
            if kind == "basket":
                label = catalogue.baskets[code].label if code in catalogue.baskets else code
            else:
                label = catalogue.categories[code].label if code in catalogue.categories \
                    else code
            nearest = portal.service(str(rec.get("nearest_service_id") or ""))
            time_min = rec.get("travel_time_min")
            median = medians.get((code, kind))
            rows.append({
                "category": code, "label": label, "target_kind": kind,
                "travel_time_min": None if time_min is None or time_min != time_min
                else float(time_min),
                "status": rec.get("status") or "",
                "status_detail": rec.get("status_detail") or "",
                "median_min": None if median is None or median != median else float(median),
                "nearest_service": service_out(nearest, when) if nearest else None,
            })
        profile = portal.profiles.get(code_insee)
        profile_out = None
        if profile is not None:
            profile_out = {"profile": profile.get("profile") or "",
                           "explanation": profile.get("explanation") or "",
                           "details": {k: v for k, v in profile.items()
                                       if k not in ("code_insee", "profile", "explanation")}}
        return {**summary(code_insee), "access": rows, "profile": profile_out,
                "network_note": portal.network_note}

    @app.get("/api/services/near", response_model=NearOut, tags=["services"],
             summary="Services proches d'une commune ou d'un point", responses=ERRORS)
    async def services_near(
        category: str = Query(..., max_length=60, description="Code de catégorie"),
        commune: str | None = Query(None, max_length=10, description="Code INSEE d'origine"),
        lon: float | None = Query(None, ge=-180, le=180, description="Longitude WGS84"),
        lat: float | None = Query(None, ge=-90, le=90, description="Latitude WGS84"),
        limit: int = Query(10, ge=1, le=50),
        at: AtQuery = None,
    ) -> dict[str, Any]:
        """Services of a category sorted by road travel time (not straight-line distance).

        Give either ``commune`` (times from the commune's origin, precomputed) or both
        ``lon`` and ``lat`` (one bounded search from the point, snapped to the network).
        """
        category_or_404(category)
        if commune is not None and (lon is not None or lat is not None):
            raise HTTPException(422, "Donner soit commune, soit lon et lat, pas les deux.")
        when = paris_time(at)
        if commune is not None:
            commune_or_404(commune)
            pairs = portal.near_commune(commune, category)
            origin: dict[str, Any] = {"kind": "commune", **summary(commune)}
            note = "Temps depuis l'origine de la commune (mairie ou centroïde)."
        elif lon is not None and lat is not None:
            # one bounded graph search (milliseconds): off the event loop
            pairs, snap_m = await run_in_threadpool(portal.near_point, lon, lat, category)
            origin = {"kind": "point", "lon": lon, "lat": lat, "snap_distance_m": snap_m}
            note = ("Le point est rattaché au nœud du réseau le plus proche ; trajet "
                    "d'approche à vol d'oiseau compté à la vitesse d'accès.")
            if snap_m > portal.access_params.max_snap_m:
                note = (f"Point à {snap_m / 1000:.1f} km du réseau (plus de "
                        f"{portal.access_params.max_snap_m / 1000:.1f} km) : aucun temps "
                        "calculable.")
        else:
            raise HTTPException(422, "Paramètre manquant : commune, ou lon et lat ensemble.")
        services = []
        for service_id, minutes in pairs[:limit]:
            record = portal.service(service_id)
            if record is not None:
                services.append({**service_out(record, when), "travel_time_min": minutes})
        return {"origin": origin, "category": category, "max_minutes": portal.cutoff_min,
                "evaluated_at": when, "note": note + " " + portal.network_note,
                "services": services}

    @app.get("/api/services", response_model=DirectoryOut, tags=["services"],
             summary="Annuaire des services", responses=ERRORS)
    def directory(
        category: str | None = Query(None, max_length=60),
        commune: str | None = Query(None, max_length=10, description="Code INSEE"),
        epci: str | None = Query(None, max_length=20, description="Code SIREN de l'EPCI"),
        access_mode: str | None = Query(None, max_length=40,
                                        description="Mode d'accès (on_site, itinerant…)"),
        open_now: bool | None = Query(None, description="Seulement ouverts (true) ou "
                                                        "fermés (false) à l'instant donné"),
        at: AtQuery = None,
        cursor: str | None = Query(None, max_length=500,
                                   description="Curseur opaque (next_cursor)"),
        limit: int = Query(20, ge=1, le=100),
    ) -> dict[str, Any]:
        """Services filtered, in stable service_id order, paged by an opaque cursor."""
        frame = portal.services
        if category is not None:
            category_or_404(category)
            frame = frame[frame["category"].isin(portal.members(category))]
        if commune is not None:
            commune_or_404(commune)
            frame = frame[frame["code_insee"] == commune]
        if epci is not None:
            if epci not in portal.epcis:
                raise HTTPException(404, f"EPCI inconnu : « {epci} » (code SIREN attendu).")
            codes = {c for c, e in portal.communes.items() if e.epci_code == epci}
            frame = frame[frame["code_insee"].isin(codes)]
        if access_mode is not None:
            frame = frame[[access_mode in _split_modes(m) for m in frame["access_modes"]]]
        ids = frame["service_id"].tolist()  # already sorted by service_id
        start = 0
        if cursor is not None:
            start = bisect.bisect_right(ids, _decode_cursor(cursor))
        when = paris_time(at)
        page: list[dict[str, Any]] = []
        last_seen: str | None = None
        has_more = False
        for service_id in ids[start:]:
            if len(page) == limit:
                has_more = True
                break
            record = portal.service(service_id)
            if record is None:
                continue
            out = service_out(record, when)
            last_seen = service_id
            if open_now is not None and out["open_now"] is not open_now:
                continue
            page.append(out)
        # With open_now, rows after a full page may all be filtered out: the next page is
        # then empty (next_cursor None) — the order and the cursor stay stable.
        next_cursor = _encode_cursor(last_seen) if has_more and last_seen else None
        return {"services": page, "next_cursor": next_cursor, "evaluated_at": when}

    @app.get("/api/services/{service_id}", response_model=ServiceOut, tags=["services"],
             summary="Un service", responses=ERRORS)
    async def get_service(
        service_id: str = Path(..., max_length=200),
        at: AtQuery = None,
    ) -> dict[str, Any]:
        """One service with its hours evaluated at ``at``."""
        record = portal.service(service_id)
        if record is None:
            raise HTTPException(404, f"Service inconnu : « {service_id} ».")
        return service_out(record, paris_time(at))

    app.include_router(export_router)
    app.include_router(map_router)
    app.include_router(page_router)
    app.mount("/static", static_files(), name="static")
    return app
