"""The géoportail's contribution side: the store it writes to, sessions, CSRF, rate limit.

:class:`ContribStore` is what ``create_app(store=...)`` takes: the session factory of the
store's database, its settings, the checks a proposal is validated against (built from the
portal's communes and catalogue) and the per-client rate limiter of the proposal endpoint
(``limits``' moving window, in memory: per server process). Pages are rendered with
Jinja2 templates (``web/templates``) with autoescaping on: whatever a visitor typed is
shown as text, never as HTML.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import shapely
from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response

from proximite.errors import ProximiteError
from proximite.settings import StoreSettings
from proximite.store.accounts import find_session, open_session
from proximite.store.models import WebSession
from proximite.store.places import CONTRIBUTION_SOURCE, services_frame, territory_of
from proximite.store.validation import ProposalChecks
from proximite.web.pages import page_values
from proximite.web.store import PortalData

SESSION_COOKIE = "proximite_session"
#: The field labels of a place, for the before/after views and the history.
FIELD_LABELS = {"name": "Nom", "category": "Type de service", "operator": "Opérateur",
                "lon": "Longitude", "lat": "Latitude", "code_insee": "Commune (code INSEE)",
                "address": "Adresse", "opening_hours": "Horaires (OpenStreetMap)",
                "opening_hours_raw": "Horaires (texte de la source)",
                "access_modes": "Modes d'accès", "location_precision": "Précision du lieu",
                "closed": "Fermé"}
MODE_LABELS = {"on_site": "sur place", "itinerant": "itinérant", "phone": "téléphone",
               "video": "visio", "online": "en ligne"}
STATUS_LABELS = {"pending": "en attente de modération", "accepted": "acceptée",
                 "amended": "acceptée avec modifications", "rejected": "refusée"}
KIND_LABELS = {"new": "nouveau lieu", "correction": "correction", "closure": "fermeture"}
EVENT_LABELS = {"import": "import", "contribution": "contribution acceptée",
                "revert": "annulation"}


def locator(portal: PortalData) -> Any:
    """(lon, lat) -> the code of the portal's commune containing the point, or None."""
    codes = list(portal.commune_geometries)
    geometries = [shapely.geometry.shape(portal.commune_geometries[c]) for c in codes]
    tree = shapely.STRtree(geometries)

    def locate(lon: float, lat: float) -> str | None:
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return codes[int(min(hits))] if len(hits) else None

    return locate


@dataclass
class ContribStore:
    """The contribution store as the web app uses it."""

    factory: sessionmaker[Session]
    settings: StoreSettings
    checks: ProposalChecks | None = None  # set by create_app from the portal
    limit: RateLimitItem = field(init=False)
    limiter: MovingWindowRateLimiter = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.limit = parse(self.settings.proposal_rate_limit)
        except ValueError:
            raise ProximiteError(
                f"store.proposal_rate_limit « {self.settings.proposal_rate_limit} » : "
                "attendu par exemple « 20/minute » ou « 100/hour »") from None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def bind(self, portal: PortalData) -> None:
        labels = {code: c.label for code, c in portal.catalogue.categories.items()}
        self.checks = ProposalChecks(categories=labels, locate=locator(portal),
                                     territory_name=portal.territory_name)

    def allow_proposal(self, client: str) -> bool:
        return bool(self.limiter.hit(self.limit, "proposal", client))


@contextmanager
def unit_of_work(store: ContribStore) -> Iterator[Session]:
    with store.factory.begin() as session:
        yield session


def current_session(session: Session, request: Request) -> WebSession | None:
    return find_session(session, request.cookies.get(SESSION_COOKIE))


def ensure_session(session: Session, request: Request, store: ContribStore,
                   pending: list[str]) -> WebSession:
    """The visitor's session, opened (anonymous) when missing: its CSRF token goes in the
    form. ``pending`` receives the cookie value to set on the response."""
    row = current_session(session, request)
    if row is None:
        opened = open_session(session, None, hours=store.settings.session_hours)
        pending.append(opened.token)
        row = opened.row
    return row


def set_session_cookie(response: Response, token: str, store: ContribStore) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=store.settings.secure_cookies,
                        max_age=store.settings.session_hours * 3600, path="/")


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("proximite.web", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["number"] = french_number
    env.filters["modes"] = lambda v: ", ".join(MODE_LABELS.get(m, m) for m in str(v or "")
                                                  .split("|") if m) or "—"
    env.globals.update(FIELD_LABELS=FIELD_LABELS, STATUS_LABELS=STATUS_LABELS,
                       KIND_LABELS=KIND_LABELS, EVENT_LABELS=EVENT_LABELS,
                       MODE_LABELS=MODE_LABELS)
    return env


def french_number(value: Any, digits: int = 5) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")
    return "—" if value in (None, "") else str(value)


def render_page(request: Request, portal: PortalData, template: str, title: str,
                current: str = "", **values: Any) -> str:
    """A contribution page: the portal's head and banner, then the template's content."""
    shared = page_values(portal, current, title)
    user_row = values.pop("web_session", None)
    body = environment().get_template(template).render(
        title=title, user=user_row.user if user_row is not None else None,
        csrf=user_row.csrf_token if user_row is not None else "", **values)
    return ("<!doctype html>\n<html lang=\"fr\">\n" + shared["tete"] + "\n<body>\n"
            '<a class="skip" href="#contenu">Aller au contenu</a>\n' + shared["entete"]
            + '\n<main id="contenu" class="largeur contributions" tabindex="-1">\n' + body
            + "\n</main>\n<footer class=\"largeur pied\"><p>"
            + html.escape(portal.network_note) + "</p></footer>\n</body>\n</html>\n")


#: The export column saying under which licence a contributed row is published.
LICENCE_COLUMN = "proximite_licence"


def with_store_places(portal: PortalData, store: ContribStore) -> PortalData:
    """A view of ``portal`` whose services are the store's current places of the same
    territories: corrections applied, closed places left out, accepted new places in."""
    territories = {territory_of(code) for code in portal.communes}
    with store.factory() as session:
        frame = services_frame(session)
    keep = (frame["service_id"].isin(portal.services.index)
            | frame["code_insee"].map(territory_of).isin(territories))
    return dataclasses.replace(portal, services=frame[keep].set_index("service_id",
                                                                      drop=False),
                               export_cache={})


def with_licence(frame: pd.DataFrame, portal: PortalData, licence: str | None
                 ) -> pd.DataFrame:
    """The export (rows keyed by ``id``, the service id) with the licence of its
    contributed rows, when it was built from the store (``licence`` None: unchanged)."""
    if licence is None:
        return frame
    services = portal.services
    ids = set(services["service_id"][services["source"].astype(str).str.startswith(
        CONTRIBUTION_SOURCE)])
    out = frame.copy()
    out[LICENCE_COLUMN] = frame["id"].isin(ids).map({True: licence, False: ""})
    return out
