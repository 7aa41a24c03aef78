"""The store from the command line: import an inventory, correct it, run the diagnostic
on the store's inventory (the one end-to-end check of `--services-store`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select
from typer.testing import CliRunner

from proximite.cli import app
from proximite.store.db import make_engine, session_factory
from proximite.store.models import Place, User
from proximite.store.moderation import decide, propose
from proximite.store.validation import ProposalChecks, validate_proposal

HOURS = "Mo-Fr 08:30-12:00"


def test_import_correct_and_diagnose_from_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    runner = CliRunner()
    env = {"PROXIMITE_STORE__DATABASE_URL": url, "PROXIMITE_DEMO__NETWORK": "stand-in"}
    missing = runner.invoke(app, ["diagnostic", "--services-store", "--out",
                                  str(tmp_path / "x")], env=env)
    assert missing.exit_code == 2 and "pas à jour : lancer `proximite store upgrade`" in (
        missing.output)
    assert runner.invoke(app, ["store", "upgrade"], env=env).exit_code == 0
    imported = runner.invoke(app, ["store", "import"], env=env)
    assert imported.exit_code == 0, imported.output
    assert "447 ligne(s) lue(s) : 447 lieu(x) ajouté(s)" in imported.output

    factory = session_factory(make_engine(url))
    with factory.begin() as session:
        place = session.scalars(select(Place).where(Place.service_id == "laposte:08870A")
                                ).one()
        checks = ProposalChecks(categories={place.category: ""}, locate=lambda x, y: "48095")
        proposal = validate_proposal({"opening_hours": HOURS}, checks,
                                     current=place.values())
        contribution, _ = propose(session, proposal, place=place, author=None)
        moderator = User(email="m@cd48.fr", display_name="M", password_hash="x",
                         role="admin")
        session.add(moderator)
        session.flush()
        decide(session, contribution, moderator=moderator, accept=True,
               expected_version=contribution.version)
        cid = contribution.id

    out = tmp_path / "diag"
    ran = runner.invoke(app, ["diagnostic", "--services-store", "--no-report",
                              "--no-analysis", "--out", str(out)], env=env)
    assert ran.exit_code == 0, ran.output
    services = pd.read_csv(out / "services.csv", dtype=str, keep_default_na=False)
    row = services.set_index("service_id").loc["laposte:08870A"]
    assert row["opening_hours"] == HOURS
    assert row["source"].startswith("contribution | La Poste")
    assert row["source_id"] == f"contribution:{cid} | 08870A"
    assert len(services) == 447
