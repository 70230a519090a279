"""Reading layers by kind, with only the columns a scan needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from kansenkaart.errors import DataSourceError
from kansenkaart.io.parquet import write_canonical_parquet
from kansenkaart.sources.read import read_buildings
from kansenkaart.synth import generate_province

AMSTERDAM = "amsterdam_BU03638600_bag_panden.gpkg"


def test_outline_only_from_a_bag_geopackage(data_dir: Path) -> None:
    full = read_buildings(data_dir / AMSTERDAM)
    outline = read_buildings(data_dir / AMSTERDAM, columns=[])
    assert list(outline.columns) == ["building_id", "geometry"]
    assert outline["building_id"].tolist() == full["building_id"].tolist()
    assert shapely.equals(outline.geometry.values, full.geometry.values).all()


def test_outline_only_from_geoparquet(tmp_path: Path) -> None:
    buildings = generate_province(200, seed=3).buildings
    path = write_canonical_parquet(buildings, tmp_path / "b.parquet")
    outline = read_buildings(path, columns=[])
    assert list(outline.columns) == ["building_id", "geometry"]
    assert outline.attrs["kind"] == "buildings"
    assert shapely.equals(outline.geometry.values, buildings.geometry.values).all()
    some = read_buildings(path, columns=["year_built"])
    assert list(some.columns) == ["building_id", "year_built", "geometry"]


def test_wrong_kind_of_geoparquet_is_refused(tmp_path: Path) -> None:
    parcels = generate_province(100, seed=3).parcels
    path = write_canonical_parquet(parcels, tmp_path / "p.parquet")
    with pytest.raises(DataSourceError, match="expected a buildings layer"):
        read_buildings(path, columns=[])
