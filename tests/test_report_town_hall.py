"""The report says which services are placed at their town hall, by category."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd

from proximite.catalogue import load_catalogue
from proximite.report.blocks import Para, Table
from proximite.report.provenance import at_town_hall


def _result(rows: list[tuple[str, str, str]]) -> Any:
    services = pd.DataFrame(rows, columns=["category", "location_precision", "source"])
    return SimpleNamespace(services=services, catalogue=load_catalogue())


def test_town_hall_services_by_category_with_labels_and_counts() -> None:
    bpe = "INSEE BPE 2013 (par commune)"
    rows = ([("boulangerie", "commune", bpe)] * 3 + [("pharmacie", "commune", bpe)]
            + [("pharmacie", "exact", "FINESS")] * 2 + [("gare", "exact", "SNCF")])
    blocks = at_town_hall(_result(rows))
    para, table = blocks
    assert isinstance(para, Para) and isinstance(table, Table)
    assert "4 des 7 services retenus ne sont connus que par leur commune" in para.text
    assert "(source « INSEE BPE 2013 (par commune) ») : ils sont placés à la mairie" \
        in para.text
    assert "temps jusqu'à la mairie" in para.text
    labels = load_catalogue().categories
    assert table.rows == [[labels["boulangerie"].label, "3", "3"],
                          [labels["pharmacie"].label, "1", "3"]]
    assert labels["boulangerie"].label != "boulangerie"  # a name, not the code


def test_no_town_hall_service_is_said_too() -> None:
    (para,) = at_town_hall(_result([("gare", "exact", "SNCF")]))
    assert isinstance(para, Para) and "aucun n'est placé à la mairie" in para.text
