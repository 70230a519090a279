"""Readers for vector context layers.

Context layers are the vector layers a scan measures against (Natura 2000
areas, rijksmonumenten, CBS gemeente/wijk/buurt boundaries, or any other
GeoPackage, GeoJSON or FlatGeobuf). They are validated once with
:func:`kansenkaart.model.validate.validate_layer` and arrive in EPSG:28992.
The user's tables live in :mod:`kansenkaart.io.ownership` and
:mod:`kansenkaart.io.vacancy`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.errors import SchemaError
from kansenkaart.io._fields import (
    pick,
    pick_required,
    read_raw,
    show,
)
from kansenkaart.model.validate import Finding, OnInvalid, validate_layer

__all__ = [
    "BOUNDARY_LEVELS",
    "read_boundaries",
    "read_context",
    "read_monuments",
    "read_natura2000",
]

logger = logging.getLogger(__name__)

PathLike = str | Path
BoundaryLevel = Literal["gemeente", "wijk", "buurt"]

#: CBS code prefix -> boundary level.
BOUNDARY_LEVELS: dict[str, str] = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}

_NATURA2000_NAMES = ("naam", "naam_n2k", "naamn2k", "sitename", "site_name", "name")
_MONUMENT_IDS = ("rijksmonumentnummer", "monumentnummer", "monument_id", "rmnr")
_MONUMENT_FUNCTIONS = ("functie", "hoofdfunctie", "oorspronkelijke_functie", "function")
_BOUNDARY_CODES = ("buurtcode", "wijkcode", "gemeentecode", "statcode", "code")
_BOUNDARY_NAMES = ("buurtnaam", "wijknaam", "gemeentenaam", "statnaam", "naam", "name")
_CBS_CODE = re.compile(r"^(GM\d{4}|WK\d{6}|BU\d{8})$")
_MERGE_DISTANCE_M = 1.0


def read_context(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read any vector context layer and validate it.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON (also WGS84 files such as the CBS boundaries) or
        FlatGeobuf.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries (see :func:`validate_layer`).

    Returns
    -------
    geopandas.GeoDataFrame
        All columns of the source, geometries valid and in EPSG:28992; the
        validation findings (e.g. ``reprojected``) in ``attrs["findings"]``.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read.
    CRSError
        When the layer has no CRS.
    GeometryError
        When geometries are invalid and ``on_invalid="raise"``.

    Warns
    -----
    GeometryRepairedWarning
        When invalid geometries were repaired or dropped.
    """
    gdf, source = read_raw(path, layer)
    return validate_layer(gdf, source=source, on_invalid=on_invalid)


