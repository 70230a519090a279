"""Tests for kansenkaart.io.parquet."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from kansenkaart.errors import CRSError, DataSourceError, GeometryError, SchemaError
from kansenkaart.io.parquet import (
    KIND_KEY,
    detect_kind,
    read_canonical_parquet,
    write_canonical_parquet,
)
from kansenkaart.synth import generate_province


@pytest.fixture(scope="module")
def province():
    return generate_province(300, seed=11)


@pytest.mark.parametrize("kind", ["parcels", "buildings", "zoning"])
def test_round_trip(tmp_path, province, kind):
    gdf = getattr(province, kind)
    path = write_canonical_parquet(gdf, tmp_path / f"{kind}.parquet")
    assert pq.read_schema(path).metadata[KIND_KEY] == kind.encode()
    assert detect_kind(path) == kind
    back = read_canonical_parquet(path)
    assert back.attrs["kind"] == kind
    back.attrs = {}
    pd.testing.assert_frame_equal(back, gdf)
    assert back.crs == gdf.crs
    assert not list(tmp_path.glob(".*tmp"))  # temp file renamed away


def test_columns_subset(tmp_path, province):
    path = write_canonical_parquet(province.buildings, tmp_path / "b.parquet")
    back = read_canonical_parquet(path, columns=["year_built"])
    assert list(back.columns) == ["building_id", "year_built", "geometry"]
    assert str(back["year_built"].dtype) == "Int64"


def test_plain_geopandas_file_read_by_columns(tmp_path, province):
    path = tmp_path / "plain.parquet"
    plain = province.parcels.astype({"area_m2": "float64"})
    plain = plain.drop(columns=["source"])
    plain.to_parquet(path)
    assert KIND_KEY not in (pq.read_schema(path).metadata or {})
    assert detect_kind(path) == "parcels"
    back = read_canonical_parquet(path)
    assert str(back["area_m2"].dtype) == "Float64"
    assert back["source"].isna().all()
    assert list(back.columns) == list(province.parcels.columns)


def test_foreign_file_validated_and_reprojected(tmp_path, province):
    gdf = province.parcels.head(5).to_crs(4326)
    bowtie = shapely.Polygon([(5, 52), (5.001, 52.001), (5.001, 52), (5, 52.001)])
    gdf.loc[gdf.index[0], "geometry"] = bowtie
    path = tmp_path / "foreign.parquet"
    gdf.to_parquet(path)
    with pytest.raises(GeometryError):
        read_canonical_parquet(path, on_invalid="raise")
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        back = read_canonical_parquet(path)
    assert back.crs.to_epsg() == 28992


def test_missing_crs_raises(tmp_path, province):
    path = tmp_path / "nocrs.parquet"
    province.zoning.set_crs(None, allow_override=True).to_parquet(path)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        read_canonical_parquet(path)
    with pytest.raises(CRSError):
        write_canonical_parquet(
            province.zoning.set_crs(None, allow_override=True), tmp_path / "x.parquet"
        )


def test_not_canonical_or_missing(tmp_path, province):
    path = tmp_path / "other.parquet"
    province.parcels.rename(columns={"parcel_id": "pid"}).to_parquet(path)
    with pytest.raises(SchemaError, match="parcel_id"):
        read_canonical_parquet(path)
    with pytest.raises(DataSourceError, match="not found"):
        read_canonical_parquet(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataSourceError):
        detect_kind(bad)


def test_trusted_file_checked_only_on_raise(tmp_path, province):
    gdf = province.parcels.head(3).copy()
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf.loc[gdf.index[0], "geometry"] = bowtie
    path = write_canonical_parquet(gdf, tmp_path / "p.parquet")
    assert len(read_canonical_parquet(path)) == 3  # trusted: no check
    with pytest.raises(GeometryError):
        read_canonical_parquet(path, on_invalid="raise")
