"""Prepare a scan's inputs as a spatially partitioned GeoParquet dataset.

``kansenkaart prepare`` converts the inputs of a national scan (BAG, DKK,
IMRO zoning, context layers and tables) once into a folder that worker
processes can read piece by piece (:mod:`kansenkaart.rules.partitioned`):

* every vector layer is one GeoParquet 1.1 file whose rows are sorted along
  a Hilbert curve over a fixed Dutch extent (the same curve for every layer,
  so that nearby features of any layer lie in nearby rows), written in row
  groups of at most ``row_group_rows`` rows, with a ``bbox`` covering column
  (``xmin``, ``ymin``, ``xmax``, ``ymax``) and two helper columns:
  ``_hilbert`` (the curve position of the bounding-box centre) and
  ``_order`` (the row's position as the inputs were read, so that a reader
  restores the original order of any cut);
* a table with a ``parcel_id`` or ``building_id`` column is sorted by the
  position of that id in the prepared parcels or buildings (``_pos``), so
  that the rows of a run of parcels are a run of rows too;
* the index file :data:`INDEX_NAME` records, per layer, every row group's
  bounds, row count and curve range, plus the inputs (path, size and
  SHA-256) and the kansenkaart version that wrote the folder.

Memory stays bounded: GeoParquet inputs are read in batches of row groups;
features are spilled to disk with their curve position, split into buckets
of at most ``bucket_rows`` rows by the curve and each bucket is sorted on
its own (an external sort). Other formats (GeoPackage, GML, LV-BAG XML) go
through their canonical reader one file at a time, so a single input file
must fit in memory; zoning plans are combined with plan precedence in
memory (overlapping plans must be seen together).

A prepared folder is refused when another kansenkaart version wrote it or
when an input file it records has changed since (:func:`open_prepared`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from kansenkaart._version import __version__
from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.io.parquet import detect_kind
from kansenkaart.model.zoning import plan_currency
from kansenkaart.sources.coverage import Coverage, combine, frame_coverage
from kansenkaart.sources.layers import (
    LayerKind,
    Layers,
    LayerSource,
    load_layers,
    resolve_coverage,
)
from kansenkaart.sources.layers import ScanInputs as _Inputs
from kansenkaart.sources.read import read_buildings, read_parcels, read_zoning

__all__ = [
    "INDEX_NAME",
    "PreparedDataset",
    "find_prepared",
    "hilbert_keys",
    "is_prepared",
    "load_prepared_layers",
    "open_prepared",
    "prepare_dataset",
]

logger = logging.getLogger(__name__)

#: Name of the index file that marks a prepared folder.
INDEX_NAME = "kansenkaart-prepared.json"
#: Format version of the prepared folder.
FORMAT_VERSION = 2
#: Fixed extent of the Hilbert curve (EPSG:28992, m): the Netherlands and a margin.
EXTENT = (-10_000.0, 280_000.0, 310_000.0, 640_000.0)
#: Level of the curve: 2^16 cells per axis (about 5 m).
LEVEL = 16
#: Rows per row group of a prepared layer.
DEFAULT_ROW_GROUP_ROWS = 50_000
#: Rows sorted in memory at once.
DEFAULT_BUCKET_ROWS = 1_000_000
#: Rows per batch read from a GeoParquet input.
BATCH_ROWS = 200_000
#: Helper columns of a prepared layer (dropped when a cut is read).
HELPERS = ("bbox", "_hilbert", "_order")
#: Id columns by which tables are sorted along their layer.
TABLE_IDS = {"parcel_id": "parcels", "building_id": "buildings"}
#: The layers that are sorted along the curve and partitioned.
CANONICAL = ("buildings", "parcels", "zoning")

Progress = Callable[[str], None]


def _step(progress: Progress | None, text: str) -> None:
    logger.info(text)
    if progress is not None:
        progress(text)


def hilbert_keys(bounds: np.ndarray) -> np.ndarray:
    """Curve positions of bounding-box centres on the fixed Dutch extent.

    Parameters
    ----------
    bounds : numpy.ndarray
        ``(n, 4)`` array of ``xmin, ymin, xmax, ymax``.

    Returns
    -------
    numpy.ndarray
        ``uint32`` positions along a level-16 Hilbert curve; centres outside
        :data:`EXTENT` are clamped to its edge, empty bounds give 0.
    """
    if not len(bounds):
        return np.zeros(0, dtype=np.uint32)
    cx = np.nan_to_num((bounds[:, 0] + bounds[:, 2]) / 2, nan=EXTENT[0])
    cy = np.nan_to_num((bounds[:, 1] + bounds[:, 3]) / 2, nan=EXTENT[1])
    cx = np.clip(cx, EXTENT[0], EXTENT[2])
    cy = np.clip(cy, EXTENT[1], EXTENT[3])
    pts = gpd.GeoSeries(shapely.points(cx, cy))
    keys = pts.hilbert_distance(total_bounds=EXTENT, level=LEVEL)
    return keys.to_numpy().astype(np.uint32)


# ---------------------------------------------------------------------------
# writing: spill, bucket, sort
# ---------------------------------------------------------------------------


def _arrow_batch(gdf: gpd.GeoDataFrame, start: int) -> pa.Table:
    """A frame as Arrow: WKB geometry, bbox struct, curve key and order."""
    geoms = np.asarray(gdf.geometry.values)
    bounds = shapely.bounds(geoms)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame["geometry"] = shapely.to_wkb(geoms)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    bbox = pa.StructArray.from_arrays(
        [pa.array(bounds[:, i]) for i in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
    )
    table = table.append_column("bbox", bbox)
    table = table.append_column("_hilbert", pa.array(hilbert_keys(bounds)))
    return table.append_column(
        "_order", pa.array(np.arange(start, start + len(gdf), dtype=np.int64))
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a batch to the schema of the first one (all-null columns differ)."""
    if table.schema.equals(schema, check_metadata=False):
        return table.replace_schema_metadata(schema.metadata)
    return table.select(schema.names).cast(schema)


