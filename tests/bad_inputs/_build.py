"""Helpers that build bad or awkward inputs in a test's folder from the embedded data."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[2]
D = REPO / "data"
T = REPO / "tests" / "data"

BAG = D / "amsterdam_BU03638600_bag_panden.gpkg"  # 464 panden, bag-light
AMS_PARCELS = D / "amsterdam_BU03638600_brk_percelen.gpkg"  # 422 percelen
BUURT = D / "amsterdam_BU03638600_buurt.gpkg"
GEMEENTEN = D / "cbs_gemeenten_2022_simplified_wgs84.geojson"
N2K = D / "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg"
PARCELS = T / "otterlo_dkk5_percelen.gpkg"  # 11 percelen
PARCELS_GML = T / "otterlo_dkk5_kadastralekaart_perceel.gml"
IMRO_GPKG = T / "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest.gpkg"


@dataclass
class Ctx:
    """What a case builds in: its folder, the output folder and a result folder."""

    tmp: Path
    result_dir: Callable[[], Path]
    env: dict[str, Any] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        """The ``--out`` folder of the case."""
        return self.tmp / "out"

    def path(self, name: str) -> Path:
        """A file in the case's folder."""
        return self.tmp / name


def objects(ctx: Ctx, *extra: Any, buildings: Path = BAG) -> list[str]:
    """``scan objects`` on the Amsterdam panden, into ``ctx.out``."""
    return [
        "scan",
        "objects",
        "--buildings",
        str(buildings),
        "--out",
        str(ctx.out),
        *map(str, extra),
    ]


def sites(ctx: Ctx, *extra: Any, parcels: Path = PARCELS) -> list[str]:
    """``scan sites`` on the Otterlo percelen, into ``ctx.out``."""
    return [
        "scan",
        "sites",
        "--parcels",
        str(parcels),
        "--out",
        str(ctx.out),
        *map(str, extra),
    ]


def edit(
    src: Path, dst: Path, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]
) -> Path:
    """Copy the first layer of ``src`` to ``dst`` after ``change``."""
    gdf = gpd.read_file(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        change(gdf.copy()).to_file(dst, driver="GPKG", layer=dst.stem)
    return dst


def set_value(column: str, value: Any, rows: int = 1) -> Callable[..., Any]:
    """A change that sets ``column`` of the first ``rows`` features to ``value``."""

    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf[column] = gdf[column].astype(object)
        gdf.loc[gdf.index[:rows], column] = value
        return gdf

    return change


def as_points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Replace every outline by a point inside it."""
    return gdf.set_geometry(gdf.geometry.representative_point())


def as_lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Replace every outline by its boundary."""
    return gdf.set_geometry(gdf.geometry.boundary)


def empty_geometries(n: int) -> Callable[..., Any]:
    """A change that removes the geometry of the first ``n`` features."""

    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf.loc[gdf.index[:n], "geometry"] = None
        return gdf

    return change


def bowtie(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make the first outline a self-intersecting bow-tie."""
    x0, y0, x1, y1 = gdf.geometry.iloc[0].bounds
    tie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    geoms = gdf.geometry.copy()
    geoms.iloc[0] = (
        shapely.MultiPolygon([tie]) if "Multi" in geoms.iloc[0].geom_type else tie
    )
    return gdf.set_geometry(geoms)


def duplicate_first(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repeat the first feature."""
    return pd.concat([gdf, gdf.iloc[:1]], ignore_index=True)


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write text or bytes to ``path``."""
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding=encoding)
    return path


def truncated(src: Path, dst: Path, share: float = 0.4) -> Path:
    """The first ``share`` of ``src``'s bytes."""
    data = src.read_bytes()
    return write(dst, data[: int(len(data) * share)])


def symlink_loop(path: Path) -> Path:
    """A symbolic link that points to itself."""
    os.symlink(path.name, path)
    return path


def broken_link(path: Path) -> Path:
    """A symbolic link to a file that does not exist."""
    os.symlink(path.parent / "gone.gpkg", path)
    return path


def copy(src: Path, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` (a folder is created when needed)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    return dst


def parcel_ids() -> list[str]:
    """The parcel ids of the Otterlo percelen, as the reader makes them."""
    from kansenkaart.sources.read import read_parcels

    return read_parcels(PARCELS)["parcel_id"].tolist()


def building_ids() -> list[str]:
    """The pand ids of the Amsterdam panden."""
    return gpd.read_file(BAG)["identificatie"].astype(str).str[-16:].tolist()


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy the folder ``src`` (with hidden files) to ``dst``."""
    shutil.copytree(src, dst)
    return dst


def folder_hash(path: Path) -> str | None:
    """A hash of every file name and content under ``path`` (None when absent)."""
    import hashlib

    if not path.exists() and not path.is_symlink():
        return None
    h = hashlib.sha256()
    items = sorted(path.rglob("*")) if path.is_dir() else [path]
    for item in items:
        h.update(str(item.relative_to(path.parent)).encode())
        if item.is_file():
            h.update(item.read_bytes())
    return h.hexdigest()
