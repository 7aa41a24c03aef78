"""The report's comparison with the published figures: wording of each cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from proximite.model import DiagnosticResult
from proximite.report.comparison import _computed, _gap, _published, comparison_section


def _row(**values: object) -> pd.Series:
    base = {"figure_id": "cantal_median_vie_courante", "approximate": True,
            "published_min": 8.0, "published_population": np.nan, "computed_min": 5.4,
            "computed_population": np.nan, "computed_communes": np.nan,
            "status": "computed", "reason": ""}
    return pd.Series({**base, **values})


def test_cells_say_published_computed_and_gap() -> None:
    median = _row()
    assert (_published(median), _computed(median), _gap(median)) == \
        ("≈ 8,0 min", "5,4 min", "−2,6 min")
    far = _row(figure_id="cantal_farthest_decile_communes", approximate=False,
               published_min=18.0, published_population=2870.0, computed_min=15.24,
               computed_population=2979.0, computed_communes=25.0, status="partial")
    assert _published(far) == "> 18,0 min (2\u202f870 hab.)"
    assert _computed(far) == ("≥ 15,2 min (25 communes, 2\u202f979 hab.) "
                              "(panier partiel, voir ci-dessous)")
    pole = _row(figure_id="cantal_population_beyond_10min_pole_proximite",
                published_min=np.nan, published_population=17000.0, computed_min=10.0,
                computed_population=11338.0)
    assert (_published(pole), _computed(pole), _gap(pole)) == \
        ("≈ 17\u202f000 hab.", "11\u202f338 hab.", "−5\u202f662 hab.")
    missing = _row(status="not_computable", reason="panier incomplet")
    assert (_computed(missing), _gap(missing)) == ("non calculable : panier incomplet", "—")


def test_territory_without_published_figures_says_so(demo_result: DiagnosticResult) -> None:
    section = comparison_section(demo_result, None)
    assert section.id == "chiffres-publies"
    text = section.blocks[0].text  # type: ignore[attr-defined]
    assert "Aucun chiffre publié comparable" in text and "15" in text


def test_basket_without_library_data_is_said_under_the_figures(
        demo_result: DiagnosticResult, monkeypatch: pytest.MonkeyPatch) -> None:
    from proximite.report import comparison as module
    from proximite.report.blocks import Para, Table

    reason = ("panier réduit à 18 de ses 19 catégories, faute de service dans l'inventaire "
              "pour : Bibliothèque (aucune source de l'inventaire n'en recense dans le "
              "territoire et sa marge) ; le chiffre publié compte aussi ces catégories : ce "
              "n'est donc pas tout à fait la même mesure")
    table = pd.DataFrame([{**_row(status="partial", reason=reason).to_dict(),
                           "label": "Temps d'accès médian", "source": "Schéma du Cantal",
                           "vintage": "2014"}])
    monkeypatch.setattr(module, "compare_run", lambda result, analysis: table)
    section = comparison_section(demo_result, None)
    kinds = [type(block) for block in section.blocks]
    assert kinds[:3] == [Para, Table, Para]
    under = section.blocks[2].text  # type: ignore[attr-defined]
    assert under.startswith("Panier réduit à 18 de ses 19 catégories")
    assert ("Bibliothèque (aucune source de l'inventaire n'en recense dans le territoire et "
            "sa marge)") in under
    assert under.endswith("la même mesure.")
    caveats = " ".join(str(b) for b in section.blocks[3:])
    assert "Bibliothèque" not in caveats  # said once, where it matters