class _Spill:
    """An append-only Parquet file of prepared batches, with their keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.keys: list[np.ndarray] = []
        self.ids: list[pa.Array] = []
        self.rows = 0

    def write(self, table: pa.Table, id_column: str | None = None) -> None:
        if self.writer is None:
            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.path, self.schema)
        table = _conform(table, self.schema)
        self.writer.write_table(table)
        self.keys.append(table["_hilbert"].to_numpy())
        if id_column is not None:
            self.ids.append(pc.cast(table[id_column], pa.large_string()))
        self.rows += len(table)

    def repeated(self) -> np.ndarray | None:
        """Rows (by ``_order``) whose id occurred in an earlier row, or None.

        Within one input file the readers keep ids unique; across files the
        first occurrence wins, as when the files are read together.
        """
        if not self.ids:
            return None
        ids = pa.chunked_array([c for a in self.ids for c in a.chunks])
        if len(pc.unique(ids)) == len(ids):  # one hash of all ids: no repeats
            return None
        dup = pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated().to_numpy()
        logger.warning(
            "%d ids occur in more than one input file; kept the first", dup.sum()
        )
        return dup

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _bucket_cuts(keys: np.ndarray, bucket_rows: int) -> np.ndarray:
    """Curve positions splitting ``keys`` into buckets of about ``bucket_rows``."""
    n = len(keys)
    buckets = max(1, math.ceil(n / bucket_rows))
    if buckets == 1:
        return np.zeros(0, dtype=keys.dtype)
    ordered = np.sort(keys)
    return np.unique(ordered[[i * n // buckets for i in range(1, buckets)]])


def _route(
    spill: _Spill, cuts: np.ndarray, folder: Path, drop: np.ndarray | None
) -> list[Path]:
    """Split the spill file into bucket files by curve position (leaving out
    the rows ``drop`` marks by ``_order``)."""
    paths = [folder / f"bucket-{i:05d}.parquet" for i in range(len(cuts) + 1)]
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        source = pq.ParquetFile(spill.path)
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            table = pa.Table.from_batches([batch], schema=spill.schema)
            if drop is not None:
                table = table.filter(pa.array(~drop[table["_order"].to_numpy()]))
            bucket = np.searchsorted(cuts, table["_hilbert"].to_numpy(), side="right")
            for b in np.unique(bucket):
                if b not in writers:
                    writers[b] = pq.ParquetWriter(paths[b], spill.schema)
                writers[b].write_table(table.filter(pa.array(bucket == b)))
    finally:
        for writer in writers.values():
            writer.close()
    return [p for i, p in enumerate(paths) if i in writers]


def _geo_metadata(columns: Sequence[str], crs: Any) -> dict[str, Any]:
    return {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [],
                "crs": crs.to_json_dict() if crs is not None else None,
                "covering": {
                    "bbox": {
                        "xmin": ["bbox", "xmin"],
                        "ymin": ["bbox", "ymin"],
                        "xmax": ["bbox", "xmax"],
                        "ymax": ["bbox", "ymax"],
                    }
                },
            }
        },
        "kansenkaart_columns": list(columns),
    }


def _row_group_entry(table: pa.Table) -> dict[str, Any]:
    bbox = table["bbox"].combine_chunks()
    keys = table["_hilbert"].to_numpy()
    return {
        "rows": len(table),
        "bounds": [
            float(pc.min(bbox.field("xmin")).as_py()),
            float(pc.min(bbox.field("ymin")).as_py()),
            float(pc.max(bbox.field("xmax")).as_py()),
            float(pc.max(bbox.field("ymax")).as_py()),
        ],
        "keys": [int(keys.min()), int(keys.max())],
    }


def _write_sorted(
    buckets: list[Path], out: Path, schema: pa.Schema, row_group_rows: int
) -> list[dict[str, Any]]:
    """Sort each bucket and write them, in curve order, in bounded row groups."""
    groups: list[dict[str, Any]] = []
    with pq.ParquetWriter(out, schema, compression="snappy") as writer:
        for path in buckets:
            table = pq.read_table(path, schema=schema).sort_by(
                [("_hilbert", "ascending"), ("_order", "ascending")]
            )
            for start in range(0, len(table), row_group_rows):
                part = table.slice(start, row_group_rows)
                writer.write_table(part, row_group_size=row_group_rows)
                groups.append(_row_group_entry(part))
            path.unlink()
    return groups


@dataclass(frozen=True, slots=True)
class _Options:
    row_group_rows: int
    bucket_rows: int


def _write_layer(
    name: str,
    frames: Iterator[gpd.GeoDataFrame],
    folder: Path,
    options: _Options,
    id_column: str | None = None,
) -> dict[str, Any]:
    """Write one vector layer, sorted along the curve; its index entry."""
    scratch = folder / f".{name}-scratch"
    scratch.mkdir()
    spill = _Spill(scratch / "spill.parquet")
    crs = None
    try:
        for gdf in frames:
            crs = crs or gdf.crs
            if len(gdf):
                spill.write(_arrow_batch(gdf, spill.rows), id_column)
        spill.close()
        if spill.schema is None:
            return {"file": None, "rows": 0, "row_groups": []}
        keys = np.concatenate(spill.keys)
        cuts = _bucket_cuts(keys, options.bucket_rows)
        buckets = _route(spill, cuts, scratch, spill.repeated())
        spill.path.unlink()
        columns = [c for c in spill.schema.names if c not in (*HELPERS, "geometry")]
        meta = dict(spill.schema.metadata or {})
        meta[b"geo"] = json.dumps(_geo_metadata(columns, crs)).encode()
        schema = spill.schema.with_metadata(meta)
        out = folder / f"{name}.parquet"
        groups = _write_sorted(buckets, out, schema, options.row_group_rows)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = sum(g["rows"] for g in groups)
    logger.info("%s: %d rows in %d row groups", name, rows, len(groups))
    return {"file": out.name, "rows": rows, "row_groups": groups}


# ---------------------------------------------------------------------------
# reading the inputs in batches
# ---------------------------------------------------------------------------


def _parquet_batches(path: Path, kind: str) -> Iterator[gpd.GeoDataFrame]:
    """A canonical GeoParquet file in batches, read as the canonical reader does."""
    from kansenkaart.io.parquet import _cast  # noqa: PLC0415
    from kansenkaart.model.schema import SCHEMAS  # noqa: PLC0415

    source = pq.ParquetFile(path)
    geo = json.loads(source.schema_arrow.metadata[b"geo"])
    crs = geo["columns"][geo["primary_column"]].get("crs")
    for batch in source.iter_batches(batch_size=BATCH_ROWS):
        frame = batch.to_pandas()
        geoms = shapely.from_wkb(frame.pop(geo["primary_column"]).to_numpy())
        gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=crs or "EPSG:28992")
        yield _cast(gdf, SCHEMAS[kind], subset=False)


def _is_canonical_parquet(path: Path, kind: str) -> bool:
    if path.suffix.lower() not in (".parquet", ".geoparquet"):
        return False
    try:
        return detect_kind(path) == kind
    except DataSourceError:
        return False


def _layer_frames(name: str, paths: Sequence[Path]) -> Iterator[gpd.GeoDataFrame]:
    readers = {"buildings": read_buildings, "parcels": read_parcels}
    for path in paths:
        if _is_canonical_parquet(path, name):
            yield from _parquet_batches(path, name)
        else:
            yield readers[name](path)


def _canonical_frames(name: str, paths: Sequence[Path]) -> Iterator[gpd.GeoDataFrame]:
    if name == "zoning":  # plan precedence needs every plan at once
        yield read_zoning(list(paths))
        return
    yield from _layer_frames(name, paths)


def _covered_frames(
    name: str, paths: Sequence[Path], parts: list[Coverage], plans: list[Any]
) -> Iterator[gpd.GeoDataFrame]:
    """The frames of a canonical layer; appends each file's coverage to
    ``parts`` (as :func:`~kansenkaart.sources.layers.load_layers` takes it:
    the plan boundaries, else the convex hull of the file's features) and,
    for zoning, each plan's status and date to ``plans``."""
    if name == "zoning":
        for gdf in _canonical_frames(name, paths):
            parts.append(frame_coverage(name, gdf))
            plans.extend(plan_currency(gdf))
            yield gdf
        return
    for path in paths:
        batches = []
        for gdf in _layer_frames(name, [path]):
            if len(gdf):
                batches.append(frame_coverage(name, gdf))
            yield gdf
        if batches:
            # the hull of a file read in batches: the hull of the batches' hulls
            hull = shapely.convex_hull(shapely.union_all([b.geometry for b in batches]))
            parts.append(Coverage(hull, batches[0].how))


def _coverage_entry(parts: list[Coverage]) -> dict[str, Any] | None:
    if not parts:
        return None
    cover = combine(parts)
    geometry = (
        None if cover.geometry is None else shapely.to_wkb(cover.geometry, hex=True)
    )
    return {"wkb": geometry, "how": cover.how, "national": cover.national}


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------


def _write_table(
    name: str, table: pd.DataFrame, folder: Path, layers: dict[str, Any], rows: int
) -> dict[str, Any]:
    """Write a table, sorted by the position of its id in its layer if it has one."""
    id_column = next((c for c in TABLE_IDS if c in table.columns), None)
    arrow = pa.Table.from_pandas(table.reset_index(drop=True), preserve_index=False)
    entry: dict[str, Any] = {"file": f"{name}.parquet", "rows": len(table)}
    target = TABLE_IDS.get(id_column or "")
    if target and layers.get(target, {}).get("file"):
        ids = pq.read_table(folder / layers[target]["file"], columns=[id_column])
        keys = pc.cast(ids[id_column], pa.string()).combine_chunks()
        wanted = pc.cast(arrow[id_column], pa.string())
        pos = pc.cast(pc.index_in(wanted, value_set=keys), pa.int64())
        arrow = arrow.append_column("_pos", pc.fill_null(pos, np.iinfo(np.int64).max))
        arrow = arrow.append_column(
            "_order", pa.array(np.arange(len(arrow), dtype=np.int64))
        )
        arrow = arrow.sort_by([("_pos", "ascending"), ("_order", "ascending")])
        entry["id_column"] = id_column
        entry["layer"] = target
    pq.write_table(arrow, folder / entry["file"], row_group_size=rows)
    return entry


# ---------------------------------------------------------------------------
# inputs and the index
# ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_entry(layer: str, path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {
        "layer": layer,
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": _sha256(path),
    }


