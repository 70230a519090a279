"""Tests for the BAG GeoPackage readers (bag-light.gpkg and the bag-light view)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from kansenkaart.errors import DataSourceError, KansenkaartWarning, SchemaError
from kansenkaart.io.bag import read_bag_gpkg, read_bag_light
from kansenkaart.io.detect import detect_format
from kansenkaart.model.schema import BAG_USE_COLUMNS, BUILDINGS

AMSTERDAM = "amsterdam_BU03638600_bag_panden.gpkg"
USE_COLUMNS = list(BAG_USE_COLUMNS.values())


@pytest.fixture(scope="module")
def amsterdam(data_dir: Path) -> gpd.GeoDataFrame:
    return read_bag_light(data_dir / AMSTERDAM)


def test_bag_light_is_canonical(amsterdam: gpd.GeoDataFrame) -> None:
    assert list(amsterdam.columns) == BUILDINGS.columns
    assert amsterdam.crs.to_epsg() == 28992
    assert amsterdam["building_id"].dtype == "string"
    assert (amsterdam["building_id"].str.len() == 16).all()
    assert amsterdam["building_id"].str.startswith("0363").all()
    assert (amsterdam["source"] == "bag-light").all()
    assert amsterdam["height_m"].isna().all()


def test_bag_light_amsterdam_uses(amsterdam: gpd.GeoDataFrame) -> None:
    assert len(amsterdam) == 464
    counts = amsterdam[USE_COLUMNS].sum()
    assert counts["use_office"] == 11
    assert counts["use_health"] == 4
    assert counts["use_residential"] == 276
    assert counts["use_other"] == 81
    assert counts["use_industry"] == 20
    assert counts["use_retail"] == 11
    assert counts["use_assembly"] == 8
    assert counts["use_education"] == 5
    assert counts["use_sport"] == 1
    assert counts["use_lodging"] == 0
    assert counts["use_cell"] == 0
    # no nulls: a pand without units has all uses False
    assert not amsterdam[USE_COLUMNS].isna().any().any()


def test_bag_light_panden_without_units(amsterdam: gpd.GeoDataFrame) -> None:
    empty = amsterdam[amsterdam["n_units"] == 0]
    assert len(empty) == 134
    assert not empty[USE_COLUMNS].any().any()
    assert empty["floor_area_m2"].isna().all()


def test_bag_light_floor_area_is_largest_unit(
    data_dir: Path, amsterdam: gpd.GeoDataFrame
) -> None:
    raw = gpd.read_file(data_dir / AMSTERDAM)
    first = amsterdam.set_index("building_id").loc["0363100012078919"]
    assert first["floor_area_m2"] == 106.0  # oppervlakte_max; min is 66
    assert first["n_units"] == 8
    assert first["year_built"] == 1959
    assert amsterdam["n_units"].sum() == raw["aantal_verblijfsobjecten"].sum()


def test_bag_light_missing_column(data_dir: Path, tmp_path: Path) -> None:
    raw = gpd.read_file(data_dir / AMSTERDAM).drop(columns="gebruiksdoel")
    path = tmp_path / "panden.gpkg"
    raw.to_file(path, layer="panden")
    with pytest.raises(SchemaError, match="'gebruiksdoel'") as err:
        read_bag_light(path)
    assert "Columns found: gid, identificatie, bouwjaar" in str(err.value)


def test_bag_light_year_9999_is_null(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "identificatie": ["0221100000312938", "0221100000311191"],
            "bouwjaar": [9999, 1992],
            "status": ["Pand in gebruik", "Pand gesloopt"],
            "gebruiksdoel": ["woonfunctie,kantoorfunctie", None],
            "oppervlakte_min": [10.0, None],
            "oppervlakte_max": [50.0, None],
            "aantal_verblijfsobjecten": [2, 1],
        },
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
        crs="EPSG:28992",
    )
    path = tmp_path / "light.gpkg"
    frame.to_file(path, layer="panden")
    result = read_bag_light(path)
    assert result["year_built"].isna().tolist() == [True, False]
    assert result.loc[0, "use_office"]
    assert result.loc[0, "use_residential"]
    assert not result.loc[0, "use_retail"]
    # units but no gebruiksdoel: unknown, not False
    assert result.loc[1, USE_COLUMNS].isna().all()
    assert result.loc[1, "status"] == "Pand gesloopt"


# -- bag-light.gpkg with layers pand + verblijfsobject, built here -----------------

PAND_A, PAND_B, PAND_C = "0001100000000001", "0001100000000002", "0001100000000003"


def _write_bag_gpkg(path: Path, *, drop_vbo_column: str | None = None) -> Path:
    """A tiny national BAG GeoPackage with the PDOK column names."""
    pand = gpd.GeoDataFrame(
        {
            "identificatie": [PAND_A, PAND_B, PAND_C],
            "rdf_seealso": ["http://bag.basisregistraties.overheid.nl/id/pand"] * 3,
            "bouwjaar": [1975, 9999, 2001],
            "status": [
                "Pand in gebruik",
                "Pand in gebruik",
                "Sloopvergunning verleend",
            ],
            "gebruiksdoel": ["", "", ""],
            "oppervlakte_min": [None, None, None],
            "oppervlakte_max": [None, None, None],
            "aantal_verblijfsobjecten": [3, 1, 0],
        },
        geometry=[box(0, 0, 20, 20), box(20, 0, 40, 20), box(50, 0, 60, 10)],
        crs="EPSG:28992",
    )
    vbo = gpd.GeoDataFrame(
        {
            "identificatie": [
                "0001010000000011",
                "0001010000000012",
                "0001010000000013",
                "0001010000000013",  # the same unit in a second pand
                "0001010000000014",
            ],
            "rdf_seealso": ["http://bag.basisregistraties.overheid.nl/x"] * 5,
            "openbare_ruimte_naam": ["Dorpsstraat"] * 5,
            "huisnummer": [1, 2, 3, 3, 4],
            "huisletter": [None] * 5,
            "toevoeging": [None] * 5,
            "postcode": ["1234AB"] * 5,
            "woonplaats_naam": ["Ergens"] * 5,
            "bouwjaar": [1975, 1975, 1975, 1975, 1975],
            "pand_identificatie": [PAND_A, PAND_A, PAND_A, PAND_B, PAND_B],
            "pandstatus": ["Pand in gebruik"] * 5,
            "oppervlakte": [80, 120, 300, 300, 999],
            "gebruiksdoel": [
                "woonfunctie",
                "kantoorfunctie,winkelfunctie",
                "gezondheidszorgfunctie",
                "gezondheidszorgfunctie",
                "industriefunctie",
            ],
            "status": [
                "Verblijfsobject in gebruik",
                "Verblijfsobject in gebruik",
                "Verblijfsobject in gebruik",
                "Verblijfsobject in gebruik",
                "Verblijfsobject ingetrokken",
            ],
        },
        geometry=[
            Point(5, 5),
            Point(10, 10),
            Point(20, 10),
            Point(20, 10),
            Point(30, 5),
        ],
        crs="EPSG:28992",
    )
    if drop_vbo_column:
        vbo = vbo.drop(columns=drop_vbo_column)
    pand.to_file(path, layer="pand")
    vbo.to_file(path, layer="verblijfsobject")
    return path


def test_bag_gpkg_aggregates_units(tmp_path: Path) -> None:
    path = _write_bag_gpkg(tmp_path / "bag-light.gpkg")
    assert detect_format(path).format == "bag-gpkg"
    result = read_bag_gpkg(path).set_index("building_id")
    assert list(result.index) == [PAND_A, PAND_B, PAND_C]
    a, b, c = (result.loc[i] for i in (PAND_A, PAND_B, PAND_C))
    assert a["n_units"] == 3
    assert a["floor_area_m2"] == 80 + 120 + 300
    assert a["use_residential"]
    assert a["use_office"]
    assert a["use_retail"]
    assert a["use_health"]
    assert not a["use_industry"]
    # the unit shared with A counts in B too; the withdrawn unit does not count
    assert b["n_units"] == 1
    assert b["floor_area_m2"] == 300
    assert b["use_health"]
    assert not b["use_industry"]
    assert pd.isna(b["year_built"])
    assert a["year_built"] == 1975
    # a pand without units: all uses False, no floor area
    assert c["n_units"] == 0
    assert not c[USE_COLUMNS].any()
    assert pd.isna(c["floor_area_m2"])
    assert c["status"] == "Sloopvergunning verleend"
    assert (result["source"] == "bag-gpkg").all()


def test_bag_gpkg_comma_separated_pand_refs(tmp_path: Path) -> None:
    path = tmp_path / "bag.gpkg"
    gpd.GeoDataFrame(
        {
            "identificatie": [PAND_A, PAND_B],
            "bouwjaar": [1990, 1991],
            "status": ["x", "y"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:28992",
    ).to_file(path, layer="pand")
    gpd.GeoDataFrame(
        {
            "identificatie": ["0001010000000011"],
            "pand_identificatie": [f"{PAND_A},{PAND_B}"],
            "gebruiksdoel": ["logiesfunctie, woonfunctie"],
            "oppervlakte": [40],
        },
        geometry=[Point(1, 0.5)],
        crs="EPSG:28992",
    ).to_file(path, layer="verblijfsobject")
    result = read_bag_gpkg(path)
    assert result["n_units"].tolist() == [1, 1]
    assert result["use_lodging"].all()
    assert result["use_residential"].all()
    assert result["floor_area_m2"].tolist() == [40.0, 40.0]


def test_bag_gpkg_missing_vbo_column(tmp_path: Path) -> None:
    path = _write_bag_gpkg(tmp_path / "bag.gpkg", drop_vbo_column="pand_identificatie")
    with pytest.raises(SchemaError, match="'pand_identificatie'") as err:
        read_bag_gpkg(path)
    message = str(err.value)
    assert "verblijfsobject" in message
    assert "Columns found: identificatie, rdf_seealso" in message


def test_bag_gpkg_missing_layer(tmp_path: Path) -> None:
    path = tmp_path / "only_pand.gpkg"
    gpd.GeoDataFrame(
        {"identificatie": [PAND_A], "bouwjaar": [1990], "status": ["Pand in gebruik"]},
        geometry=[box(0, 0, 1, 1)],
        crs="EPSG:28992",
    ).to_file(path, layer="pand")
    with pytest.raises(DataSourceError, match=r"'verblijfsobject'.*Layers found: pand"):
        read_bag_gpkg(path)


def test_bag_gpkg_unknown_use_warns(tmp_path: Path) -> None:
    path = tmp_path / "bag.gpkg"
    gpd.GeoDataFrame(
        {"identificatie": [PAND_A], "bouwjaar": [1990], "status": ["Pand in gebruik"]},
        geometry=[box(0, 0, 1, 1)],
        crs="EPSG:28992",
    ).to_file(path, layer="pand")
    gpd.GeoDataFrame(
        {
            "identificatie": ["0001010000000011"],
            "pand_identificatie": [PAND_A],
            "gebruiksdoel": ["woonfuncite"],
            "oppervlakte": [40],
        },
        geometry=[Point(0.5, 0.5)],
        crs="EPSG:28992",
    ).to_file(path, layer="verblijfsobject")
    with pytest.warns(KansenkaartWarning, match="'woonfuncite'"):
        result = read_bag_gpkg(path)
    assert not result.loc[0, USE_COLUMNS].any()
    assert result.loc[0, "n_units"] == 1
