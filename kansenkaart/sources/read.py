"""Read any supported file into its canonical layer.

These functions are the public entry to the readers in :mod:`kansenkaart.io`:
they detect the format, call the right reader and check that the file holds
the kind of layer the caller asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from kansenkaart.errors import DataSourceError
from kansenkaart.io.detect import Detected, detect_format, get_reader
from kansenkaart.io.postgis import is_postgis_url
from kansenkaart.model.schema import SCHEMAS
from kansenkaart.model.validate import OnInvalid

__all__ = ["read_buildings", "read_layer", "read_parcels", "read_zoning"]

logger = logging.getLogger(__name__)

PathLike = str | Path


def read_layer(path: PathLike, *, on_invalid: OnInvalid = "fix") -> Any:
    """Read ``path`` with the reader for its detected format.

    Parameters
    ----------
    path : str or Path
        Any supported file (see :data:`kansenkaart.io.detect.SUPPORTED`), or a
        PostGIS URL ``postgresql://...?table=...`` (see
        :mod:`kansenkaart.io.postgis`).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame or dict
        The canonical layer; a table for ownership/vacancy CSVs, a metadata
        dict for rasters.
    """
    if is_postgis_url(path):
        from kansenkaart.io.postgis import postgis_as_gpkg  # noqa: PLC0415

        with postgis_as_gpkg(str(path)) as tmp:
            return _read(detect_format(tmp), on_invalid=on_invalid)
    detected = detect_format(path)
    return _read(detected, on_invalid=on_invalid)


def _read(detected: Detected, *, on_invalid: OnInvalid) -> Any:
    reader = get_reader(detected.format)
    logger.info("%s: reading as %s (%s)", detected.path, detected.kind, detected.format)
    if detected.kind == "raster":
        return reader(detected.path)
    return reader(detected.path, on_invalid=on_invalid)


def _read_postgis(
    url: str, kind: str, *, on_invalid: OnInvalid, columns: Sequence[str] | None
) -> gpd.GeoDataFrame:
    """A layer from PostGIS: NLExtract BAG tables, a canonical zoning table, or
    one table read by the file reader its columns point to."""
    from kansenkaart.io import postgis  # noqa: PLC0415

    src = postgis.parse_pg_url(url)
    if kind == "zoning":  # a table in the canonical zoning model
        from kansenkaart.model.validate import validate_layer  # noqa: PLC0415

        gdf = postgis.read_table(src)
        return validate_layer(
            gdf, SCHEMAS["zoning"], source=src.redacted, on_invalid=on_invalid
        )
    if kind == "buildings" and "table" not in src.options:
        gdf = postgis.read_nlextract_buildings(url, on_invalid=on_invalid)
        if columns is None:
            return gdf
        keep = [SCHEMAS[kind].id_column, *columns, gdf.geometry.name]
        return gdf[list(dict.fromkeys(keep))]
    with postgis.postgis_as_gpkg(url) as path:
        return _read_kind(path, kind, on_invalid=on_invalid, columns=columns)


def _read_kind(
    path: PathLike,
    kind: str,
    *,
    on_invalid: OnInvalid,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    if is_postgis_url(path):
        return _read_postgis(str(path), kind, on_invalid=on_invalid, columns=columns)
    detected = detect_format(path)
    folder_ok = kind == "buildings" or detected.format == "stop-tpod"
    if detected.path.is_dir() and not folder_ok:
        msg = (
            f"{path}: is a folder, not a file. Give the {kind} file itself "
            "(only LV-BAG XML or a STOP/TPOD package may be given as a folder)."
        )
        raise DataSourceError(msg)
    if detected.format == "canonical-parquet":
        from kansenkaart.io.parquet import detect_kind  # noqa: PLC0415

        found: str | None = detect_kind(detected.path)  # from the footer only
    else:
        found = detected.kind
    if found != kind:
        msg = (
            f"{path}: expected a {kind} layer but the file looks like "
            f"{found or 'an unknown layer'} ({detected.format}). Pass it with the "
            "option for that kind, or check the file."
        )
        raise DataSourceError(msg)
    if columns is None:
        return _read(detected, on_invalid=on_invalid)
    if detected.format == "canonical-parquet":  # the other columns are never read
        from kansenkaart.io.parquet import read_canonical_parquet  # noqa: PLC0415

        return read_canonical_parquet(
            detected.path, on_invalid=on_invalid, columns=columns
        )
    gdf = _read(detected, on_invalid=on_invalid)
    keep = [SCHEMAS[kind].id_column, *columns, gdf.geometry.name]
    out = gdf[list(dict.fromkeys(keep))]
    out.attrs = dict(gdf.attrs)
    return out


def read_buildings(
    path: PathLike,
    *,
    on_invalid: OnInvalid = "fix",
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read buildings (BAG GeoPackage, bag-light, LV-BAG XML, 3DBAG).

    Parameters
    ----------
    path : str or Path
        The file.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.
    columns : sequence of str, optional
        Attribute columns to keep besides ``building_id`` and the geometry
        (all canonical columns by default). From GeoParquet the others are
        never read.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings in EPSG:28992 (see :mod:`kansenkaart.model.schema`).

    Raises
    ------
    DataSourceError
        When the file is unreadable or holds no buildings.
    """
    return _read_kind(path, "buildings", on_invalid=on_invalid, columns=columns)


def read_parcels(path: PathLike, *, on_invalid: OnInvalid = "fix") -> gpd.GeoDataFrame:
    """Read cadastral parcels (DKK GeoPackage, DKK GML v4/v5).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical parcels in EPSG:28992 with the polygon outline.
    """
    return _read_kind(path, "parcels", on_invalid=on_invalid)


def read_zoning(
    paths: PathLike | Iterable[PathLike], *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read one or more IMRO plans and combine them with plan precedence.

    Parameters
    ----------
    paths : path or iterable of paths
        IMRO2008/IMRO2012 GML files or GeoPackages converted from them.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical zoning objects; overlaps between plans are resolved by
        :func:`kansenkaart.model.zoning.combine_plans` and reported in
        ``attrs["conflicts"]``.
    """
    from kansenkaart.model.zoning import combine_plans  # noqa: PLC0415

    if isinstance(paths, str | Path):
        paths = [paths]
    frames = [_read_kind(p, "zoning", on_invalid=on_invalid) for p in paths]
    return combine_plans(frames)