def _context_layers(
    inputs: _Inputs, declared: Mapping[str, LayerKind] | None
) -> dict[str, Any]:
    """The non-canonical layers (context vectors, tables, raster paths), read whole."""
    others = _Inputs(layers=dict(inputs.layers))
    return dict(load_layers(others, declared=declared))


def prepare_dataset(
    inputs: _Inputs,
    out_dir: str | Path,
    *,
    declared: Mapping[str, LayerKind] | None = None,
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS,
    bucket_rows: int = DEFAULT_BUCKET_ROWS,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Convert a scan's inputs into a prepared (partitioned) GeoParquet folder.

    Parameters
    ----------
    inputs : ScanInputs
        The input files by layer (as for a scan; ``area`` is not used).
    out_dir : str or Path
        The folder to write; written all or nothing.
    declared : mapping of str to LayerKind, optional
        Layers a scan file declares besides the known ones.
    row_group_rows : int, default 50,000
        Rows per row group: the unit in which workers read a layer.
    bucket_rows : int, default 1,000,000
        Rows sorted in memory at once (bounds the memory of a large layer).
    overwrite : bool, default False
        Replace an existing folder.
    progress : callable, optional
        Called with a short Dutch text at every step.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    ConfigError
        When the folder exists (without ``overwrite``), nothing is given or
        a size is not positive.
    """
    out = Path(out_dir)
    if row_group_rows < 1 or bucket_rows < 1:
        raise ConfigError("--row-group-rows and --bucket-rows must be at least 1")
    if out.exists() and not overwrite:
        msg = f"{out} already exists. Choose another folder or add --overwrite."
        raise ConfigError(msg)
    if not inputs.files():
        raise ConfigError("nothing to prepare: pass --parcels, --buildings or --zoning")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        index = _prepare_into(
            inputs, tmp, declared, _Options(row_group_rows, bucket_rows), progress
        )
        (tmp / INDEX_NAME).write_text(json.dumps(index, indent=1), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("prepared dataset written to %s", out)
    return out


def _prepare_into(
    inputs: _Inputs,
    folder: Path,
    declared: Mapping[str, LayerKind] | None,
    options: _Options,
    progress: Progress | None,
) -> dict[str, Any]:
    files = [(layer, Path(p)) for layer, p in inputs.files() if layer != "area"]
    _step(progress, f"{len(files)} invoerbestanden controleren (SHA-256)")
    entries = [_input_entry(layer, p) for layer, p in files]
    layers: dict[str, Any] = {}
    plans: list[dict[str, Any]] = []
    for name in CANONICAL:
        paths = getattr(inputs, name)
        if paths:
            _step(progress, f"laag {name} sorteren en schrijven")
            parts: list[Coverage] = []
            frames = _covered_frames(name, [Path(p) for p in paths], parts, plans)
            id_column = {"buildings": "building_id", "parcels": "parcel_id"}.get(name)
            if len(paths) < 2:  # ids are unique within a file
                id_column = None
            entry = _write_layer(name, frames, folder, options, id_column)
            layers[name] = {"kind": name, **entry, "coverage": _coverage_entry(parts)}
    for name, value in sorted(_context_layers(inputs, declared).items()):
        _step(progress, f"laag {name} schrijven")
        if isinstance(value, gpd.GeoDataFrame):
            entry = _write_layer(name, iter([value]), folder, options)
            cover = _coverage_entry([frame_coverage("vector", value)])
            layers[name] = {"kind": "vector", **entry, "coverage": cover}
        elif isinstance(value, pd.DataFrame):
            entry = _write_table(name, value, folder, layers, options.row_group_rows)
            layers[name] = {"kind": "table", **entry}
        else:
            layers[name] = {"kind": "raster", "path": str(Path(value).resolve())}
    return {
        "format": "kansenkaart-prepared",
        "format_version": FORMAT_VERSION,
        "kansenkaart_version": __version__,
        "crs": "EPSG:28992",
        "hilbert": {"extent": list(EXTENT), "level": LEVEL},
        "row_group_rows": options.row_group_rows,
        "inputs": entries,
        "layers": layers,
        "plans": plans,
    }


# ---------------------------------------------------------------------------
# reading a prepared folder
# ---------------------------------------------------------------------------


def is_prepared(path: str | Path) -> bool:
    """Whether ``path`` is a prepared folder (a folder with the index file)."""
    p = Path(path)
    return p.is_dir() and (p / INDEX_NAME).is_file()


def find_prepared(inputs: _Inputs) -> Path | None:
    """The prepared folder among a scan's inputs, or None.

    A prepared folder may be given for ``--parcels``, ``--buildings`` or
    ``--zoning``; every such option must then name the same folder.

    Raises
    ------
    ConfigError
        When a prepared folder is mixed with other files of those layers.
    """
    given = [Path(p) for p in (*inputs.parcels, *inputs.buildings, *inputs.zoning)]
    found = {p.resolve() for p in given if is_prepared(p)}
    if not found:
        return None
    if len(found) > 1 or len({p.resolve() for p in given}) > 1:
        msg = (
            "a prepared folder holds all the layers of a scan: pass the same "
            f"folder to --parcels/--buildings/--zoning and no other files "
            f"(got {', '.join(sorted(map(str, given)))})"
        )
        raise ConfigError(msg)
    return found.pop()


def _changed(entry: Mapping[str, Any]) -> str | None:
    """Why a recorded input no longer matches, or None (missing files pass)."""
    path = Path(entry["path"])
    if not path.exists():
        return None
    stat = path.stat()
    if stat.st_size == entry["size"] and stat.st_mtime_ns == entry["mtime_ns"]:
        return None
    if stat.st_size == entry["size"] and _sha256(path) == entry["sha256"]:
        return None
    return f"{path} ({entry['layer']}) changed after it was prepared"


@dataclass(frozen=True)
class PreparedDataset:
    """An opened prepared folder: its path and index."""

    path: Path
    index: dict[str, Any]

    @property
    def layers(self) -> dict[str, Any]:
        """Index entries of the layers by name."""
        return self.index["layers"]

    def kind(self, name: str) -> str:
        """The kind of layer ``name`` (``parcels``, ``vector``, ``table``, ...)."""
        return self.layers[name]["kind"]

    def row_groups(self, name: str) -> list[dict[str, Any]]:
        """The row groups of vector layer ``name`` (rows, bounds, keys)."""
        return self.layers[name].get("row_groups", [])

    def coverage(
        self,
        inputs: _Inputs | None = None,
        national_layers: Iterable[str] = (),
    ) -> dict[str, Coverage]:
        """Where each vector layer has data, as recorded when it was prepared,
        with the scan file's ``national = true`` and ``--coverage`` applied
        (see :func:`~kansenkaart.sources.layers.resolve_coverage`)."""
        per_file: dict[str, list[Coverage]] = {}
        for name, entry in self.layers.items():
            cover = entry.get("coverage")
            if cover is None:
                continue
            geometry = None if cover["wkb"] is None else shapely.from_wkb(cover["wkb"])
            per_file[name] = [Coverage(geometry, cover["how"], cover["national"])]
        return resolve_coverage(inputs or _Inputs(), per_file, national_layers)

    def file(self, name: str) -> Path:
        """The Parquet file of layer ``name``."""
        return self.path / self.layers[name]["file"]

    def read_groups(
        self, name: str, groups: Sequence[int], columns: Sequence[str] | None = None
    ) -> pa.Table:
        """Row groups ``groups`` of a vector layer, with its helper columns."""
        cols = None if columns is None else [*columns, "geometry", *HELPERS]
        if not groups:
            schema = pq.read_schema(self.file(name))
            return (
                schema.empty_table()
                if cols is None
                else schema.empty_table().select(cols)
            )
        return pq.ParquetFile(self.file(name)).read_row_groups(
            list(groups), columns=cols
        )

    def orders_of(self, name: str, groups: Iterable[int]) -> np.ndarray:
        """The ``_order`` of the rows in row groups ``groups`` of layer ``name``."""
        source = pq.ParquetFile(self.file(name))
        table = source.read_row_groups(list(groups), columns=["_order"])
        return table["_order"].to_numpy()

    def groups_in(self, name: str, boxes: Sequence[Sequence[float]]) -> list[int]:
        """Row groups of layer ``name`` whose bounds meet one of ``boxes``."""
        return [
            i
            for i, g in enumerate(self.row_groups(name))
            if any(_meets(g["bounds"], box) for box in boxes)
        ]

    def read_boxes(
        self,
        name: str,
        boxes: Sequence[Sequence[float]],
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """The features of vector layer ``name`` whose bounding box meets one
        of ``boxes`` (``xmin, ymin, xmax, ymax``).

        Only the row groups whose bounds meet a box are read; the features
        come in their original order, indexed by that order (``_order``).
        """
        table = self.read_groups(name, self.groups_in(name, boxes), columns)
        bbox = table["bbox"].combine_chunks()
        xmin, ymin, xmax, ymax = (
            bbox.field(f).to_numpy(zero_copy_only=False)
            for f in ("xmin", "ymin", "xmax", "ymax")
        )
        rows = np.zeros(0, dtype=np.int64)
        if len(table) and len(boxes):
            tree = shapely.STRtree(shapely.box(*np.asarray(boxes, dtype=float).T))
            rows = np.unique(tree.query(shapely.box(xmin, ymin, xmax, ymax))[0])
        # one copy: the features that meet a box, in their original order
        order = table["_order"].to_numpy()[rows]
        rows = rows[np.argsort(order, kind="stable")]
        return frame_from_arrow(table.take(pa.array(rows)), self.index["crs"])

    def read_box(
        self, name: str, box: Sequence[float], columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """The features of vector layer ``name`` whose bounding box meets ``box``."""
        return self.read_boxes(name, [box], columns)

    def feature_bounds(
        self, name: str, groups: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bounding boxes ``(n, 4)`` and curve positions of the features of a
        layer (of row groups ``groups``; all by default)."""
        source = pq.ParquetFile(self.file(name))
        chosen = range(source.num_row_groups) if groups is None else groups
        table = source.read_row_groups(list(chosen), columns=["bbox", "_hilbert"])
        bbox = table["bbox"].combine_chunks()
        bounds = np.column_stack(
            [
                bbox.field(f).to_numpy(zero_copy_only=False)
                for f in ("xmin", "ymin", "xmax", "ymax")
            ]
        )
        return bounds, table["_hilbert"].to_numpy()

    def read_table_rows(
        self, name: str, positions: tuple[int, int] | None
    ) -> pd.DataFrame:
        """A prepared table; with ``positions`` only the rows of the ids at
        those positions ``[start, stop)`` of the table's layer."""
        filters = None
        if positions is not None and "layer" in self.layers[name]:
            filters = [("_pos", ">=", positions[0]), ("_pos", "<", positions[1])]
        table = pq.read_table(self.file(name), filters=filters)
        drop = [c for c in ("_pos", "_order") if c in table.column_names]
        return table.drop_columns(drop).to_pandas()


def _meets(bounds: Sequence[float], box: Sequence[float]) -> bool:
    return not (
        bounds[0] > box[2]
        or bounds[2] < box[0]
        or bounds[1] > box[3]
        or bounds[3] < box[1]
    )


def frame_from_arrow(table: pa.Table, crs: Any) -> gpd.GeoDataFrame:
    """A prepared layer's rows as a GeoDataFrame in their original order.

    Indexed by ``_order``; dtypes as written (from the pandas metadata); the
    helper columns are dropped.
    """
    order = table["_order"].to_numpy()
    if len(order) > 1 and (np.diff(order) < 0).any():
        table = table.take(pa.array(np.argsort(order, kind="stable")))
        order = table["_order"].to_numpy()
    frame = table.drop_columns(["bbox", "_hilbert", "_order"]).to_pandas()
    geoms = shapely.from_wkb(frame.pop("geometry").to_numpy())
    frame.index = pd.Index(order, name=None)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)


