"""The area of a fetch: a CBS code, a bbox in RD New or a polygon file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from kansenkaart.errors import ConfigError
from kansenkaart.fetch.config import FetchConfig

__all__ = ["Area", "resolve_area"]

_GM = re.compile(r"^GM\d{4}$", re.IGNORECASE)
_BU_WK = re.compile(r"^(BU\d{8}|WK\d{6})$", re.IGNORECASE)
_BBOX = re.compile(r"^\s*-?[\d.]+\s*(,\s*-?[\d.]+\s*){3}$")
RD = "EPSG:28992"

#: Reads a boundary collection in a bbox: (service, collection, bbox) -> frame.
BoundaryReader = Callable[
    [str, str, tuple[float, float, float, float]], gpd.GeoDataFrame
]


@dataclass(frozen=True, slots=True)
class Area:
    """A resolved area in RD New: its polygon, bbox and how it was given."""

    spec: str
    polygon: BaseGeometry
    source: str

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` in RD New."""
        x0, y0, x1, y1 = self.polygon.bounds
        return (x0, y0, x1, y1)


def _municipality(code: str) -> BaseGeometry:
    from kansenkaart.datasets import data_path  # noqa: PLC0415

    path = data_path("cbs_gemeenten_2022_simplified_wgs84.geojson")
    gm = gpd.read_file(path)
    hit = gm[gm["gemeentecode"].str.upper() == code.upper()]
    if hit.empty:
        msg = (
            f"--area {code}: no gemeente with that code in the embedded CBS "
            "boundaries (2022/2023). Check the code (GM + 4 digits)."
        )
        raise ConfigError(msg)
    return shapely.make_valid(hit.to_crs(RD).geometry.union_all())


def _from_service(code: str, config: FetchConfig, read: BoundaryReader) -> Area:
    kind = "buurt" if code.upper().startswith("BU") else "wijk"
    spec = config.boundaries.get(kind)
    if spec is None:
        msg = f"--area {code}: no [boundaries.{kind}] in the services TOML."
        raise ConfigError(msg)
    around = _municipality("GM" + code[2:6])  # a buurt/wijk lies in its gemeente
    frame = read(spec.service, spec.collection, around.bounds)
    if spec.code_property not in frame.columns:
        frame = frame.assign(**{spec.code_property: None})
    hit = frame[frame[spec.code_property].astype(str).str.upper() == code.upper()]
    if hit.empty:
        msg = (
            f"--area {code}: not found in collection {spec.collection!r} of service "
            f"{spec.service!r} (searched gemeente GM{code[2:6]}). Check the code."
        )
        raise ConfigError(msg)
    polygon = shapely.make_valid(hit.geometry.union_all())
    return Area(code.upper(), polygon, f"{spec.service}/{spec.collection}")


def resolve_area(spec: str, config: FetchConfig, read: BoundaryReader) -> Area:
    """Turn ``--area`` into a polygon in RD New.

    Parameters
    ----------
    spec : str
        ``GM0537`` (embedded CBS gemeenten), ``BU05370001`` / ``WK053700`` (the
        boundary from the CBS service), ``x0,y0,x1,y1`` (RD New metres) or a
        polygon file (any vector format).
    config : FetchConfig
        Where buurt and wijk boundaries come from.
    read : callable
        Reads a boundary collection in a bbox (the fetch's own client).

    Raises
    ------
    ConfigError
        When the code is unknown, the bbox is empty or the file holds no polygon.
    """
    text = spec.strip()
    if _GM.match(text):
        return Area(text.upper(), _municipality(text), "embedded CBS gemeenten")
    if _BU_WK.match(text):
        return _from_service(text, config, read)
    if _BBOX.match(text):
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
        if x1 <= x0 or y1 <= y0:
            msg = f"--area {text}: a bbox is minx,miny,maxx,maxy with max > min."
            raise ConfigError(msg)
        return Area(text, shapely.box(x0, y0, x1, y1), "bbox in RD New")
    path = Path(text)
    if not path.exists():
        msg = (
            f"--area {text!r}: not a GM/WK/BU code, not a bbox 'minx,miny,maxx,maxy' "
            "in RD New and not an existing polygon file."
        )
        raise ConfigError(msg)
    frame = gpd.read_file(path)
    polys = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty or frame.crs is None:
        msg = f"--area {path}: the file holds no polygon with a CRS."
        raise ConfigError(msg)
    polygon = shapely.make_valid(polys.to_crs(RD).geometry.union_all())
    return Area(str(path), polygon, "polygon file")
