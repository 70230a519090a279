"""One privacy vocabulary: the reader, the scan file and the map agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kansenkaart.errors import ConfigError
from kansenkaart.io.ownership import read_ownership
from kansenkaart.model.privacy import (
    OWNER_CLASSES,
    OWNER_LABELS,
    OWNER_UNKNOWN,
    map_owner_classes,
    may_hold_person_data,
)
from kansenkaart.render._privacy import check_map_fields

#: Column names as they occur in BRK extracts and municipal spreadsheets.
PERSONAL = [
    "naam",
    "Naam eigenaar",
    "eigenaar_naam",
    "owner_name",
    "voorletters",
    "geboortedatum",
    "BSN",
    "adres",
    "postadres",
    "email",
    "telefoonnummer",
    "tenaamstelling",
    "gerechtigde",
]
NOT_PERSONAL = ["owner_class", "eigenaar_type", "eigenaarklasse", "area_m2", "status"]


def test_every_owner_class_reaches_the_map_as_itself() -> None:
    shown = map_owner_classes(pd.Series(OWNER_CLASSES)).tolist()
    assert shown == list(OWNER_CLASSES)


def test_the_reader_produces_only_classes_the_map_shows() -> None:
    assert set(OWNER_LABELS.values()) <= set(OWNER_CLASSES)
    shown = set(map_owner_classes(pd.Series(list(OWNER_LABELS.values()))))
    assert shown <= set(OWNER_CLASSES)


def test_labels_outside_the_vocabulary_are_hidden() -> None:
    values = pd.Series(["Gemeente", "J. Jansen", None, "woningcorporatie"])
    assert map_owner_classes(values).tolist() == [
        "gemeente",
        "overig",
        OWNER_UNKNOWN,
        "overig",
    ]


@pytest.mark.parametrize("column", PERSONAL)
def test_personal_columns_are_dropped_by_the_reader_and_refused_by_the_map(
    column: str, tmp_path: Path
) -> None:
    assert may_hold_person_data(column)
    table = tmp_path / "eigendom.csv"
    table.write_text(
        f"perceel;eigenaarklasse;{column}\nSTN02 D 1;Gemeente;Geheim Persoonsgegeven\n",
        encoding="utf-8",
    )
    out = read_ownership(table)
    assert column not in out.columns
    assert "Geheim" not in out.to_csv()
    with pytest.raises(ConfigError, match="person"):
        check_map_fields([column], pd.Index([column]))


@pytest.mark.parametrize("column", NOT_PERSONAL)
def test_class_and_measure_columns_pass(column: str) -> None:
    assert not may_hold_person_data(column)
    assert check_map_fields([column], pd.Index([column])) == [column]
