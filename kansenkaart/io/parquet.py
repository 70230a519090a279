"""Read and write canonical layers as GeoParquet.

GeoParquet is the fast input/output format for large areas: reading a
province (1M parcels, 1.5M buildings) takes seconds, most of it decoding WKB.
Files written by :func:`write_canonical_parquet` are GeoParquet 1.1 (WKB,
PROJJSON CRS, bbox) readable by GDAL, QGIS, DuckDB and geopandas, and record
the layer kind under the file metadata key ``b"kansenkaart:kind"``.

Validation tradeoff
-------------------
:func:`read_canonical_parquet` stays close to the I/O floor. For files that
carry the ``kansenkaart:kind`` key it trusts the geometries: they were
canonical layers when written, so they passed :func:`validate_layer` at the
reading boundary (or came from :mod:`kansenkaart.synth`). It only checks the
CRS, the id column and the dtypes. A per-geometry check (``shapely.is_valid``
plus empty and duplicate-id checks) costs about as much again as the read
itself; ask for it with ``on_invalid="raise"``. GeoParquet written by other
tools (no kind key) always goes through the full :func:`validate_layer`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kansenkaart.crs import ensure_rd_new
from kansenkaart.errors import CRSError, DataSourceError, SchemaError
from kansenkaart.model.schema import SCHEMAS, LayerSchema
from kansenkaart.model.validate import OnInvalid, require_columns, validate_layer

__all__ = [
    "KIND_KEY",
    "detect_kind",
    "read_canonical_parquet",
    "write_canonical_parquet",
]

logger = logging.getLogger(__name__)

#: File metadata key holding the layer kind (``buildings``, ``parcels``, ...).
KIND_KEY = b"kansenkaart:kind"
_GEOPARQUET_VERSION = "1.1.0"


def _kind_from_columns(columns: Sequence[str], *, source: str) -> str:
    for schema in SCHEMAS.values():
        if schema.id_column in columns:
            return schema.name
    ids = ", ".join(repr(s.id_column) for s in SCHEMAS.values())
    msg = (
        f"{source}: not a canonical layer: none of the id columns {ids} found "
        f"(columns: {', '.join(columns) or '(none)'}). Rename the id column or "
        "read the file with a format reader."
    )
    raise SchemaError(msg)


def _geo_metadata(gdf: gpd.GeoDataFrame) -> dict[str, object]:
    geoms = gdf.geometry.values
    types = sorted({t for t in geoms.geom_type if t is not None})
    column: dict[str, object] = {
        "encoding": "WKB",
        "geometry_types": types,
        "crs": gdf.crs.to_json_dict() if gdf.crs is not None else None,
    }
    if len(gdf) and not geoms.is_empty.all():
        column["bbox"] = [float(v) for v in geoms.total_bounds]
    return {
        "version": _GEOPARQUET_VERSION,
        "primary_column": gdf.geometry.name,
        "columns": {gdf.geometry.name: column},
    }


def write_canonical_parquet(
    gdf: gpd.GeoDataFrame, path: str | Path, *, kind: str | None = None
) -> Path:
    """Write a canonical layer to a GeoParquet file, atomically.

    The file is written to a temporary name in the same folder and renamed
    into place, so a reader never sees half a file. The output is
    deterministic: the same frame gives the same bytes.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A canonical layer (``buildings``, ``parcels`` or ``zoning``) with a CRS.
    path : str or Path
        Target ``.parquet`` file; replaced when it exists.
    kind : str, optional
        Layer kind to record; by default derived from the id column.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    CRSError
        When the layer has no CRS.
    SchemaError
        When the layer kind cannot be determined.
    """
    path = Path(path)
    source = str(path)
    if gdf.crs is None:
        msg = f"{source}: refusing to write a layer without a CRS. Set it first."
        raise CRSError(msg)
    kind = kind or _kind_from_columns(list(gdf.columns), source=source)
    table = pa.Table.from_pandas(gdf.to_wkb(), preserve_index=None)
    meta = dict(table.schema.metadata or {})
    meta[b"geo"] = json.dumps(_geo_metadata(gdf)).encode()
    meta[KIND_KEY] = kind.encode()
    table = table.replace_schema_metadata(meta)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="snappy")
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("%s: wrote %d %s", source, len(gdf), kind)
    return path


def _file_metadata(path: Path) -> dict[bytes, bytes]:
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as err:
        msg = f"{path}: cannot be read as GeoParquet ({err})."
        raise DataSourceError(msg) from err
    meta = dict(schema.metadata or {})
    meta[b"__columns__"] = json.dumps(schema.names).encode()
    return meta


def detect_kind(path: str | Path) -> str:
    """Return the layer kind stored in a GeoParquet file.

    Reads only the file footer: the ``kansenkaart:kind`` metadata key when
    present, otherwise the id column (``building_id`` -> ``buildings``,
    ``parcel_id`` -> ``parcels``, ``object_id`` -> ``zoning``).

    Raises
    ------
    DataSourceError
        When the file is missing or not Parquet.
    SchemaError
        When the kind can be derived neither from metadata nor from columns.
    """
    return _kind_of(Path(path))[0]


def _kind_of(path: Path) -> tuple[str, bool]:
    """Layer kind and whether it came from our own metadata key."""
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    meta = _file_metadata(path)
    if KIND_KEY in meta:
        return meta[KIND_KEY].decode(), True
    return _kind_from_columns(json.loads(meta[b"__columns__"]), source=str(path)), False


def _cast(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, *, subset: bool
) -> gpd.GeoDataFrame:
    """Cast to canonical dtypes; with ``subset`` only the columns present."""
    cols = (
        [c for c in schema.dtypes if c in gdf.columns]
        if subset
        else list(schema.dtypes)
    )
    out = {}
    for col in cols:
        dtype = schema.dtypes[col]
        if col in gdf.columns:
            out[col] = (
                gdf[col] if str(gdf[col].dtype) == dtype else gdf[col].astype(dtype)
            )
        else:
            out[col] = pd.Series(pd.NA, index=gdf.index, dtype=dtype)
    result = gpd.GeoDataFrame(
        out, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index
    )
    result.attrs = dict(gdf.attrs)
    return result


def read_canonical_parquet(
    path: str | Path,
    *,
    on_invalid: OnInvalid = "fix",
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a canonical layer from GeoParquet.

    Parameters
    ----------
    path : str or Path
        GeoParquet file holding buildings, parcels or zoning.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries. Files written by kansenkaart are
        trusted and only checked with ``"raise"`` (see the module docstring);
        other files are always validated with this policy.
    columns : sequence of str, optional
        Attribute columns to read (the id column and geometry are always
        read). By default all canonical columns.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:28992 with canonical dtypes; ``attrs["kind"]``
        holds the layer kind.

    Raises
    ------
    DataSourceError
        When the file is missing or not GeoParquet.
    CRSError
        When the file records no CRS.
    SchemaError
        When the id column is missing.
    GeometryError
        When ``on_invalid="raise"`` and geometries are invalid.
    """
    path = Path(path)
    source = str(path)
    kind, trusted = _kind_of(path)
    schema = SCHEMAS.get(kind)
    if schema is None:
        msg = (
            f"{source}: unknown layer kind {kind!r}; expected one of "
            f"{', '.join(SCHEMAS)}."
        )
        raise SchemaError(msg)
    cols = None
    if columns is not None:
        geometry = json.loads(_file_metadata(path).get(b"geo", b"{}")).get(
            "primary_column", "geometry"
        )
        cols = list(dict.fromkeys([schema.id_column, *columns, geometry]))
    try:
        gdf = gpd.read_parquet(path, columns=cols)
    except ValueError as err:  # no or broken "geo" metadata, unknown column
        msg = f"{source}: cannot be read as GeoParquet ({err})."
        raise DataSourceError(msg) from err
    require_columns(gdf.columns, [schema.id_column], source=source)
    if gdf.crs is None:
        ensure_rd_new(gdf, source=source)  # raises CRSError with the fix
    if trusted and on_invalid != "raise":
        gdf = ensure_rd_new(gdf, source=source)
    else:
        gdf = validate_layer(
            gdf, source=source, id_column=schema.id_column, on_invalid=on_invalid
        )
    gdf = _cast(gdf, schema, subset=columns is not None)
    gdf.attrs["kind"] = kind
    logger.info("%s: %d %s in EPSG:28992", source, len(gdf), kind)
    return gdf
