"""Raster access (e.g. noise Lden GeoTIFFs): metadata, point samples, zonal max.

This module is the only one that imports rasterio. Rasters are read in tiles
of at most ``_TILE`` x ``_TILE`` pixels covering only the requested points or
polygons, so a national 10 m raster is never read whole. Values are returned
as float64 with NaN for nodata and for locations outside the raster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.errors import RasterioIOError
from rasterio.features import rasterize
from rasterio.windows import Window
from rasterio.windows import bounds as window_bounds

from kansenkaart.errors import ConfigError, CRSError, DataSourceError, SchemaError

__all__ = ["read_raster_info", "sample_raster", "zonal_max", "zonal_share_above"]

logger = logging.getLogger(__name__)

PathLike = str | Path
_TILE = 4096


def _open(path: PathLike) -> rasterio.DatasetReader:
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    try:
        src = rasterio.open(path)
    except RasterioIOError as err:
        msg = f"{path}: cannot be opened as a raster ({err}). Download it again."
        raise DataSourceError(msg) from err
    if src.crs is None:
        src.close()
        msg = (
            f"{path}: the raster has no coordinate reference system. Assign it in "
            "QGIS (Raster > Projections > Assign Projection, usually EPSG:28992) "
            "or with gdal_edit.py -a_srs EPSG:28992."
        )
        raise CRSError(msg)
    return src


def _check_band(src: rasterio.DatasetReader, band: int) -> None:
    if not 1 <= band <= src.count:
        msg = f"{src.name}: band {band} does not exist; the raster has {src.count}."
        raise ConfigError(msg)


def read_raster_info(path: PathLike) -> dict[str, Any]:
    """Return the metadata of a raster file.

    Parameters
    ----------
    path : str or Path
        GeoTIFF (or any raster GDAL reads).

    Returns
    -------
    dict
        ``path``, ``crs`` (e.g. ``"EPSG:28992"``), ``bounds`` (left, bottom,
        right, top in CRS units), ``resolution`` (x, y pixel size), ``width``,
        ``height``, ``count`` (bands), ``dtype`` and ``nodata``.

    Raises
    ------
    DataSourceError
        When the file does not exist or is not a readable raster.
    CRSError
        When the raster has no CRS.
    """
    with _open(path) as src:
        info = {
            "path": str(path),
            "crs": src.crs.to_string(),
            "bounds": tuple(src.bounds),
            "resolution": tuple(src.res),
            "width": src.width,
            "height": src.height,
            "count": src.count,
            "dtype": src.dtypes[0],
            "nodata": src.nodata,
        }
    logger.info("%s: raster %dx%d in %s", path, src.width, src.height, info["crs"])
    return info


def _geometries(
    data: gpd.GeoSeries | gpd.GeoDataFrame, crs: Any, *, what: str
) -> np.ndarray:
    """Geometries of ``data`` in the raster CRS, as a shapely array."""
    geoms = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
    if geoms.crs is None:
        msg = (
            f"the {what} have no CRS; set it (GeoSeries.set_crs) before sampling "
            "a raster."
        )
        raise CRSError(msg)
    if geoms.crs != crs:
        geoms = geoms.to_crs(crs)
    return np.asarray(geoms.values)


def _rowcol(transform: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pixel row and column of coordinates, vectorised (floor of the inverse)."""
    inv = ~transform
    col = np.floor(inv.a * x + inv.b * y + inv.c)
    row = np.floor(inv.d * x + inv.e * y + inv.f)
    return row, col


