"""The plan pages of a read-only portal (no store): one French page saying why, so that
the banner's "Suivi des schémas" link never leads to an unknown address. Imports no store
code (a read-only portal starts as fast as before)."""

from __future__ import annotations

import html

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from proximite.web.pages import page_values
from proximite.web.routes.common import portal_of

router = APIRouter(include_in_schema=False)
ABSENT = ("Le suivi des plans d'action n'est pas activé sur ce serveur : il demande la base "
          "de données du géoportail (proximite serve --contributions).")


@router.get("/suivi", response_class=HTMLResponse)
def plans_absent(request: Request) -> HTMLResponse:
    values = page_values(portal_of(request), "/suivi", "Suivi des schémas")
    return HTMLResponse(
        f'<!doctype html>\n<html lang="fr">\n{values["tete"]}\n<body>\n'
        '<a class="skip" href="#contenu">Aller au contenu</a>\n'
        f'{values["entete"]}\n<main id="contenu" class="largeur" tabindex="-1">\n'
        f"<h1>Suivi des schémas</h1>\n<p>{html.escape(ABSENT)}</p>\n</main>\n</body>\n</html>\n")


@router.get("/suivi/{rest:path}")
def plan_absent(rest: str) -> None:
    raise HTTPException(404, ABSENT)
