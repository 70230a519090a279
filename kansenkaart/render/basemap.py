"""Embed the basemap tiles that cover the candidates, so the map stays offline.

An analyst brings a raster tile set (an MBTiles file, or a GeoPackage with a
tile pyramid on the global web-mercator grid, e.g. a BRT or OpenStreetMap
extract). Only the tiles around the candidates are taken, zoom level by zoom
level from coarse to fine, as long as they fit a size budget; they travel
inside the page (and so inside the encryption), and the browser never asks a
tile server which area is being viewed.
"""

from __future__ import annotations

import base64
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from kansenkaart.errors import ConfigError, DataSourceError

__all__ = ["DEFAULT_BUDGET_MB", "embed_basemap", "tile_indices"]

logger = logging.getLogger(__name__)

#: Size budget of the embedded tiles (base64, MB) when none is given.
DEFAULT_BUDGET_MB = 15.0
_WORLD_M = 20037508.342789244
_MAGIC = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpeg", b"RIFF": "webp"}


def tile_indices(
    lonlat: np.ndarray, zoom: int, *, ring: int = 1
) -> set[tuple[int, int]]:
    """XYZ tile columns and rows holding the points, with ``ring`` neighbours.

    Parameters
    ----------
    lonlat : numpy.ndarray
        ``(n, 2)`` longitudes and latitudes in degrees (WGS84).
    zoom : int
        Zoom level of the web-mercator tile pyramid.
    ring : int, default 1
        Neighbouring tiles to add around each point's tile.

    Returns
    -------
    set of (int, int)
        ``(x, y)`` with ``y`` counted from the top (XYZ, as Leaflet asks).
    """
    n = 2**zoom
    lon, lat = lonlat[:, 0], np.radians(np.clip(lonlat[:, 1], -85.05, 85.05))
    x = np.floor((lon + 180.0) / 360.0 * n).astype(np.int64)
    y = np.floor((1.0 - np.arcsinh(np.tan(lat)) / np.pi) / 2.0 * n).astype(np.int64)
    base = np.unique(np.column_stack([x, y]), axis=0)
    steps = np.arange(-ring, ring + 1)
    dx, dy = (a.ravel() for a in np.meshgrid(steps, steps))
    grown = (base[:, None, :] + np.stack([dx, dy], axis=1)[None, :, :]).reshape(-1, 2)
    keep = (grown >= 0).all(axis=1) & (grown < n).all(axis=1)
    return {(int(a), int(b)) for a, b in np.unique(grown[keep], axis=0)}


