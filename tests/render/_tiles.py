"""Build a small raster MBTiles basemap from the embedded data (tests, benchmark).

Tiles are 256 px PNGs on the web-mercator grid, drawn with Pillow: a paper
background, plan areas coloured by main group (water blue, roads grey, …)
and building footprints, like a simple topographic map.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PIL import Image, ImageDraw

from kansenkaart.render.basemap import tile_indices

WORLD = 20037508.342789244
BACKGROUND = (242, 239, 233)
GROUP_FILL = {
    "water": (166, 206, 227),
    "verkeer": (212, 212, 212),
    "groen": (199, 233, 180),
    "natuur": (178, 223, 138),
    "agrarisch": (238, 243, 199),
}
BUILDING = (190, 180, 170)


def _polygon_rings(geoms: np.ndarray) -> list[np.ndarray]:
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]
    return [shapely.get_coordinates(shapely.get_exterior_ring(p)) for p in parts]


def _draw(
    draw: ImageDraw.ImageDraw, rings: Iterable[np.ndarray], box: tuple, fill
) -> None:
    x0, y1, size = box
    for ring in rings:
        px = (ring[:, 0] - x0) / size * 256
        py = (y1 - ring[:, 1]) / size * 256
        if len(px) >= 3:
            draw.polygon(
                list(zip(px, py, strict=True)), fill=fill, outline=(110, 100, 90)
            )


def _tile(
    layers: list[tuple[gpd.GeoDataFrame, tuple]], z: int, x: int, y: int
) -> bytes:
    size = 2 * WORLD / 2**z
    x0, y1 = -WORLD + x * size, WORLD - y * size
    box = shapely.box(x0, y1 - size, x0 + size, y1)
    img = Image.new("RGB", (256, 256), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for frame, fill in layers:
        hits = frame.geometry.values[frame.sindex.query(box)]
        clipped = shapely.intersection(hits, box)
        _draw(draw, _polygon_rings(clipped), (x0, y1, size), fill)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def write_mbtiles(
    path: Path,
    buildings: gpd.GeoDataFrame,
    zoning: gpd.GeoDataFrame | None,
    lonlat: np.ndarray,
    zooms: Iterable[int],
) -> Path:
    """Write tiles around ``lonlat`` points at ``zooms`` into an MBTiles file."""
    layers = []
    if zoning is not None:
        for group, fill in GROUP_FILL.items():
            part = zoning[zoning["main_group"].astype(str).str.lower() == group]
            if len(part):
                layers.append((part.to_crs(3857).reset_index(drop=True), fill))
    layers.append((buildings.to_crs(3857).reset_index(drop=True), BUILDING))
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
            "tile_row INTEGER, tile_data BLOB)"
        )
        db.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("name", "testkaart"),
                ("format", "png"),
                ("attribution", "Testachtergrond: BAG © Kadaster, plannen © gemeenten"),
            ],
        )
        for z in zooms:
            rows = [
                (z, x, 2**z - 1 - y, _tile(layers, z, x, y))
                for x, y in sorted(tile_indices(lonlat, z, ring=1))
            ]
            db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    return path
