"""Tests for kansenkaart.synth: determinism, tiling, buildings, zoning, schemas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from kansenkaart.errors import ConfigError
from kansenkaart.model.schema import BUILDINGS, PARCELS, ZONING
from kansenkaart.synth import OWNER_CLASSES, generate_province, write_province

N = 3000


@pytest.fixture(scope="module")
def province():
    return generate_province(N, seed=7)


def test_exact_parcel_count_and_crs(province):
    assert len(province.parcels) == N
    for gdf in (province.parcels, province.buildings, province.zoning):
        assert gdf.crs.to_epsg() == 28992
        assert isinstance(gdf.index, pd.RangeIndex)
    xmin, ymin, xmax, ymax = province.parcels.total_bounds
    assert xmin >= 80_000 and xmax < 120_000
    assert ymin >= 430_000 and ymax < 480_000


def test_same_seed_same_frames(province):
    again = generate_province(N, seed=7)
    for name in ("parcels", "buildings", "zoning"):
        pd.testing.assert_frame_equal(getattr(province, name), getattr(again, name))
    pd.testing.assert_frame_equal(province.ownership, again.ownership)
    pd.testing.assert_frame_equal(province.vacancy, again.vacancy)
    other = generate_province(N, seed=8)
    assert not province.parcels.geometry.equals(other.parcels.geometry)


def test_same_seed_byte_identical_parquet(tmp_path):
    a = write_province(generate_province(400, seed=3), tmp_path / "a")
    b = write_province(generate_province(400, seed=3), tmp_path / "b")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_parcels_tile_space(province):
    geoms = province.parcels.geometry.values[:800]
    assert shapely.is_valid(geoms).all()
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    # No overlaps: neighbours touch, their intersections have no area.
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    inter = shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])
    assert shapely.area(inter).max() < 1e-6
    # No gaps: the whole province is one polygon without holes.
    full = shapely.union_all(province.parcels.geometry.values)
    assert full.geom_type == "Polygon"
    assert len(full.interiors) == 0


def test_parcel_areas_and_ids(province):
    p = province.parcels
    area = shapely.area(p.geometry.values)
    assert area.min() >= 100
    assert area.max() <= 2000
    assert area.std() > 100  # irregular, not one size
    np.testing.assert_allclose(p["area_m2"].to_numpy(float), area, atol=0.01)
    assert p["parcel_id"].is_unique
    assert p["parcel_id"].str.fullmatch(r"SYN\d{2,}-[A-Y]-\d+").all()


def test_buildings_on_parcels_with_crossing_share():
    prov = generate_province(2000, seed=1, crossing_share=0.1)
    b, p = prov.buildings, prov.parcels
    tree = shapely.STRtree(p.geometry.values)
    bi, _ = tree.query(b.geometry.values, predicate="intersects")
    hits = np.bincount(bi, minlength=len(b))
    assert (hits >= 1).all()
    bi, _ = tree.query(b.geometry.values, predicate="overlaps")
    crossing = np.bincount(bi, minlength=len(b)) >= 2
    assert crossing.mean() == pytest.approx(0.1, abs=0.02)
    # A building's lower-left corner lies on the parcel it belongs to.
    bounds = shapely.bounds(b.geometry.values)
    corner = shapely.points(bounds[:, 0] + 0.01, bounds[:, 1] + 0.01)
    owner = tree.query(corner, predicate="within")[1]
    per_parcel = np.bincount(owner, minlength=len(p))
    assert per_parcel.max() <= 3
    assert (per_parcel == 0).any()


def test_building_ids_and_attributes(province):
    b = province.buildings
    ids = b["building_id"]
    assert ids.is_unique
    assert (ids.str.len() == 16).all()
    assert ids.str.fullmatch(r"\d{4}10\d{10}").all()
    assert ids.str.startswith("0").any()  # leading zeros kept
    assert b["use_residential"].mean() > 0.4
    uses = b[[c for c in b.columns if c.startswith("use_")]].astype(bool)
    assert (uses.sum(axis=1) >= 2).any()  # some mixed use
    assert b["year_built"].isna().any()
    assert b["status"].isin(["Pand gesloopt", "Sloopvergunning verleend"]).any()
    assert b["status"].eq("Pand in gebruik").mean() > 0.85
    assert (b["floor_area_m2"].dropna() > 0).all()


def test_schema_dtypes(province):
    for gdf, schema in (
        (province.parcels, PARCELS),
        (province.buildings, BUILDINGS),
        (province.zoning, ZONING),
    ):
        assert list(gdf.columns) == schema.columns
        for col, dtype in schema.dtypes.items():
            assert str(gdf[col].dtype) == dtype, col


def test_zoning_blocks(province):
    z, p = province.zoning, province.parcels
    centroids = gpd.GeoDataFrame(geometry=p.centroid, crs=p.crs)
    joined = gpd.sjoin(centroids, z, predicate="within")
    assert joined.index.is_unique  # each parcel in exactly one zone
    counts = joined.groupby("index_right").size().reindex(z.index, fill_value=0)
    assert counts.min() >= 20
    assert counts.max() <= 200
    assert (z["object_type"] == "Enkelbestemming").all()
    assert z["main_group"].nunique() >= 5
    assert z[["plan_id", "plan_name", "plan_status", "plan_date"]].notna().all().all()
    # Some parcels lie across zone borders.
    crossing = gpd.sjoin(p, z, predicate="overlaps").index.unique()
    assert 0 < len(crossing) < 0.3 * len(p)


def test_context_tables(province):
    own, vac = province.ownership, province.vacancy
    assert list(own.columns) == ["parcel_id", "owner_class"]
    assert len(own) == N
    assert set(own["owner_class"]) <= set(OWNER_CLASSES)
    assert list(vac.columns) == ["building_id", "vacant_since"]
    assert vac["vacant_since"].dtype.kind == "M"
    assert vac["building_id"].isin(province.buildings["building_id"]).all()
    bare = generate_province(50, seed=7, with_ownership=False, with_vacancy=False)
    assert bare.ownership is None
    assert bare.vacancy is None


def test_write_province_gpkg_and_overwrite(tmp_path):
    prov = generate_province(300, seed=2)
    files = write_province(prov, tmp_path, format="gpkg")
    assert {p.name for p in files.values()} == {
        "parcels.gpkg",
        "buildings.gpkg",
        "zoning.gpkg",
        "ownership.csv",
        "vacancy.csv",
    }
    back = gpd.read_file(files["buildings"])
    assert back["building_id"].iloc[0] == prov.buildings["building_id"].iloc[0]
    with pytest.raises(ConfigError, match="overwrite"):
        write_province(prov, tmp_path, format="gpkg")
    write_province(prov, tmp_path, format="gpkg", overwrite=True)


@pytest.mark.parametrize(
    "kwargs",
    [{"n_parcels": 0}, {"n_parcels": 10, "crossing_share": 2.0}],
)
def test_bad_arguments(kwargs):
    n = kwargs.pop("n_parcels")
    with pytest.raises(ConfigError):
        generate_province(n, **kwargs)


@pytest.mark.parametrize("n", [1, 7, 45, 101])
def test_tiny_provinces(n):
    prov = generate_province(n, seed=5)
    assert len(prov.parcels) == n
    assert prov.parcels["parcel_id"].is_unique
