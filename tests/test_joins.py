"""Tables joined by id report their match rate; mismatched forms are never silent."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from kansenkaart.errors import SchemaError
from kansenkaart.joins import JoinWarning, check_joins
from kansenkaart.sources.layers import Layers

CANDIDATES = pd.DataFrame(
    index=pd.Index([f"ASD02-A-{i}" for i in range(10)], name="candidate_id")
)


def _layers(ids: list[str]) -> Layers:
    table = pd.DataFrame({"parcel_id": ids, "owner_class": "gemeente"})
    return Layers({"ownership": table}, kinds={"ownership": "table"})


def test_full_match_is_recorded() -> None:
    report = check_joins(CANDIDATES, _layers(list(CANDIDATES.index)))
    assert report["ownership"] == {
        "id_column": "parcel_id",
        "rows": 10,
        "candidates": 10,
        "matched": 10,
        "match_rate": 1.0,
    }


def test_other_id_form_warns_naming_both_forms() -> None:
    ids = ["ASD02-A-0", "ASD02-A-1"] + [f"NL.IMKAD.{i}" for i in range(8)]
    with pytest.warns(JoinWarning) as record:
        report = check_joins(CANDIDATES, _layers(ids))
    message = str(record[0].message)
    assert "only 2 of 10 candidates (20 %)" in message
    assert "'NL.IMKAD." in message or "'ASD02-A-0'" in message
    assert "'ASD02-A-0'" in message
    assert report["ownership"]["matched"] == 2


def test_same_form_of_a_larger_area_only_logs() -> None:
    ids = ["ASD02-A-0", "ASD02-A-1"] + [f"ASD02-B-{i}" for i in range(20)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_joins(CANDIDATES, _layers(ids))
    assert report["ownership"]["matched"] == 2


def test_no_match_is_an_error_naming_both_forms() -> None:
    with pytest.raises(SchemaError, match=r"'0363-A-1'.*'ASD02-A-0'"):
        check_joins(CANDIDATES, _layers(["0363-A-1", "0363-A-2"]))


def test_tables_without_an_id_column_are_left_alone() -> None:
    layers = Layers(
        {"tarieven": pd.DataFrame({"code": ["x"]})}, kinds={"tarieven": "table"}
    )
    assert check_joins(CANDIDATES, layers) == {}
