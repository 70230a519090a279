"""Raster metadata, point sampling and zonal maxima on a GeoTIFF made in code."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from kansenkaart.errors import CRSError
from kansenkaart.io import raster
from kansenkaart.io.raster import read_raster_info, sample_raster, zonal_max

X0, Y0, RES, N = 100_000.0, 500_000.0, 10.0, 20
NODATA = -9999.0


def _centre(row: int, col: int) -> shapely.Point:
    return shapely.Point(X0 + RES * col + RES / 2, Y0 - RES * row - RES / 2)


def _cells(r0: int, r1: int, c0: int, c1: int) -> shapely.Polygon:
    """Polygon over pixel rows r0..r1 and cols c0..c1 (inclusive)."""
    return shapely.box(
        X0 + RES * c0, Y0 - RES * (r1 + 1), X0 + RES * (c1 + 1), Y0 - RES * r0
    )


def _write(path: Path, *, crs: str | None) -> Path:
    values = (np.arange(N)[:, None] * 100 + np.arange(N)[None, :]).astype("float32")
    values[2, 3] = NODATA
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(X0, Y0, RES, RES),
        nodata=NODATA,
    ) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def noise_tif(tmp_path: Path) -> Path:
    return _write(tmp_path / "lden.tif", crs="EPSG:28992")


def test_read_raster_info(noise_tif: Path) -> None:
    info = read_raster_info(noise_tif)
    assert info["crs"] == "EPSG:28992"
    assert info["bounds"] == (X0, Y0 - N * RES, X0 + N * RES, Y0)
    assert info["resolution"] == (RES, RES)
    assert info["nodata"] == NODATA
    assert info["count"] == 1
    assert info["dtype"] == "float32"


def test_sample_raster_known_values(noise_tif: Path) -> None:
    points = gpd.GeoSeries(
        [
            _centre(0, 0),
            _centre(5, 7),
            _centre(19, 19),
            _centre(2, 3),  # nodata
            shapely.Point(X0 - 5, Y0 - 5),  # outside
            None,
        ],
        crs=28992,
    )
    values = sample_raster(noise_tif, points)
    np.testing.assert_array_equal(values, [0, 507, 1919, np.nan, np.nan, np.nan])


def test_sample_raster_reprojects_points(noise_tif: Path) -> None:
    points = gpd.GeoDataFrame(geometry=[_centre(1, 2), _centre(10, 11)], crs=28992)
    values = sample_raster(noise_tif, points.to_crs(4326))
    np.testing.assert_array_equal(values, [102, 1011])


@pytest.mark.parametrize("tile", [4096, 3])
def test_zonal_max_known_values(
    noise_tif: Path, monkeypatch: pytest.MonkeyPatch, tile: int
) -> None:
    monkeypatch.setattr(raster, "_TILE", tile)
    polygons = gpd.GeoSeries(
        [
            _cells(0, 1, 0, 1),  # max 101
            _cells(2, 2, 3, 3),  # only nodata
            _cells(2, 3, 3, 4),  # nodata and 304
            _centre(5, 5).buffer(1.0),  # hits no pixel centre -> value at the point
            _cells(0, 4, 0, 4),  # overlaps the next one
            _cells(3, 6, 3, 6),
            shapely.box(0, 0, 10, 10),  # outside
            None,
        ],
        crs=28992,
    )
    values = zonal_max(noise_tif, polygons)
    np.testing.assert_array_equal(
        values, [101, np.nan, 304, 505, 404, 606, np.nan, np.nan]
    )


def test_zonal_max_reprojects_polygons(noise_tif: Path) -> None:
    polygons = gpd.GeoSeries([_cells(0, 1, 0, 1).buffer(-1)], crs=28992)
    np.testing.assert_array_equal(zonal_max(noise_tif, polygons.to_crs(4326)), [101])


def test_raster_without_crs(tmp_path: Path) -> None:
    path = _write(tmp_path / "no_crs.tif", crs=None)
    with pytest.raises(CRSError, match=r"no_crs\.tif"):
        read_raster_info(path)
    with pytest.raises(CRSError, match=r"no_crs\.tif"):
        sample_raster(path, gpd.GeoSeries([_centre(0, 0)], crs=28992))


def test_points_without_crs(noise_tif: Path) -> None:
    with pytest.raises(CRSError, match="no CRS"):
        sample_raster(noise_tif, gpd.GeoSeries([_centre(0, 0)]))


def test_zonal_share_above_known_values(noise_tif: Path) -> None:
    from kansenkaart.io.raster import zonal_share_above

    c = _centre(5, 5)
    polys = gpd.GeoSeries(
        [
            _cells(0, 1, 0, 1),  # 0, 1, 100, 101
            _cells(2, 2, 2, 4),  # 202, nodata, 204: two valid pixels
            shapely.box(0, 0, 10, 10),  # outside the raster
            shapely.box(c.x - 1, c.y - 1, c.x + 1, c.y + 1),  # no pixel centre: 505
        ],
        crs="EPSG:28992",
    )
    assert zonal_share_above(noise_tif, polys, 50).tolist()[:2] == [0.5, 1.0]
    share = zonal_share_above(noise_tif, polys, 203)
    assert share[0] == 0.0 and share[1] == 0.5 and np.isnan(share[2])
    assert share[3] == 1.0
    assert zonal_share_above(noise_tif, polys, 600)[3] == 0.0
