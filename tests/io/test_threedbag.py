"""Tests for the 3DBAG readers (Katwijk-Valkenburg tile 8-296-632)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io.threedbag import read_3dbag_cityjson, read_3dbag_gpkg
from kansenkaart.model.schema import BAG_USE_COLUMNS, BUILDINGS

GPKG = "katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg"
CITYJSON = "3dbag_v20250903_tile_8-296-632.city.json.gz"
USE_COLUMNS = list(BAG_USE_COLUMNS.values())


@pytest.fixture(scope="module")
def from_gpkg(data_dir: Path) -> gpd.GeoDataFrame:
    return read_3dbag_gpkg(data_dir / GPKG)


@pytest.fixture(scope="module")
def from_cityjson(test_data_dir: Path) -> gpd.GeoDataFrame:
    return read_3dbag_cityjson(test_data_dir / CITYJSON)


def test_gpkg_tile(from_gpkg: gpd.GeoDataFrame) -> None:
    assert len(from_gpkg) == 1146
    assert list(from_gpkg.columns) == BUILDINGS.columns
    assert from_gpkg.crs.to_epsg() == 28992
    ids = from_gpkg["building_id"]
    assert ids.dtype == "string"
    assert (ids.str.len() == 16).all()
    assert not ids.str.contains("NL.IMBAG", regex=False).any()
    assert ids.str.startswith("0537").all()
    assert from_gpkg["year_built"].min() == 1910
    assert from_gpkg["year_built"].max() == 2025
    assert from_gpkg["height_m"].notna().all()
    assert from_gpkg["storeys"].dtype == "Int64"
    assert (from_gpkg["source"] == "3dbag").all()
    # 3DBAG has no verblijfsobjecten: uses unknown (null), not False
    assert from_gpkg[USE_COLUMNS].isna().all().all()
    assert from_gpkg["n_units"].isna().all()


def test_gpkg_known_pand(from_gpkg: gpd.GeoDataFrame) -> None:
    pand = from_gpkg.set_index("building_id").loc["0537100000000083"]
    assert pand["year_built"] == 1973
    assert pand["storeys"] == 3
    assert pand["status"] == "Pand in gebruik"
    assert pand["height_m"] == pytest.approx(8.504 - 0.412)
    assert pand.geometry.area == pytest.approx(354.18, rel=0.01)  # b3_opp_grond


def test_cityjson_matches_gpkg(
    from_gpkg: gpd.GeoDataFrame, from_cityjson: gpd.GeoDataFrame
) -> None:
    assert len(from_cityjson) == 1146
    assert list(from_cityjson.columns) == BUILDINGS.columns
    assert from_cityjson.crs.to_epsg() == 28992
    a = from_gpkg.set_index("building_id").sort_index()
    b = from_cityjson.set_index("building_id").sort_index()
    assert a.index.equals(b.index)
    assert a["year_built"].equals(b["year_built"])
    assert a["storeys"].equals(b["storeys"])
    assert a["status"].equals(b["status"])
    assert (a["height_m"] - b["height_m"]).abs().max() < 1e-6
    ratio = b.geometry.area / a.geometry.area
    assert ((ratio - 1).abs() < 0.01).all()
    assert not shapely.has_z(b.geometry.values).any()


def test_cityjson_hole_is_kept(from_cityjson: gpd.GeoDataFrame) -> None:
    holes = shapely.get_num_interior_rings(from_cityjson.geometry.values)
    assert (holes == 1).sum() == 1


def test_cityjson_uncompressed(test_data_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "tile.city.json"
    with gzip.open(test_data_dir / CITYJSON, "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    assert len(read_3dbag_cityjson(plain)) == 1146


def test_not_cityjson(tmp_path: Path) -> None:
    path = tmp_path / "x.city.json"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(DataSourceError, match="not a CityJSON"):
        read_3dbag_cityjson(path)


def test_official_layout_reads_pand_layer(data_dir: Path, tmp_path: Path) -> None:
    raw = gpd.read_file(data_dir / GPKG, max_features=10)
    path = tmp_path / "3dbag_official.gpkg"
    raw[["identificatie", "geometry"]].to_file(path, layer="lod22_2d")
    raw.to_file(path, layer="pand")
    result = read_3dbag_gpkg(path)
    assert len(result) == 10
    assert result["storeys"].notna().any()


def test_ambiguous_layers(data_dir: Path, tmp_path: Path) -> None:
    raw = gpd.read_file(data_dir / GPKG, max_features=3)
    path = tmp_path / "two.gpkg"
    raw.to_file(path, layer="lod12_2d")
    raw.to_file(path, layer="lod22_2d")
    with pytest.raises(DataSourceError, match="lod12_2d, lod22_2d"):
        read_3dbag_gpkg(path)
    assert len(read_3dbag_gpkg(path, layer="lod22_2d")) == 3


def test_missing_column(data_dir: Path, tmp_path: Path) -> None:
    raw = gpd.read_file(data_dir / GPKG, max_features=3).drop(columns="b3_h_dak_70p")
    path = tmp_path / "panden.gpkg"
    raw.to_file(path, layer="panden")
    with pytest.raises(SchemaError, match="'b3_h_dak_70p'") as err:
        read_3dbag_gpkg(path)
    assert "Columns found: identificatie, oorspronkelijkbouwjaar" in str(err.value)