def read_natura2000(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read Natura 2000 areas as ``name`` and geometry.

    The name is taken from ``naam`` (the project's own extract),
    ``naam_n2k``/``naamN2K`` (RVO via PDOK) or ``sitename`` (INSPIRE
    Protected Sites, EEA), whichever is found first (case-insensitive).

    Parameters
    ----------
    path : str or Path
        Vector file with the area outlines.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` (string) and ``geometry`` in EPSG:28992.

    Raises
    ------
    SchemaError
        When no name column is found.
    """
    gdf, source = read_raw(path, layer)
    name_col = pick_required(list(gdf.columns), _NATURA2000_NAMES, source=source)
    out = gpd.GeoDataFrame(
        {"name": gdf[name_col].astype("string")},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    return validate_layer(out, source=source, on_invalid=on_invalid)


def _merge_repeated_monuments(
    gdf: gpd.GeoDataFrame, *, source: str
) -> gpd.GeoDataFrame:
    """Merge rows that repeat a monument at (almost) the same location.

    Extracts made per Natura 2000 area list a monument once per nearby area;
    the copies lie within centimetres of each other.
    """
    ids = gdf["monument_id"]
    first = ~ids.duplicated(keep="first")
    reference = gdf.geometry[first.to_numpy()].set_axis(ids[first]).reindex(ids)
    dist = shapely.distance(
        np.asarray(gdf.geometry.values), np.asarray(reference.values)
    )
    repeated = (~first).to_numpy() & (dist <= _MERGE_DISTANCE_M)
    if not repeated.any():
        return gdf
    merged = sorted(ids[repeated].unique())
    msg = (
        f"{source}: {int(repeated.sum())} row(s) repeat a monument within "
        f"{_MERGE_DISTANCE_M:g} m of an earlier row ({len(merged)} monuments, e.g. "
        f"{show(merged)}) and were merged."
    )
    out = gdf.loc[~repeated]
    finding = Finding("info", "merged_rows", msg, tuple(merged))
    out.attrs = {"findings": [*gdf.attrs.get("findings", []), finding]}
    logger.info(msg)
    return out


def read_monuments(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read rijksmonumenten as ``monument_id``, ``function`` and geometry.

    Only what the scans need is kept: addresses and other columns are not
    returned. Rows that repeat a monument within 1 m (an extract made per
    Natura 2000 area lists a monument once per nearby area) are merged and
    reported as an ``info`` finding; other repeated ids are reported by
    :func:`validate_layer`.

    Parameters
    ----------
    path : str or Path
        Vector file with one feature per monument, e.g. the Rijksdienst voor
        het Cultureel Erfgoed extract (``rijksmonumentnummer``, ``functie``).
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        ``monument_id`` (rijksmonumentnummer as string), ``function``
        (string, null when the source has none) and ``geometry`` in
        EPSG:28992, one row per monument.

    Raises
    ------
    SchemaError
        When no monument number column is found.
    """
    gdf, source = read_raw(path, layer)
    columns = list(gdf.columns)
    id_col = pick_required(columns, _MONUMENT_IDS, source=source)
    function_col = pick(columns, _MONUMENT_FUNCTIONS)
    ids = gdf[id_col].astype("string").str.strip().str.removesuffix(".0")
    function = (
        gdf[function_col].astype("string")
        if function_col
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    out = gpd.GeoDataFrame(
        {"monument_id": ids, "function": function},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    out = validate_layer(out, source=source, on_invalid=on_invalid)
    out = _merge_repeated_monuments(out, source=source)
    return validate_layer(
        out, source=source, id_column="monument_id", on_invalid=on_invalid
    )


def _boundary_levels(codes: pd.Series, *, source: str, code_col: str) -> pd.Series:
    bad = ~codes.fillna("").str.match(_CBS_CODE)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        msg = (
            f"{source}: column {code_col!r} holds {len(rows)} value(s) that are not "
            f"CBS codes like GM0363, WK036386 or BU03638600 (features {show(rows)}). "
            "Fix the codes or remove those features."
        )
        raise SchemaError(msg)
    return codes.str[:2].map(BOUNDARY_LEVELS).astype("string")


def read_boundaries(
    path: PathLike,
    *,
    level: BoundaryLevel | None = None,
    layer: str | None = None,
    on_invalid: OnInvalid = "fix",
) -> gpd.GeoDataFrame:
    """Read CBS gemeente, wijk or buurt boundaries.

    The code column is the most specific one found (``buurtcode``, then
    ``wijkcode``, ``gemeentecode``, ``statcode``, ``code``); the level of each
    feature follows from its code prefix (GM, WK, BU).

    Parameters
    ----------
    path : str or Path
        CBS boundaries, e.g. the PDOK "gebiedsindelingen" GeoJSON in WGS84
        (reprojected) or a GeoPackage in EPSG:28992.
    level : {"gemeente", "wijk", "buurt"}, optional
        Keep only features of this level; all levels when omitted.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (e.g. ``GM0363``, ``BU03638600``), ``name``, ``level`` and
        ``geometry`` in EPSG:28992; duplicate codes are reported.

    Raises
    ------
    SchemaError
        When no code column is found, codes are not CBS codes, or no feature
        has the requested ``level``.
    """
    if level is not None and level not in BOUNDARY_LEVELS.values():
        allowed = ", ".join(BOUNDARY_LEVELS.values())
        msg = f"level must be one of {allowed}, not {level!r}"
        raise SchemaError(msg)
    gdf, source = read_raw(path, layer)
    columns = list(gdf.columns)
    code_col = pick_required(columns, _BOUNDARY_CODES, source=source)
    name_col = pick(columns, _BOUNDARY_NAMES)
    codes = gdf[code_col].astype("string").str.strip().str.upper()
    levels = _boundary_levels(codes, source=source, code_col=code_col)
    names = (
        gdf[name_col].astype("string")
        if name_col
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    out = gpd.GeoDataFrame(
        {"code": codes, "name": names, "level": levels},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    if level is not None:
        keep = (levels == level).to_numpy()
        if not keep.any():
            msg = (
                f"{source}: holds no {level} boundaries (levels found: "
                f"{', '.join(sorted(levels.unique()))}). Pass the {level} file or "
                "omit level."
            )
            raise SchemaError(msg)
        out = out.loc[keep]
    return validate_layer(out, source=source, id_column="code", on_invalid=on_invalid)
