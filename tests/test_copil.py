"""``proximite copil``: the committee pack of the shipped Allier review, and the trend of a
computed indicator between two saved diagnostics with different inventories.

Figures of the small test plan (``tests/data/plans/plan_test_lozere.yaml``), by hand: at
the 2025-01-15 review, 1.1 is "en partie atteint" (2/3) and 1.2 "initié" (1/3), 2.1 has no
level, so the plan's progress is (2/3 + 1/3) / 2 = 50 %; axis 2 has no rated action.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import STAND_IN_DEMO
from language import english_sentences, visible_text
from proximite.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}
TEST_PLAN = Path(__file__).parent / "data" / "plans" / "plan_test_lozere.yaml"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", " ".join(visible_text(html)))


@pytest.fixture(scope="module")
def allier_pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("copil") / "copil"
    result = runner.invoke(app, ["copil", "--plan", "allier-sdaasp-2018-2023", "--review",
                                 "2019-07-10", "--out", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "copil.html, copil.pdf" in result.output
    return out


def test_allier_pack_html(allier_pack: Path) -> None:
    text = _text((allier_pack / "copil.html").read_text(encoding="utf-8"))
    assert "Comité de pilotage du 10 juillet 2019" in text
    # 29 sous-orientations, 2 with a level (both non initié), 104 facts (README counts)
    assert ("29 actions au niveau le plus fin du plan (sous-orientation), dont 2 avec un "
            "niveau") in text
    assert "104 faits rapportés" in text
    assert "27 actions sur 29 n'ont pas de niveau pour cette revue" in text
    assert "11 MSAP existantes (pas d'évolution en 2018)" in text  # a fact of 1.1.1
    assert "Refonte de la carte collaborative des services" in text  # 2019 programme
    assert "Programme de travail adopté le 10 juillet 2019" in text
    assert "Rappel : programme du 22 juin 2018" in text
    assert "12 bases (10 juillet 2019) ; cible 17 bases" in text  # 3.2.2, declared
    assert "Aucun diagnostic enregistré n'a été donné" in text
    # labels, not codes, for what computed indicators read
    assert "population à plus de 30 min, France Services" in text
    assert english_sentences(text) == []


def test_allier_pack_pdf_has_page_numbers_and_contents(allier_pack: Path) -> None:
    from weasyprint import HTML

    pdf = (allier_pack / "copil.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    document = HTML(string=(allier_pack / "copil.html").read_text(encoding="utf-8")).render()
    n = len(document.pages)
    assert n >= 5

    def texts(page) -> list[str]:
        return [d.text for d in page._page_box.descendants() if isinstance(
            getattr(d, "text", None), str)]

    first = texts(document.pages[0])
    assert f"Page 1 sur {n}" in first
    assert f"Page {n} sur {n}" in texts(document.pages[-1])
    # the contents list the page of each section, in order, within the document
    pages = [int(t) for t in first if t.strip().isdigit()]
    assert len(pages) == 9 and pages == sorted(pages) and pages[0] >= 1 and pages[-1] <= n


@pytest.fixture(scope="module")
def two_runs(demo_result, tmp_path_factory) -> tuple[Path, Path]:
    """The demo saved twice: as is, and with half of Lozère's France Services closed."""
    from proximite.outputs import write_outputs
    from proximite.pipeline import diagnose, load_inputs

    inputs = load_inputs(settings=STAND_IN_DEMO)
    services = inputs.services
    in_lozere = services.index[(services["category"] == "france_services")
                               & services["code_insee"].astype(str).str.startswith("48")]
    closed = in_lozere[::2]
    fewer = dataclasses.replace(inputs, services=services.drop(index=closed))
    later = diagnose(fewer, STAND_IN_DEMO)
    base = tmp_path_factory.mktemp("runs")
    write_outputs(demo_result, base / "diag-2024", report=False)
    write_outputs(later, base / "diag-2025", report=False)
    return base / "diag-2024", base / "diag-2025"


