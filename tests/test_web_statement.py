"""The accessibility statement names the pages this portal serves: the store's pages (plan
follow-up, contributions) when a store is configured, and only then."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from language import english_sentences, visible_text
from proximite.settings import StoreSettings
from proximite.store.db import make_engine, session_factory, upgrade
from proximite.web.app import create_app
from proximite.web.contrib import ContribStore
from proximite.web.store import PortalData


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return PortalData.demo()


def _text(client: TestClient) -> str:
    page = client.get("/accessibilite")
    assert page.status_code == 200
    return re.sub(r"\s+", " ", " ".join(visible_text(page.text)))


def _store(tmp_path: Path) -> ContribStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    return ContribStore(session_factory(engine), StoreSettings(secure_cookies=False))


def _store_pages() -> list[str]:
    """Every page (GET, HTML) of the store's routers, placeholders written "…"."""
    from proximite.web.routes import contrib, plans

    paths = {re.sub(r"\{[^}]+\}", "…", route.path)
             for router in (contrib.router, plans.router) for route in router.routes
             if isinstance(route, Route) and "GET" in (route.methods or ())
             and not route.path.endswith(".csv")}
    return sorted(paths)


def test_with_a_store_every_store_page_is_named(portal: PortalData, tmp_path: Path) -> None:
    app = create_app(portal, store=_store(tmp_path))
    pages = _store_pages()
    # the plans' and the contributions' pages are both there to be named
    assert {"/suivi", "/suivi/…", "/gestion/suivi/…", "/lieux/…", "/proposer",
            "/moderation", "/cartoparties/nouvelle"} <= set(pages)
    with TestClient(app) as client:
        text = _text(client)
    assert [page for page in pages if f"{page})" not in text and f"{page}," not in text] == []
    assert "Suivi des schémas :" in text and "Contributions :" in text
    assert "fiche d'un lieu" in text and "historique d'une action" in text  # tests' states
    assert "Non contrôlées automatiquement à ce jour : formulaire d'un nouveau lieu" in text
    assert "ne sont pas activées" not in text
    assert english_sentences(text) == []


def test_without_a_store_the_statement_says_those_pages_are_off(portal: PortalData) -> None:
    with TestClient(create_app(portal)) as client:
        text = _text(client)
    assert ("Les pages de suivi des schémas et de contribution ne sont pas activées sur ce "
            "géoportail (aucune base de contributions configurée).") in text
    assert "/moderation" not in text and "/gestion/suivi" not in text
    assert f"Cette déclaration s'applique au géoportail Proximité ({portal.territory_name})" \
        in text
    assert english_sentences(text) == []