class _TileSource:
    """Tiles of one MBTiles or GeoPackage file, by XYZ address."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            head = fh.read(16)
        if head.startswith(b"PMTiles"):
            msg = (
                f"{path}: a PMTiles archive; --basemap reads raster MBTiles or "
                "GeoPackage tiles. Convert it first, e.g. `pmtiles convert` to "
                "MBTiles with raster (png/jpg) tiles."
            )
            raise ConfigError(msg)
        if not head.startswith(b"SQLite format 3"):
            msg = f"{path}: not an MBTiles or GeoPackage file (SQLite expected)."
            raise DataSourceError(msg)
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if "gpkg_contents" in names:
            self.table, self.flip = self._gpkg_table(), False
        elif "tiles" in names:
            self.table, self.flip = "tiles", True
        else:
            self.db.close()
            msg = (
                f"{path}: holds no raster tiles (no 'tiles' table or GeoPackage tiles)."
            )
            raise DataSourceError(msg)

    def _gpkg_table(self) -> str:
        rows = self.db.execute(
            "SELECT c.table_name, s.srs_id, s.min_x, s.max_x FROM gpkg_contents c "
            "JOIN gpkg_tile_matrix_set s ON s.table_name = c.table_name "
            "WHERE c.data_type = 'tiles'"
        ).fetchall()
        for table, srs, min_x, max_x in rows:
            if srs == 3857 and abs(min_x + _WORLD_M) < 1 and abs(max_x - _WORLD_M) < 1:
                return str(table)
        self.db.close()
        msg = (
            f"{self.path}: no tile pyramid on the global web-mercator grid "
            "(EPSG:3857). Make one with: gdal_translate -of GPKG "
            "-co TILING_SCHEME=GoogleMapsCompatible IN.tif OUT.gpkg"
        )
        raise ConfigError(msg)

    def zooms(self) -> list[int]:
        query = f'SELECT DISTINCT zoom_level FROM "{self.table}" ORDER BY zoom_level'
        return [int(r[0]) for r in self.db.execute(query)]

    def attribution(self) -> str:
        try:
            row = self.db.execute(
                "SELECT value FROM metadata WHERE name = 'attribution'"
            ).fetchone()
        except sqlite3.Error:
            row = None
        return str(row[0]) if row and row[0] else ""

    def tiles(
        self, zoom: int, wanted: set[tuple[int, int]]
    ) -> Iterator[tuple[int, int, bytes]]:
        """Yield ``(x, y, data)`` of the wanted tiles present at ``zoom``."""
        if not wanted:
            return
        xs = [x for x, _ in wanted]
        ys = [y for _, y in wanted]
        top = 2**zoom - 1
        rows = (top - max(ys), top - min(ys)) if self.flip else (min(ys), max(ys))
        query = (
            f'SELECT tile_column, tile_row, tile_data FROM "{self.table}" '
            "WHERE zoom_level = ? AND tile_column BETWEEN ? AND ? "
            "AND tile_row BETWEEN ? AND ?"
        )
        for x, row, data in self.db.execute(query, (zoom, min(xs), max(xs), *rows)):
            y = top - row if self.flip else row
            if (x, y) in wanted and data:
                yield int(x), int(y), bytes(data)

    def close(self) -> None:
        self.db.close()


def _format(data: bytes, path: Path) -> str:
    for magic, name in _MAGIC.items():
        if data.startswith(magic):
            return name
    msg = (
        f"{path}: the tiles are not PNG, JPEG or WebP images (vector tiles?). "
        "--basemap needs raster tiles."
    )
    raise ConfigError(msg)


def _collect(
    source: _TileSource, lonlat: np.ndarray, budget: float
) -> tuple[dict[str, str], list[int], int]:
    tiles: dict[str, str] = {}
    used, size = [], 0
    for zoom in source.zooms():
        level = {
            f"{zoom}/{x}/{y}": base64.b64encode(data).decode("ascii")
            for x, y, data in source.tiles(zoom, tile_indices(lonlat, zoom))
        }
        extra = sum(len(v) for v in level.values())
        if size + extra > budget:
            logger.info(
                "basemap: zoom %d left out (%.1f MB over budget)", zoom, extra / 1e6
            )
            break
        tiles.update(level)
        size += extra
        if level:
            used.append(zoom)
    return tiles, used, size


def embed_basemap(
    path: Path | str, lonlat: np.ndarray, *, budget_mb: float = DEFAULT_BUDGET_MB
) -> dict[str, Any]:
    """Take the tiles around the candidates from a tile file, within a budget.

    Parameters
    ----------
    path : Path or str
        MBTiles file, or GeoPackage with a web-mercator tile pyramid.
    lonlat : numpy.ndarray
        ``(n, 2)`` candidate points in WGS84 degrees.
    budget_mb : float
        Most megabytes of tiles (as embedded, base64) to take; zoom levels
        are added from coarse to fine while they fit.

    Returns
    -------
    dict
        ``format``, ``tiles`` (``"z/x/y"`` to base64 image), ``minzoom``,
        ``maxzoom`` and ``attribution``.

    Raises
    ------
    ConfigError
        When the file is PMTiles or vector tiles, the GeoPackage is not on the
        web-mercator grid, or not even the coarsest zoom level fits the budget.
    DataSourceError
        When the file is missing or holds no tiles near the candidates.
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"--basemap {path}: file not found.")
    with closing(_TileSource(path)) as source:
        tiles, used, size = _collect(source, lonlat, budget_mb * 1e6)
        attribution = source.attribution()
    if not tiles:
        msg = (
            f"--basemap {path}: no tile near the candidates fits in "
            f"--basemap-budget-mb {budget_mb:g}. Raise the budget, or use a tile "
            "set that covers the scan area."
        )
        raise ConfigError(msg)
    first = base64.b64decode(next(iter(tiles.values()))[:64])
    logger.info(
        "basemap: %d tiles at zoom %s embedded (%.1f MB)",
        len(tiles),
        ", ".join(map(str, used)),
        size / 1e6,
    )
    return {
        "format": _format(first, path),
        "tiles": tiles,
        "minzoom": min(used),
        "maxzoom": max(used),
        "attribution": attribution or "Achtergrondkaart (ingebed)",
    }