def test_computed_indicator_trend_between_two_saved_runs(demo_result, two_runs,
                                                         tmp_path) -> None:
    from proximite.io.plans import read_plan
    from proximite.plans.progress import computed_value, trend, with_computed
    from proximite.saved import load_diagnostic

    first, second = (load_diagnostic(p) for p in two_runs)
    plan = read_plan(TEST_PLAN)
    assert with_computed(plan, [("2024", first.indicators), ("2025", second.indicators)]) == []
    lieux = plan.indicators["fs-lieux"]
    n_before = computed_value(demo_result.indicators, lieux.query)
    # France Services located in the Lozère in the demo: 20 in the inventory, of which one
    # (fs:3255, the MSA's itinerant France Services) is no permanent site and not counted
    assert n_before == 19
    closed = 9  # every second of the 20 closed: 10, of which 9 permanent sites
    assert [o.value for o in lieux.observed] == [19.0, 19.0 - closed]
    assert trend(lieux).direction == "en baisse" and trend(lieux).favourable is False
    median = trend(plan.indicators["fs-median"])
    assert median.delta is not None and median.delta > 0  # farther once half are closed

    out = tmp_path / "pack"
    result = runner.invoke(app, [
        "copil", "--plan", str(TEST_PLAN), "--review", "2025-01-15", "--run",
        f"2024={two_runs[0]}", "--run", f"2025={two_runs[1]}", "--out", str(out),
        "--sans-pdf"], env=WIDE)
    assert result.exit_code == 0, result.output
    text = _text((out / "copil.html").read_text(encoding="utf-8"))
    assert (f"{19 - closed} lieux (diagnostic « 2025 »), en baisse de −{closed} lieux "
            "depuis le diagnostic « 2024 » (défavorable)") in text
    assert "Temps médian d'accès à une France Services (calculé : temps médian, France " \
           "Services)" in text
    assert "55 personnes (15 janvier 2025), en hausse de +25 personnes depuis le 15 " \
           "janvier 2024 (favorable) ; cible 100 personnes non atteinte" in text
    assert "Progression pondérée : 50,0 %" in text
    assert "Revue précédente : 15 janvier 2024. 3 actions ont changé" in text
    assert "Cartes du dernier diagnostic (2025)" in text
    assert "Ouvrir une France Services à Langogne." in text
    assert not (out / "copil.pdf").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--review", "2019-07-11"], "aucune revue datée du 2019-07-11 dans ce plan (revues : "
                                 "2019-07-10)"),
    (["--review", "10/07/2019"], "--review 10/07/2019 : date invalide"),
])
def test_bad_review_is_one_french_line(args, message, tmp_path) -> None:
    result = runner.invoke(app, ["copil", "--plan", "allier-sdaasp-2018-2023", *args,
                                 "--out", str(tmp_path / "x")], env=WIDE)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_plan_names_the_shipped_ones(tmp_path) -> None:
    result = runner.invoke(app, ["copil", "--plan", "allier", "--review", "2019-07-10",
                                 "--out", str(tmp_path / "x")], env=WIDE)
    assert result.exit_code == 2
    assert "allier: fichier introuvable" in result.output
    assert "allier-sdaasp-2018-2023" in result.output


def test_review_dates_are_dates() -> None:
    from proximite.io.plans import read_plan

    assert list(read_plan(TEST_PLAN).reviews) == [dt.date(2024, 1, 15), dt.date(2025, 1, 15)]


def test_pack_from_the_store_shows_reviews_entered_there(tmp_path) -> None:
    """`suivi importer`, an evaluation entered in the store, `copil --depuis-base`, then
    `suivi exporter` gives back a file holding the new evaluation."""
    from proximite.io.plans import read_plan
    from proximite.plans.edit import record_evaluation
    from proximite.plans.model import Evaluation
    from proximite.store.db import make_engine, session_factory, transaction
    from proximite.store.plans import load_plan, save_plan

    url = f"sqlite:///{tmp_path / 'base.sqlite'}"
    assert runner.invoke(app, ["store", "upgrade", "--database-url", url]).exit_code == 0
    result = runner.invoke(app, ["suivi", "importer", "--plan", str(TEST_PLAN),
                                 "--database-url", url], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Plan « plan-test-lozere » enregistré : 5 éléments, 2 revue(s)" in result.output
    again = runner.invoke(app, ["suivi", "importer", "--plan", str(TEST_PLAN),
                                "--database-url", url], env=WIDE)
    assert again.exit_code == 2 and "déjà en base" in again.output

    factory = session_factory(make_engine(url))
    with transaction(factory) as session:
        plan, version = load_plan(session, "plan-test-lozere")
        change = record_evaluation(plan, dt.date(2026, 1, 20), Evaluation(
            "2.1", "initie", ("Deux lieux ouverts",), who="Chargée de mission"),
            at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
        save_plan(session, plan, expected_version=version, changes=[change])

    result = runner.invoke(app, [
        "suivi", "programme", "--plan", "plan-test-lozere", "--database-url", url,
        "--date", "2026-01-20", "--action", "Ouvrir deux lieux de médiation",
        "--action", "Former 40 secrétaires de mairie", "--auteur", "Chargée de mission"],
        env=WIDE)
    assert result.exit_code == 0, result.output
    empty = runner.invoke(app, ["suivi", "programme", "--plan", "plan-test-lozere",
                                "--database-url", url, "--date", "2026-01-20", "--action",
                                " ", "--auteur", "x"], env=WIDE)
    assert empty.exit_code == 2 and "programme de travail vide" in empty.output

    out = tmp_path / "pack"
    result = runner.invoke(app, ["copil", "--plan", "plan-test-lozere", "--depuis-base",
                                 "--database-url", url, "--review", "2026-01-20", "--out",
                                 str(out), "--sans-pdf"], env=WIDE)
    assert result.exit_code == 0, result.output
    text = _text((out / "copil.html").read_text(encoding="utf-8"))
    assert "Comité de pilotage du 20 janvier 2026" in text
    assert "Deux lieux ouverts" in text and "Saisi par : Chargée de mission" in text
    assert ("Programme de travail adopté le 20 janvier 2026 : Ouvrir deux lieux de "
            "médiation Former 40 secrétaires de mairie") in text
    assert "Rappel : programme du 15 janvier 2025 Ouvrir une France Services à Langogne." \
        in text

    exported = tmp_path / "export.yaml"
    result = runner.invoke(app, ["suivi", "exporter", "--plan", "plan-test-lozere",
                                 "--database-url", url, "--out", str(exported)], env=WIDE)
    assert result.exit_code == 0, result.output
    reread = read_plan(exported)
    assert reread.reviews[dt.date(2026, 1, 20)].entries["2.1"].facts == ("Deux lieux ouverts",)
    history = runner.invoke(app, ["suivi", "historique", "--plan", "plan-test-lozere",
                                  "--database-url", url], env=WIDE)
    assert "Chargée de mission — évaluation « 2.1 »" in history.output
