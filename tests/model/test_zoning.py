"""Tests of combine_plans / zoning_summary: plans built in code, real Katwijk plans."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from kansenkaart.errors import ConfigError, GeometryError, KansenkaartWarning
from kansenkaart.io.imro import read_imro_gpkg
from kansenkaart.model.schema import ZONING
from kansenkaart.model.validate import to_canonical
from kansenkaart.model.zoning import combine_plans, plan_precedence, zoning_summary

OLD = "NL.IMRO.0001.oud-va01"  # onherroepelijk, 2010
NEW = "NL.IMRO.0001.nieuw-on01"  # ontwerp, 2024


def _plan(plan_id: str, status: str, date: str, x0: float) -> gpd.GeoDataFrame:
    """A 100 m x 100 m plan at x0 with two Enkelbestemmingen (left/right half)."""
    y0 = 400_000.0
    rows = [
        (
            "Bestemmingsplangebied",
            f"{plan_id}",
            None,
            shapely.box(x0, y0, x0 + 100, y0 + 100),
        ),
        (
            "Enkelbestemming",
            f"{plan_id}.E1",
            "wonen",
            shapely.box(x0, y0, x0 + 50, y0 + 100),
        ),
        (
            "Enkelbestemming",
            f"{plan_id}.E2",
            "groen",
            shapely.box(x0 + 50, y0, x0 + 100, y0 + 100),
        ),
        (
            "Bouwvlak",
            f"{plan_id}.B1",
            None,
            shapely.box(x0 + 60, y0 + 10, x0 + 70, y0 + 20),
        ),
    ]
    gdf = gpd.GeoDataFrame(
        {
            "object_type": [r[0] for r in rows],
            "object_id": [r[1] for r in rows],
            "main_group": [r[2] for r in rows],
            "plan_id": plan_id,
            "plan_name": plan_id.rsplit(".", maxsplit=1)[-1],
            "plan_status": status,
            "plan_date": date,
            "imro_version": "IMRO2012",
            "source": "test",
        },
        geometry=[r[3] for r in rows],
        crs=28992,
    )
    return to_canonical(gdf, ZONING)


@pytest.fixture
def old() -> gpd.GeoDataFrame:
    return _plan(OLD, "onherroepelijk", "2010-05-01", 100_000.0)


@pytest.fixture
def new() -> gpd.GeoDataFrame:
    # overlaps the right half (x 100050..100100) of the old plan: 50 m x 100 m
    return _plan(NEW, "ontwerp", "2024-01-01", 100_050.0)


def test_onherroepelijk_wins_over_newer_ontwerp(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame
) -> None:
    with pytest.warns(KansenkaartWarning, match=rf"{OLD}.*{NEW}.*5000\.0 m²"):
        zoning = combine_plans([new, old])
    conflicts = zoning.attrs["conflicts"]
    assert len(conflicts) == 1
    assert conflicts[0]["winner"] == OLD
    assert conflicts[0]["loser"] == NEW
    assert set(conflicts[0]["plans"]) == {OLD, NEW}
    assert conflicts[0]["overlap_m2"] == pytest.approx(5000.0)
    # the winner is untouched, nothing of the loser remains inside the winner's area
    winner_area = old.geometry.iloc[0]
    loser = zoning.loc[zoning["plan_id"] == NEW]
    assert (
        shapely.area(shapely.intersection(loser.geometry.values, winner_area)).max()
        < 1e-6
    )
    kept_old = zoning.loc[zoning["plan_id"] == OLD]
    assert kept_old.area.sum() == pytest.approx(old.area.sum())
    # loser: plan area halved, E1 (wholly in the overlap) gone, E2 and B1 untouched
    by_id = loser.set_index("object_id")
    assert by_id.loc[NEW, "geometry"].area == pytest.approx(5000.0)
    assert f"{NEW}.E1" not in by_id.index  # E1 lies wholly in the overlap
    assert by_id.loc[f"{NEW}.E2", "geometry"].area == pytest.approx(5000.0)
    assert by_id.loc[f"{NEW}.B1", "geometry"].area == pytest.approx(100.0)
    assert list(zoning.columns) == ZONING.columns


def test_result_does_not_depend_on_input_order(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame
) -> None:
    with pytest.warns(KansenkaartWarning):
        a = combine_plans([old, new])
    with pytest.warns(KansenkaartWarning):
        b = combine_plans([new, old])
    assert a.attrs["conflicts"] == b.attrs["conflicts"]
    key = ["object_id"]
    assert sorted(a["object_id"]) == sorted(b["object_id"])
    sa, sb = a.sort_values(key), b.sort_values(key)
    assert shapely.equals(sa.geometry.values, sb.geometry.values).all()


def test_newer_date_wins_between_equal_statuses() -> None:
    first = _plan("NL.IMRO.0001.a", "vastgesteld", "2015-01-01", 0.0)
    second = _plan("NL.IMRO.0001.b", "deels onherroepelijk", "2020-01-01", 50.0)
    order = plan_precedence(pd.concat([first, second], ignore_index=True))
    assert order.index.tolist() == ["NL.IMRO.0001.b", "NL.IMRO.0001.a"]
    with pytest.warns(KansenkaartWarning, match="newer plan_date"):
        zoning = combine_plans([first, second])
    assert zoning.attrs["conflicts"][0]["winner"] == "NL.IMRO.0001.b"


def test_keep_and_raise_modes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> None:
    with pytest.warns(KansenkaartWarning, match="kept unchanged"):
        kept = combine_plans([old, new], on_conflict="keep")
    assert len(kept) == len(old) + len(new)
    assert kept.attrs["conflicts"][0]["overlap_m2"] == pytest.approx(5000.0)
    with pytest.raises(GeometryError, match="overlap"):
        combine_plans([old, new], on_conflict="raise")
    with pytest.raises(ConfigError, match="more than one"):
        combine_plans([old, old])
    with pytest.raises(ConfigError):
        combine_plans([])


def test_touching_plans_are_no_conflict(old: gpd.GeoDataFrame) -> None:
    neighbour = _plan("NL.IMRO.0001.buur", "ontwerp", "2024-01-01", 100_100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoning = combine_plans([old, neighbour])
    assert zoning.attrs["conflicts"] == []
    assert len(zoning) == 8


def test_katwijk_plans_load_together(data_dir: Path) -> None:
    dorp = read_imro_gpkg(
        data_dir / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg"
    )
    horst = read_imro_gpkg(
        data_dir / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"
    )
    zoning = combine_plans([dorp, horst])
    # Valkenburg Dorp and Valkenhorst do not overlap (their plan areas are ~56 m apart)
    assert zoning.attrs["conflicts"] == []
    assert len(zoning) == len(dorp) + len(horst) == 1502 + 144
    areas = zoning.loc[zoning["object_type"] == "Bestemmingsplangebied"]
    assert areas.distance(areas.geometry.iloc[0]).iloc[1] == pytest.approx(
        56.0, abs=1.0
    )
    summary = zoning_summary(zoning)
    assert [s["plan_id"] for s in summary] == [
        "NL.IMRO.0537.bpVLKdorp-va02",
        "NL.IMRO.0537.bpVLKplv-VA01",
    ]
    assert summary[0]["plan_status"] == "onherroepelijk"
    assert summary[0]["plan_date"] == "2012-11-29"
    assert summary[0]["counts"]["Enkelbestemming"] == 418
    assert summary[0]["main_groups"]["wonen"] == 99
    assert summary[1]["counts"]["Enkelbestemming"] == 45
    assert summary[1]["main_groups"]["woongebied"] == 18
    assert summary[1]["plan_name"] == "Woongebied Valkenhorst"


def test_summary_of_plan_without_enkelbestemming(test_data_dir: Path) -> None:
    plan = read_imro_gpkg(
        test_data_dir / "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu.gpkg"
    )
    (summary,) = zoning_summary(plan)
    assert summary["main_groups"] == {}
    assert summary["counts"] == {
        "Bestemmingsplangebied": 1,
        "Dubbelbestemming": 1,
        "Gebiedsaanduiding": 6,
    }
    assert summary["plan_status"] == "ontwerp"