def open_prepared(path: str | Path, *, check_inputs: bool = True) -> PreparedDataset:
    """Open a prepared folder, refusing one that does not fit this run.

    Raises
    ------
    DataSourceError
        When the folder has no index, another kansenkaart version wrote it or
        (with ``check_inputs``) an input it records has changed; the message
        says to prepare again.
    """
    folder = Path(path)
    if not is_prepared(folder):
        msg = (
            f"{folder}: not a prepared folder (no {INDEX_NAME}). "
            "Run `kansenkaart prepare` first."
        )
        raise DataSourceError(msg)
    index = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    again = f"Prepare it again: kansenkaart prepare ... --out {folder} --overwrite"
    if (
        index.get("format_version") != FORMAT_VERSION
        or index.get("kansenkaart_version") != __version__
    ):
        msg = (
            f"{folder} was prepared by kansenkaart {index.get('kansenkaart_version')} "
            f"(format {index.get('format_version')}); this is kansenkaart "
            f"{__version__} (format {FORMAT_VERSION}). {again}"
        )
        raise DataSourceError(msg)
    if check_inputs:
        changed = [why for e in index["inputs"] if (why := _changed(e))]
        if changed:
            msg = f"{folder}: {'; '.join(changed)}. {again}"
            raise DataSourceError(msg)
    return PreparedDataset(folder, index)


