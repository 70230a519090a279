"""Describe input files: detected kind and format, layers, counts, findings.

:func:`inspect_path` is what ``kansenkaart layers inspect`` prints. It reads
the file with the same reader a scan would use, so every validation finding a
scan would meet is reported here first.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from kansenkaart.errors import KansenkaartError
from kansenkaart.io._vector import layer_info, list_layers
from kansenkaart.io.detect import detect_format
from kansenkaart.io.postgis import is_postgis_url
from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.sources.coverage import frame_coverage
from kansenkaart.sources.read import _read

__all__ = ["inspect_path"]

_OGR_FORMATS = {
    "bag-gpkg",
    "bag-light",
    "3dbag-gpkg",
    "dkk-gpkg",
    "dkk-gml",
    "imro-gml",
    "imro-gpkg",
    "vector",
}


def _source_layers(path: Path, fmt: str, data: Any) -> dict[str, dict[str, Any]]:
    if fmt in _OGR_FORMATS and path.is_file():
        out = {}
        for name in list_layers(path):
            info = layer_info(path, name)
            out[name] = {"features": int(info["features"]), "crs": info["crs"]}
        return out
    if isinstance(data, gpd.GeoDataFrame):
        crs = data.crs.to_string() if data.crs is not None else None
        return {path.name: {"features": len(data), "crs": crs}}
    if isinstance(data, pd.DataFrame):
        return {path.name: {"features": len(data), "crs": None}}
    if isinstance(data, dict):  # raster metadata
        return {
            path.name: {"features": int(data.get("count", 1)), "crs": data.get("crs")}
        }
    return {}


def _uses(buildings: gpd.GeoDataFrame) -> dict[str, int]:
    out = {}
    for use, col in BAG_USE_COLUMNS.items():
        known = buildings[col].dropna()
        if len(known):
            out[use] = int(known.sum())
    return out


def _describe(result: dict[str, Any], data: Any) -> None:
    if isinstance(data, gpd.GeoDataFrame):
        result["features"] = len(data)
        result["crs"] = "EPSG:28992" if data.crs is not None else None
        result["bbox"] = (
            [round(float(v), 3) for v in data.total_bounds] if len(data) else None
        )
        result["problems"] += [
            f.message for f in data.attrs.get("findings", []) if f.level != "error"
        ]
        conflicts = data.attrs.get("conflicts")
        if conflicts:
            result["conflicts"] = conflicts
    elif isinstance(data, pd.DataFrame):
        result["features"] = len(data)
    elif isinstance(data, dict):
        result["crs"] = data.get("crs")
        result["bbox"] = data.get("bounds")
        if data.get("bounds"):  # a raster covers its cells with a value
            left, bottom, right, top = data["bounds"]
            result["coverage_m2"] = round(float((right - left) * (top - bottom)), 1)
            result["coverage_how"] = "raster: cellen zonder waarde niet beoordeeld"
    if isinstance(data, gpd.GeoDataFrame):
        coverage = frame_coverage(result["kind"] or "vector", data)
        result["coverage_m2"] = coverage.area_m2
        result["coverage_how"] = coverage.how
    if result["kind"] == "buildings" and isinstance(data, gpd.GeoDataFrame):
        uses = _uses(data)
        if uses:
            result["uses"] = uses
    if result["kind"] == "zoning" and isinstance(data, gpd.GeoDataFrame):
        from kansenkaart.model.zoning import zoning_summary  # noqa: PLC0415

        result["plans"] = zoning_summary(data)


def _inspect_postgis(url: str, *, on_invalid: str) -> dict[str, Any]:
    """Inspect a PostGIS table (via a temporary GeoPackage) or NLExtract's BAG."""
    from kansenkaart.io import postgis  # noqa: PLC0415

    src = postgis.parse_pg_url(url)
    if "table" in src.options:
        try:
            with postgis.postgis_as_gpkg(url) as tmp:
                result = inspect_path(tmp, on_invalid=on_invalid)
        except KansenkaartError as err:
            result = {"kind": None, "format": None, "readable": False}
            result.update(layers={}, problems=[str(err)])
        result["format"] = f"postgis/{result['format']}" if result["format"] else None
    else:
        result = {"kind": "buildings", "format": "postgis/nlextract", "layers": {}}
        result.update(features=None, crs=None, bbox=None, problems=[], readable=True)
        try:
            data = postgis.read_nlextract_buildings(url, on_invalid=on_invalid)  # type: ignore[arg-type]
            _describe(result, data)
        except KansenkaartError as err:
            result["readable"] = False
            result["problems"].append(str(err))
    result["path"] = src.redacted
    return result


def inspect_path(path: str | Path, *, on_invalid: str = "fix") -> dict[str, Any]:
    """Read ``path`` and describe it.

    Parameters
    ----------
    path : str or Path
        Any supported input file.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries, as in a scan.

    Returns
    -------
    dict
        Keys ``path``, ``kind``, ``format``, ``layers`` (name ->
        ``{"features", "crs"}``), ``features``, ``crs``, ``bbox``, ``problems``
        (list of messages), ``readable`` (bool); ``plans`` for zoning and
        ``uses`` for buildings with uses; for vector files ``coverage_m2``
        and ``coverage_how``: the area a scan takes the file to cover (see
        :mod:`kansenkaart.sources.coverage`).
    """
    if is_postgis_url(path):
        return _inspect_postgis(str(path), on_invalid=on_invalid)
    path = Path(path)
    result: dict[str, Any] = {
        "path": str(path),
        "kind": None,
        "format": None,
        "layers": {},
        "features": None,
        "crs": None,
        "bbox": None,
        "problems": [],
        "readable": True,
    }
    try:
        detected = detect_format(path)
        result["kind"], result["format"] = detected.kind, detected.format
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = _read(detected, on_invalid=on_invalid)  # type: ignore[arg-type]
        if detected.format == "canonical-parquet":
            result["kind"] = data.attrs.get("kind", result["kind"])
        result["layers"] = _source_layers(path, detected.format, data)
        _describe(result, data)
        for w in caught:
            msg = str(w.message)
            if msg not in result["problems"]:
                result["problems"].append(msg)
    except KansenkaartError as err:
        result["readable"] = False
        result["problems"].append(str(err))
    return result
