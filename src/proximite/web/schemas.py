"""Response models of the géoportail's JSON API (what /openapi.json documents).

Why a module of their own: every router returns these shapes and the OpenAPI schema is
generated from them, so they are the API's contract; routers import them, never the
other way round.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
    travel_time_min: float = Field(description="Temps de trajet sur le réseau (minutes)")


class NearOut(BaseModel):
    origin: dict[str, Any]
    category: str
    max_minutes: float = Field(description="Au-delà, les services ne sont pas listés")
    evaluated_at: datetime
    note: str
    services: list[NearServiceOut]


class DirectoryOut(BaseModel):
    services: list[ServiceOut]
    total: int = Field(description="Lieux correspondant aux filtres, toutes pages comprises")
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


class RemoteAccessOut(BaseModel):
    category: str
    label: str
    service_id: str
    name: str
    modes: list[str] = Field(description="téléphone, visioconférence, en ligne")
    distance_km: float | None = Field(description="Distance à vol d'oiseau depuis la mairie "
                                                  "(le service n'est pas rejoint par la route)")


class ItinerantAccessOut(BaseModel):
    category: str
    label: str
    stop_id: str
    stop_name: str
    travel_time_min: float | None = Field(description="Temps jusqu'à l'arrêt le plus proche")
    days_per_month: float | None = Field(description="Jours de passage par mois (horaires "
                                                     "de l'arrêt)")


class DigitalOut(BaseModel):
    fragility_index: float | None = Field(description="Indice de fragilité numérique "
                                                      "(0 à 100, relatif au territoire)")
    among_most_fragile: bool | None
    fibre_share_min_pct: float | None
    fibre_share_max_pct: float | None
    fibre_quarter: str
    operators_4g: int | None
    radius_4g_m: float | None
    help_place: str
    help_time_min: float | None
    help_hours_per_week: float | None
    share_65plus_pct: float | None


class CommuneFiche(CommuneSummary):
    access: list[CategoryAccessOut]
    profile: ProfileOut | None
    network_note: str
    remote_access: list[RemoteAccessOut] = Field(
        default_factory=list, description="Services joignables à distance (le plus proche "
                                          "par catégorie)")
    itinerant_access: list[ItinerantAccessOut] = Field(
        default_factory=list, description="Permanences itinérantes : jamais comptées comme "
                                          "des sites permanents")
    digital: DigitalOut | None = None


class ErrorOut(BaseModel):
    detail: str = Field(description="Message en français")


class ValidationItem(BaseModel):
    loc: list[str | int] = Field(description="Où est l'erreur (query, path, nom du champ)")
    type: str = Field(description="Type d'erreur (vocabulaire pydantic)")
    msg: str = Field(description="Message en français")


class ValidationErrorOut(BaseModel):
    detail: str = Field(description="Message en français nommant chaque paramètre invalide")
    errors: list[ValidationItem] = Field(default_factory=list)


#: Error responses of every route (routers pass it as ``responses=``): FastAPI then keeps
#: it instead of adding its own 422 schema, which does not match our bodies.
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut},
                                           422: {"model": ValidationErrorOut}}