def load_prepared_layers(
    dataset: PreparedDataset,
    *,
    outline_buildings: bool = False,
    kinds: Sequence[str] | None = None,
    coverage: Mapping[str, Coverage] | None = None,
) -> Layers:
    """Whole layers of a prepared folder, as :func:`load_layers` gives them.

    Parameters
    ----------
    dataset : PreparedDataset
        The opened folder.
    outline_buildings : bool, default False
        Read buildings by id and outline only.
    kinds : sequence of str, optional
        Only layers of these kinds (``vector``, ``table``, ...); all by default.
    coverage : mapping of str to Coverage, optional
        Where each layer has data (:meth:`PreparedDataset.coverage`); by
        default as recorded in the folder.
    """
    values: dict[str, Any] = {}
    for name, entry in dataset.layers.items():
        kind = entry["kind"]
        if kinds is not None and kind not in kinds:
            continue
        if kind == "raster":
            values[name] = Path(entry["path"])
        elif kind == "table":
            values[name] = dataset.read_table_rows(name, None)
        elif entry.get("file"):
            cols = [] if outline_buildings and name == "buildings" else None
            groups = range(len(dataset.row_groups(name)))
            table = dataset.read_groups(name, list(groups), cols)
            values[name] = frame_from_arrow(table, dataset.index["crs"])
    cover = dataset.coverage() if coverage is None else coverage
    return Layers(
        values,
        sources=prepared_sources(dataset),
        coverage={k: c for k, c in cover.items() if k in values},
    )


def prepared_sources(dataset: PreparedDataset) -> tuple[LayerSource, ...]:
    """The prepared files as the sources of a scan's layers."""
    return tuple(
        LayerSource(name, dataset.file(name), "prepared-geoparquet")
        for name, entry in dataset.layers.items()
        if entry.get("file")
    )