def _tiles(row: np.ndarray, col: np.ndarray) -> Iterator[tuple[Window, np.ndarray]]:
    """Group pixel positions by tile; yield each tile's window and members."""
    key = (row // _TILE).astype(np.int64) * (1 << 20) + (col // _TILE).astype(np.int64)
    for k in np.unique(key):
        members = np.flatnonzero(key == k)
        r0, c0 = row[members].min(), col[members].min()
        height = row[members].max() - r0 + 1
        width = col[members].max() - c0 + 1
        yield Window(int(c0), int(r0), int(width), int(height)), members


def _read_float(src: rasterio.DatasetReader, band: int, window: Window) -> np.ndarray:
    data = src.read(band, window=window, masked=True)
    return np.ma.filled(data.astype(np.float64), np.nan)


def sample_raster(
    path: PathLike, points: gpd.GeoSeries | gpd.GeoDataFrame, *, band: int = 1
) -> np.ndarray:
    """Sample a raster band at points.

    Parameters
    ----------
    path : str or Path
        Raster file with a CRS.
    points : geopandas.GeoSeries or geopandas.GeoDataFrame
        Point geometries in any CRS; reprojected to the raster CRS.
    band : int, default 1
        Band number (1-based).

    Returns
    -------
    numpy.ndarray
        float64 values aligned to ``points``; NaN for nodata, for points
        outside the raster and for missing or empty geometries.

    Raises
    ------
    CRSError
        When the raster or the points have no CRS.
    SchemaError
        When a geometry is not a point.
    """
    with _open(path) as src:
        _check_band(src, band)
        geoms = _geometries(points, src.crs, what="points")
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        kinds = shapely.get_type_id(geoms[present])
        if (kinds != shapely.GeometryType.POINT).any():
            msg = (
                f"{path}: sample_raster takes points; got other geometry types. "
                "Use zonal_max for polygons, or pass representative_point()."
            )
            raise SchemaError(msg)
        out = np.full(len(geoms), np.nan)
        x = np.full(len(geoms), np.nan)
        y = np.full(len(geoms), np.nan)
        x[present], y[present] = (
            shapely.get_x(geoms[present]),
            shapely.get_y(geoms[present]),
        )
        row, col = _rowcol(src.transform, x, y)
        inside = np.flatnonzero(
            (row >= 0) & (row < src.height) & (col >= 0) & (col < src.width)
        )
        row, col = row[inside].astype(np.int64), col[inside].astype(np.int64)
        for window, members in _tiles(row, col):
            data = _read_float(src, band, window)
            out[inside[members]] = data[
                row[members] - window.row_off, col[members] - window.col_off
            ]
    return out


def _overlap_groups(geoms: np.ndarray) -> np.ndarray:
    """Assign polygons to groups whose members' interiors do not overlap.

    Rasterising one label per pixel cannot represent overlaps, so overlapping
    polygons go to different groups. Greedy and vectorised: in each round a
    polygon moves up one group when it overlaps a lower-numbered polygon of
    the same group; it ends when no group holds an overlap.
    """
    group = np.zeros(len(geoms), dtype=np.int64)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlap = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[overlap], right[overlap]
    while True:
        clash = group[left] == group[right]
        if not clash.any():
            return group
        group[np.unique(right[clash])] += 1


def _polygon_window(
    src: rasterio.DatasetReader, geoms: np.ndarray
) -> tuple[int, int, int, int] | None:
    """Pixel range (row0, row1, col0, col1) covering ``geoms``, or None."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    rows, cols = _rowcol(
        src.transform,
        np.array([xmin, xmin, xmax, xmax]),
        np.array([ymin, ymax, ymin, ymax]),
    )
    r0, r1 = max(int(rows.min()), 0), min(int(rows.max()) + 1, src.height)
    c0, c1 = max(int(cols.min()), 0), min(int(cols.max()) + 1, src.width)
    return (r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None


def _zonal_tile(
    data: np.ndarray,
    transform: Affine,
    *,
    geoms: np.ndarray,
    labels: np.ndarray,
    result: np.ndarray,
    hits: np.ndarray,
    counts: tuple[float, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Rasterise polygon labels (1-based) over one tile and accumulate max
    (and, with ``counts = (threshold, above, valid)``, pixel counts)."""
    grid = rasterize(
        zip(geoms, labels + 1, strict=True),
        out_shape=data.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    hit = grid > 0
    idx = grid[hit] - 1
    hits += np.bincount(idx, minlength=len(hits))
    values = data[hit]
    valid = ~np.isnan(values)
    np.fmax.at(result, idx[valid], values[valid])
    if counts is not None:
        threshold, above, n_valid = counts
        n = len(hits)
        n_valid += np.bincount(idx[valid], minlength=n)
        above += np.bincount(idx[valid & (values > threshold)], minlength=n)


def zonal_share_above(
    path: PathLike,
    polygons: gpd.GeoSeries | gpd.GeoDataFrame,
    threshold: float,
    *,
    band: int = 1,
) -> np.ndarray:
    """Share of each polygon's valid pixels whose value exceeds ``threshold``.

    Pixels belong to a polygon as in :func:`zonal_max`; a polygon too small
    to hold a pixel centre takes 1 or 0 from the value at its representative
    point.

    Parameters
    ----------
    path : str or Path
        Raster file with a CRS (e.g. a noise map in dB Lden).
    polygons : geopandas.GeoSeries or geopandas.GeoDataFrame
        Polygons in any CRS.
    threshold : float
        Value to exceed.
    band : int, default 1
        Band number (1-based).

    Returns
    -------
    numpy.ndarray
        float64 shares in [0, 1]; NaN where the polygon covers only nodata or
        lies outside the raster.
    """
    with _open(path) as src:
        _check_band(src, band)
        geoms = _geometries(polygons, src.crs, what="polygons")
        n = len(geoms)
        result, hits = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
        above, valid = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
        span = _polygon_window(src, geoms[present]) if len(present) else None
        if span is not None:
            _zonal_windows(
                src,
                band,
                geoms=geoms,
                present=present,
                span=span,
                result=result,
                hits=hits,
                counts=(threshold, above, valid),
            )
        crs = src.crs
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(valid > 0, above / valid, np.nan)
    small = present[hits[present] == 0]
    if len(small):
        points = gpd.GeoSeries(shapely.point_on_surface(geoms[small]), crs=crs)
        value = sample_raster(path, points, band=band)
        share[small] = np.where(np.isnan(value), np.nan, value > threshold)
    return share


def zonal_max(
    path: PathLike, polygons: gpd.GeoSeries | gpd.GeoDataFrame, *, band: int = 1
) -> np.ndarray:
    """Return the maximum raster value within each polygon.

    A pixel belongs to a polygon when its centre lies inside it. Polygons too
    small to contain any pixel centre take the value at their representative
    point. Polygon labels are rasterised into a label grid per tile and the
    maximum is taken per label with numpy, so there is no loop over polygons;
    overlapping polygons are rasterised in separate passes.

    Parameters
    ----------
    path : str or Path
        Raster file with a CRS.
    polygons : geopandas.GeoSeries or geopandas.GeoDataFrame
        Polygons in any CRS; reprojected to the raster CRS.
    band : int, default 1
        Band number (1-based).

    Returns
    -------
    numpy.ndarray
        float64 maxima aligned to ``polygons``; NaN where a polygon covers only
        nodata, lies outside the raster, or has no geometry.

    Raises
    ------
    CRSError
        When the raster or the polygons have no CRS.
    """
    with _open(path) as src:
        _check_band(src, band)
        geoms = _geometries(polygons, src.crs, what="polygons")
        result = np.full(len(geoms), np.nan)
        hits = np.zeros(len(geoms), dtype=np.int64)
        present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
        span = _polygon_window(src, geoms[present]) if len(present) else None
        if span is not None:
            _zonal_windows(
                src,
                band,
                geoms=geoms,
                present=present,
                span=span,
                result=result,
                hits=hits,
            )
        crs = src.crs
    small = present[hits[present] == 0]
    if len(small):
        points = gpd.GeoSeries(shapely.point_on_surface(geoms[small]), crs=crs)
        result[small] = sample_raster(path, points, band=band)
    return result


def _zonal_windows(
    src: rasterio.DatasetReader,
    band: int,
    *,
    geoms: np.ndarray,
    present: np.ndarray,
    span: tuple[int, int, int, int],
    result: np.ndarray,
    hits: np.ndarray,
    counts: tuple[float, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Accumulate zonal maxima over the tiles of ``span`` that hold polygons."""
    r0, r1, c0, c1 = span
    groups = _overlap_groups(geoms[present])
    tree = shapely.STRtree(geoms[present])
    for row in range(r0, r1, _TILE):
        for col in range(c0, c1, _TILE):
            window = Window(col, row, min(_TILE, c1 - col), min(_TILE, r1 - row))
            transform = src.window_transform(window)
            bounds = window_bounds(window, src.transform)
            found = tree.query(shapely.box(*bounds))
            if not len(found):
                continue
            data = _read_float(src, band, window)
            for group in np.unique(groups[found]):
                members = found[groups[found] == group]
                _zonal_tile(
                    data,
                    transform,
                    geoms=geoms[present[members]],
                    labels=present[members],
                    result=result,
                    hits=hits,
                    counts=counts,
                )
