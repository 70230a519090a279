"""Embedding basemap tiles: which tiles, within which budget, from which files."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer

from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.render.basemap import embed_basemap, tile_indices
from tests.render._tiles import WORLD, write_mbtiles

DAM = np.array([[4.8936, 52.3731]])  # Dam square, Amsterdam


@pytest.fixture(scope="module")
def lonlat(footprints: gpd.GeoDataFrame) -> np.ndarray:
    pts = footprints.geometry.representative_point().to_crs(4326)
    return np.column_stack([pts.x, pts.y])


@pytest.fixture(scope="module")
def mbtiles(footprints: gpd.GeoDataFrame, lonlat: np.ndarray, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bm") / "buurt.mbtiles"
    return write_mbtiles(path, footprints, None, lonlat, range(12, 18))


def test_tile_of_a_point_agrees_with_web_mercator() -> None:
    x_m, y_m = Transformer.from_crs(4326, 3857, always_xy=True).transform(*DAM[0])
    for zoom in (8, 15, 18):
        size = 2 * WORLD / 2**zoom
        expected = (int((x_m + WORLD) // size), int((WORLD - y_m) // size))
        assert tile_indices(DAM, zoom, ring=0) == {expected}
        assert len(tile_indices(DAM, zoom, ring=1)) == 9
    assert tile_indices(np.array([[0.0, 0.0]]), 1, ring=0) == {(1, 1)}
    assert tile_indices(np.array([[-180.0, 85.0]]), 2, ring=1) == {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }


def test_all_tiles_near_the_candidates_are_embedded(
    mbtiles: Path, lonlat: np.ndarray
) -> None:
    embedded = embed_basemap(mbtiles, lonlat, budget_mb=50)
    with sqlite3.connect(mbtiles) as db:
        rows = db.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
        )
        stored = {
            f"{z}/{x}/{2**z - 1 - r}": base64.b64encode(d).decode()
            for z, x, r, d in rows
        }
    assert embedded["tiles"] == stored
    assert (embedded["minzoom"], embedded["maxzoom"]) == (12, 17)
    assert embedded["format"] == "png"
    assert embedded["attribution"].startswith("Testachtergrond")


def test_only_tiles_around_the_candidates_are_taken(
    mbtiles: Path, lonlat: np.ndarray
) -> None:
    half = lonlat[lonlat[:, 0] < np.median(lonlat[:, 0])]
    embedded = embed_basemap(mbtiles, half, budget_mb=50)
    everything = embed_basemap(mbtiles, lonlat, budget_mb=50)
    assert set(embedded["tiles"]) < set(everything["tiles"])
    for key in embedded["tiles"]:
        z, x, y = map(int, key.split("/"))
        assert (x, y) in tile_indices(half, z)


def test_the_budget_keeps_the_coarse_zoom_levels(
    mbtiles: Path, lonlat: np.ndarray
) -> None:
    full = embed_basemap(mbtiles, lonlat, budget_mb=50)
    size = {z: 0 for z in range(12, 18)}
    for key, tile in full["tiles"].items():
        size[int(key.split("/")[0])] += len(tile)
    budget = (size[12] + size[13] + size[14] + size[15] // 2) / 1e6
    part = embed_basemap(mbtiles, lonlat, budget_mb=budget)
    assert (part["minzoom"], part["maxzoom"]) == (12, 14)
    assert sum(len(t) for t in part["tiles"].values()) <= budget * 1e6
    with pytest.raises(ConfigError, match="--basemap-budget-mb"):
        embed_basemap(mbtiles, lonlat, budget_mb=size[12] / 2e6)


def test_geopackage_tiles_on_web_mercator_are_read(
    mbtiles: Path, lonlat: np.ndarray, tmp_path: Path
) -> None:
    gpkg = tmp_path / "tiles.gpkg"
    with sqlite3.connect(mbtiles) as src, sqlite3.connect(gpkg) as db:
        db.executescript(
            "CREATE TABLE gpkg_contents (table_name TEXT, data_type TEXT);"
            "CREATE TABLE gpkg_tile_matrix_set (table_name TEXT, srs_id INTEGER,"
            " min_x REAL, min_y REAL, max_x REAL, max_y REAL);"
            "CREATE TABLE achtergrond (id INTEGER PRIMARY KEY, zoom_level INTEGER,"
            " tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
            "INSERT INTO gpkg_contents VALUES ('achtergrond', 'tiles');"
        )
        db.execute(
            "INSERT INTO gpkg_tile_matrix_set VALUES ('achtergrond', 3857, ?, ?, ?, ?)",
            (-WORLD, -WORLD, WORLD, WORLD),
        )
        rows = src.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
        )
        db.executemany(
            "INSERT INTO achtergrond (zoom_level, tile_column, tile_row, tile_data) "
            "VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - r, d) for z, x, r, d in rows],  # GeoPackage: from top
        )
    from_gpkg = embed_basemap(gpkg, lonlat, budget_mb=50)
    assert from_gpkg["tiles"] == embed_basemap(mbtiles, lonlat, budget_mb=50)["tiles"]
    with sqlite3.connect(gpkg) as db:
        db.execute("UPDATE gpkg_tile_matrix_set SET srs_id = 28992")
    with pytest.raises(ConfigError, match="GoogleMapsCompatible"):
        embed_basemap(gpkg, lonlat)


def test_files_that_are_not_raster_tiles_are_refused(
    tmp_path: Path, lonlat: np.ndarray
) -> None:
    pmtiles = tmp_path / "extract.pmtiles"
    pmtiles.write_bytes(b"PMTiles\x03" + bytes(120))
    with pytest.raises(ConfigError, match="PMTiles"):
        embed_basemap(pmtiles, lonlat)
    text = tmp_path / "tiles.mbtiles"
    text.write_text("geen tegels")
    with pytest.raises(DataSourceError, match="not an MBTiles or GeoPackage"):
        embed_basemap(text, lonlat)
    with pytest.raises(DataSourceError, match="not found"):
        embed_basemap(tmp_path / "missing.mbtiles", lonlat)
    vector = tmp_path / "vector.mbtiles"
    with sqlite3.connect(vector) as db:
        db.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
        x, y = next(iter(tile_indices(lonlat[:1], 14, ring=0)))
        db.execute(
            "INSERT INTO tiles VALUES (14, ?, ?, ?)", (x, 2**14 - 1 - y, b"\x1a\x00")
        )
    with pytest.raises(ConfigError, match="raster tiles"):
        embed_basemap(vector, lonlat)


def test_map_command_embeds_a_basemap(
    result_dir: Path, mbtiles: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kansenkaart.cli.main import cli

    out = tmp_path / "kaart.html"
    args = ["map", str(result_dir), "-o", str(out), "--basemap", str(mbtiles)]
    run = CliRunner().invoke(cli, [*args, "--basemap-budget-mb", "5"])
    assert run.exit_code == 0, run.output
    with sqlite3.connect(mbtiles) as db:
        tile = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = 12"
        ).fetchone()
    assert base64.b64encode(tile[0]).decode() in out.read_text("utf-8")
    small = CliRunner().invoke(
        cli, [*args, "--overwrite", "--basemap-budget-mb", "0.001"]
    )
    assert small.exit_code == 1
    assert "--basemap-budget-mb" in small.output
