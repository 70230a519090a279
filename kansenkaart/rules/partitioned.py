"""Evaluate a scan's rules on worker processes, one partition of a prepared folder each.

The *partitioned* engine is for inputs that do not fit in memory together
(the whole country). It reads a prepared folder
(:func:`kansenkaart.prepare.prepare_dataset`): every layer sorted along one
Hilbert curve, in row groups whose bounds the folder's index records.

How it works
------------
1. The candidate layer's row groups (parcels for a site scan, buildings for
   an object scan) are grouped into *partitions* of about ``partition_rows``
   candidates (:func:`plan_partitions`), in curve order. A partition owns its
   row groups, and the curve range from its first row group up to the next
   partition's: fallback candidates (zoning areas where no parcel lies) belong
   to the partition whose range holds their curve position. Its *boxes* are
   its row groups' bounds and the box around the zoning areas in its range
   (so every parcel that could cover an owned zoning area is read).
2. A worker process (a :class:`concurrent.futures.ProcessPoolExecutor` with
   the ``spawn`` start method; no shared memory, no inherited threads) reads
   its partition alone: the row groups of every vector layer whose bounds
   meet one of its boxes widened by that layer's *halo* (the longest distance a
   rule on the layer looks, :func:`layer_halos`), then the features whose
   bounding box meets it, in their original order; the table rows of its
   candidates (tables are sorted along their layer). It makes the candidates
   from that cut exactly as the pipeline does, keeps its own, evaluates the
   rules and returns the candidates and their values.
3. The parent puts the partitions' results back in the order the pipeline
   would have made the candidates in (the candidate layer's input order, then
   the fallback candidates) and finishes the table.

Why the results equal the fast engine's: every value depends only on the
candidate, the features that overlap it or lie within a rule's reach, and
table rows by its id (the argument of :mod:`kansenkaart.rules.dask_engine`);
the cut holds all of those, in their original order, so ties and
floating-point sums come out the same.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from kansenkaart.candidates import assign_municipality, build_candidates, select_in_area
from kansenkaart.errors import ConfigError
from kansenkaart.prepare import PreparedDataset, hilbert_keys, open_prepared
from kansenkaart.rules.definition import Rule, ScanDefinition
from kansenkaart.rules.engine import (
    RuleTable,
    attach_owner_class,
    finish_table,
    plan_rules,
    rule_values,
)
from kansenkaart.rules.predicates import PREDICATES, ScanContext

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "Partition",
    "PartitionJob",
    "PartitionResult",
    "evaluate_partition",
    "evaluate_rules_partitioned",
    "layer_halos",
    "map_partitions",
    "plan_partitions",
    "release_memory",
    "worker_pool",
]

logger = logging.getLogger(__name__)

#: Candidates per partition when none is given.
DEFAULT_PARTITION_ROWS = 250_000
#: Metres added to every layer's halo against rounding (extra features never
#: change a result).
HALO_MARGIN_M = 1.0
#: Cell (m) by which a partition's features are grouped into the boxes it reads.
CELL_M = 2_000.0
#: Curve positions are below this (level 16: 2^32).
KEY_END = 1 << 32
#: Candidate units the engine partitions on (the unit is the partitioned layer).
UNIT_LAYERS = {"parcels": "parcels", "buildings": "buildings", "zoning": "zoning"}


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition: row groups ``[start, stop)`` of the candidate layer.

    ``keys`` is the curve range ``[lo, hi)`` it owns for fallback candidates,
    ``positions`` the rows ``[start, stop)`` of its candidates in the layer,
    ``boxes`` the boxes its candidates lie in (one per row group, and one
    around the zoning areas it owns).
    """

    id: int
    groups: tuple[int, int]
    keys: tuple[int, int]
    positions: tuple[int, int]
    boxes: tuple[tuple[float, float, float, float], ...]
    rows: int

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The box around all of :attr:`boxes`."""
        return _union(self.boxes)


def _union(boxes: Iterable[Sequence[float]]) -> tuple[float, float, float, float]:
    arr = np.asarray(list(boxes), dtype=float)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
    )


def _grouped(sizes: list[int], partition_rows: int) -> list[tuple[int, int]]:
    """Consecutive row groups of at least ``partition_rows`` rows (the last: any)."""
    out, start, rows = [], 0, 0
    for i, n in enumerate(sizes):
        rows += n
        if rows >= partition_rows:
            out.append((start, i + 1))
            start, rows = i + 1, 0
    if start < len(sizes):
        out.append((start, len(sizes)))
    return out


def _owned_zones_box(
    zoning: tuple[np.ndarray, np.ndarray] | None, lo: int, hi: int
) -> list[tuple[float, float, float, float]]:
    """The box around the zoning features whose curve position is in [lo, hi)."""
    if zoning is None:
        return []
    bounds, keys = zoning
    inside = bounds[(keys >= lo) & (keys < hi)]
    return [_union(inside)] if len(inside) else []


def plan_partitions(
    dataset: PreparedDataset, layer: str, partition_rows: int, *, fallback: bool
) -> list[Partition]:
    """Split the candidate layer ``layer`` into partitions of whole row groups.

    A partition reads the features near its *boxes*: the bounds of its row
    groups and, with ``fallback``, the box around the zoning features in its
    curve range (their areas may become its candidates).
    """
    groups = dataset.row_groups(layer)
    if not groups:
        return []
    spans = _grouped([g["rows"] for g in groups], max(1, partition_rows))
    los = [0] + [groups[a]["keys"][0] for a, _ in spans[1:]]
    his = [*los[1:], KEY_END]
    zoning = dataset.feature_bounds("zoning") if fallback else None
    starts = np.concatenate([[0], np.cumsum([g["rows"] for g in groups])])
    out = []
    for i, ((a, b), lo, hi) in enumerate(zip(spans, los, his, strict=True)):
        boxes = [tuple(map(float, g["bounds"])) for g in groups[a:b]]
        boxes += _owned_zones_box(zoning, lo, hi)
        out.append(
            Partition(
                id=i,
                groups=(a, b),
                keys=(int(lo), int(hi)),
                positions=(int(starts[a]), int(starts[b])),
                boxes=tuple(boxes),
                rows=int(starts[b] - starts[a]),
            )
        )
    return out


def layer_halos(rules: Sequence[Rule]) -> dict[str, float]:
    """Per layer, the longest distance a rule on it looks (m), plus a margin."""
    halos: dict[str, float] = {}
    for rule in rules:
        if rule.layer is None:
            continue
        reach = PREDICATES[rule.predicate].spec.reach_m(rule.params)
        halos[rule.layer] = max(halos.get(rule.layer, 0.0), reach)
    return {k: v + HALO_MARGIN_M for k, v in halos.items()}


@dataclass(frozen=True)
class PartitionJob:
    """Everything a worker needs for one partition (picklable)."""

    path: str
    partition: Partition
    scan: ScanDefinition
    rules: tuple[Rule, ...]
    skipped: tuple[Rule, ...]
    not_applicable: tuple[Rule, ...]
    reference_date: pd.Timestamp
    area: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartitionResult:
    """A partition's candidates (own only), their rule table and which of them
    are fallback candidates (``order``: they come after the unit's)."""

    partition: int
    candidates: gpd.GeoDataFrame
    table: RuleTable
    order: np.ndarray


def _box(extent: Sequence[float], halo: float) -> tuple[float, float, float, float]:
    return (extent[0] - halo, extent[1] - halo, extent[2] + halo, extent[3] + halo)


def _cell_boxes(bounds: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Boxes around features grouped by the :data:`CELL_M` cell of their centre.

    A run of features along the curve can jump (from one end of a region to
    another, over land without features); one box around the run would then
    cover everything in between. Per cell, the boxes stay as small as the
    features are spread.
    """
    if not len(bounds):
        return []
    cx = np.floor((bounds[:, 0] + bounds[:, 2]) / 2 / CELL_M).astype(np.int64)
    cy = np.floor((bounds[:, 1] + bounds[:, 3]) / 2 / CELL_M).astype(np.int64)
    frame = pd.DataFrame(bounds, columns=["x0", "y0", "x1", "y1"])
    grouped = frame.groupby([cx, cy], sort=True).agg(
        {"x0": "min", "y0": "min", "x1": "max", "y1": "max"}
    )
    return [tuple(map(float, row)) for row in grouped.to_numpy()]


def partition_boxes(
    dataset: PreparedDataset, job: PartitionJob, unit_layer: str
) -> list[tuple[float, float, float, float]]:
    """The boxes the partition's candidates lie in: its own features and, with
    a zoning fallback, the zoning areas in its curve range, per cell."""
    own, _ = dataset.feature_bounds(unit_layer, range(*job.partition.groups))
    parts = [own]
    scan = job.scan
    fallback = scan.unit == "parcels" and scan.fallback_unit == "zoning"
    if fallback and "zoning" in dataset.layers:
        bounds, keys = dataset.feature_bounds("zoning")
        lo, hi = job.partition.keys
        parts.append(bounds[(keys >= lo) & (keys < hi)])
    return _cell_boxes(np.vstack(parts))


def _read_layers(
    dataset: PreparedDataset, job: PartitionJob, unit_layer: str
) -> dict[str, Any]:
    """The partition's cut of every layer."""
    halos = layer_halos(job.rules)
    boxes = partition_boxes(dataset, job, unit_layer)
    layers: dict[str, Any] = {}
    for name, entry in dataset.layers.items():
        kind = entry["kind"]
        if kind == "raster":
            layers[name] = entry["path"]
        elif kind == "table":
            own = entry.get("layer") == unit_layer
            layers[name] = dataset.read_table_rows(
                name, job.partition.positions if own else None
            )
        elif entry.get("file"):
            outline = name == "buildings" and unit_layer != "buildings"
            halo = halos.get(name, HALO_MARGIN_M)
            wide = [_box(b, halo) for b in boxes]
            layers[name] = dataset.read_boxes(name, wide, [] if outline else None)
    return layers


def _arrow_strings(values: pd.Index | pd.Series) -> pa.Array:
    arr = pa.array(pd.array(values, dtype="string"))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _is_in(values: pd.Index, wanted: pd.Index | pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` for string ids, by Arrow's hash (pandas loops)."""
    hit = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(wanted))
    return hit.to_numpy(zero_copy_only=False)


def _own_candidates(
    cand: gpd.GeoDataFrame, unit: gpd.GeoDataFrame, id_column: str, job: PartitionJob
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The partition's own candidates, and which of them are fallback candidates.

    A candidate of the unit layer is the partition's when its feature lies in
    the partition's row groups; a fallback candidate when its curve position
    lies in the partition's range.
    """
    lo, hi = job.partition.keys
    from_unit = _is_in(cand.index, unit[id_column])
    own = unit.loc[unit["_own"].to_numpy(), id_column]
    keep = from_unit & _is_in(cand.index, own)
    fallback = np.flatnonzero(~from_unit)
    if len(fallback):
        geoms = np.asarray(cand.geometry.values)[fallback]
        keys = hilbert_keys(shapely.bounds(geoms))
        keep[fallback[(keys >= lo) & (keys < hi)]] = True
    return cand[keep], ~from_unit[keep]


def _mark_own(
    dataset: PreparedDataset, unit: gpd.GeoDataFrame, job: PartitionJob, layer: str
) -> gpd.GeoDataFrame:
    """Flag the unit features of the partition's own row groups (column ``_own``)."""
    a, b = job.partition.groups
    own = dataset.orders_of(layer, range(a, b))
    marked = unit.copy()
    marked["_own"] = unit.index.isin(own)
    return marked


def partition_candidates(
    dataset: PreparedDataset, job: PartitionJob
) -> tuple[gpd.GeoDataFrame, dict[str, Any], np.ndarray]:
    """A partition's own candidates (as the pipeline makes them), its layers, keys."""
    scan = job.scan
    layer = UNIT_LAYERS[scan.unit]
    layers = _read_layers(dataset, job, layer)
    cand = build_candidates(
        layers,
        unit=scan.unit,
        fallback_unit=scan.fallback_unit,
        grid_size_m=scan.grid_size_m,
        derive_uses=scan.derive_uses,
        scan_name=scan.name,
    )
    id_column = {"parcels": "parcel_id", "buildings": "building_id"}.get(
        layer, "object_id"
    )
    unit = _mark_own(dataset, layers[layer], job, layer)
    cand, order = _own_candidates(cand, unit, id_column, job)
    if job.area is not None:
        inside = select_in_area(cand, job.area)
        order = order[cand.index.isin(inside.index)]
        cand = inside
    municipalities = layers.get("municipalities")
    cand = assign_municipality(
        cand, municipalities if isinstance(municipalities, gpd.GeoDataFrame) else None
    )
    return cand, layers, order


def evaluate_partition(job: PartitionJob) -> PartitionResult:
    """Read, make candidates and evaluate the rules of one partition (on a worker)."""
    dataset = open_prepared(job.path, check_inputs=False)
    cand, layers, order = partition_candidates(dataset, job)
    ctx = ScanContext(
        layers=layers,
        regime=job.scan.regime,
        horizon_years=job.scan.horizon_years,
        reference_date=job.reference_date,
        coverage=job.coverage,
    )
    cand = attach_owner_class(cand, ctx)
    values = rule_values(cand, job.rules, ctx)
    table = finish_table(
        cand,
        values,
        job.rules,
        job.skipped,
        job.not_applicable,
        coverage=job.coverage,
    )
    return PartitionResult(job.partition.id, cand, table, order)


@functools.cache
def _libc() -> Any:
    """glibc, for ``malloc_trim`` (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - musl has none
    except (OSError, AttributeError):
        return None
    return libc


def release_memory() -> None:
    """Give the memory freed by a finished job back to the system.

    Python's objects, glibc's heap and Arrow's memory pool keep freed pages
    for later use, so a worker process that assembled a large partition
    stays as large for every later job (measured: 1.8 GB per worker while
    writing 100,000-row batches of a national scan that needed 0.6 GB).
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _released(func: Callable[[Any], Any], job: Any) -> Any:
    try:
        return func(job)
    finally:
        release_memory()


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Callable[..., Iterator[Any]]]:
    """A mapper over ``workers`` processes, kept open for several rounds of jobs.

    Yields ``run(func, jobs)``, an iterator of ``func(job)`` in job order.
    ``workers <= 1`` runs jobs one after another in this process. The pool
    uses the ``spawn`` start method: workers start clean (no inherited
    threads or layers) and import only what ``func`` needs; after each job a
    worker gives its freed memory back (:func:`release_memory`).
    """
    if workers <= 1:
        yield map
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def run(func: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
            return pool.map(functools.partial(_released, func), jobs)

        yield run


def map_partitions(
    func: Callable[[Any], Any], jobs: Sequence[Any], workers: int
) -> Iterator[Any]:
    """Results of ``func`` on every job, in job order, on ``workers`` processes."""
    with worker_pool(min(workers, len(jobs))) as run:
        yield from run(func, jobs)


class _Names(dict):
    """Layer names only: what :func:`plan_rules` asks of a context."""


def plan_jobs(
    dataset: PreparedDataset,
    scan: ScanDefinition,
    reference_date: pd.Timestamp,
    *,
    partition_rows: int | None = None,
    area: Any = None,
    coverage: Mapping[str, Any] | None = None,
) -> tuple[list[PartitionJob], tuple[tuple[Rule, ...], ...]]:
    """The jobs of a scan on a prepared folder, and its (evaluated, skipped,
    not applicable) rules."""
    if scan.unit not in UNIT_LAYERS or scan.fallback_unit not in (None, "zoning"):
        msg = (
            f"scan {scan.name!r}: the partitioned engine makes candidates from "
            "parcels, buildings or zoning areas (fallback: zoning areas); "
            f"unit {scan.unit!r} with fallback {scan.fallback_unit!r} needs "
            "--engine fast"
        )
        raise ConfigError(msg)
    layer = UNIT_LAYERS[scan.unit]
    if layer not in dataset.layers:
        msg = f"{dataset.path}: the prepared folder has no {layer} layer"
        raise ConfigError(msg)
    names = ScanContext(
        layers=_Names.fromkeys(dataset.layers),
        regime=scan.regime,
        horizon_years=scan.horizon_years,
        reference_date=reference_date,
    )
    evaluated, skipped, not_applicable = plan_rules(scan.rules, names)
    fallback = scan.unit == "parcels" and scan.fallback_unit == "zoning"
    parts = plan_partitions(
        dataset,
        layer,
        partition_rows or DEFAULT_PARTITION_ROWS,
        fallback=fallback and "zoning" in dataset.layers,
    )
    jobs = [
        PartitionJob(
            str(dataset.path),
            p,
            scan,
            evaluated,
            skipped,
            not_applicable,
            reference_date,
            area,
            coverage=dict(coverage or {}),
        )
        for p in parts
    ]
    return jobs, (evaluated, skipped, not_applicable)


def evaluate_rules_partitioned(
    dataset: PreparedDataset,
    scan: ScanDefinition,
    reference_date: pd.Timestamp,
    *,
    partition_rows: int | None = None,
    workers: int | None = None,
    area: Any = None,
    mapper: Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]
    | None = None,
    coverage: Mapping[str, Any] | None = None,
) -> tuple[gpd.GeoDataFrame, RuleTable]:
    """Candidates and rule table of a scan on a prepared folder, in memory.

    Parameters
    ----------
    dataset : PreparedDataset
        The opened prepared folder.
    scan : ScanDefinition
        The scan.
    reference_date : pandas.Timestamp
        "Today" of the scan.
    partition_rows : int, optional
        Candidates per partition; :data:`DEFAULT_PARTITION_ROWS` by default.
    workers : int, optional
        Worker processes; the number of CPU cores by default (1: no pool).
    area : geometry array, optional
        Keep only candidates whose representative point lies inside.
    mapper : callable, optional
        Runs ``func`` on every job and yields the results in job order
        (e.g. on a Dask cluster); a local process pool by default.
    coverage : mapping of str to Coverage, optional
        Where each layer has data (:meth:`PreparedDataset.coverage`): rules
        are not decided outside it.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, RuleTable)
        The candidates (in the order the pipeline makes them) and the table,
        equal to what the fast engine gives on the same inputs.
    """
    jobs, (evaluated, skipped, not_applicable) = plan_jobs(
        dataset,
        scan,
        reference_date,
        partition_rows=partition_rows,
        area=area,
        coverage=coverage,
    )
    n = workers or os.cpu_count() or 1
    logger.info("%d partitions (%d workers)", len(jobs), n)
    if mapper is None:
        results = list(map_partitions(evaluate_partition, jobs, n))
    else:
        results = list(mapper(evaluate_partition, jobs))
    if not results:
        msg = f"{dataset.path}: no candidates in the prepared folder"
        raise ConfigError(msg)
    cand = pd.concat([r.candidates for r in results])
    # as the pipeline: the unit's candidates by id, then the fallback's by id
    keys = pd.DataFrame(
        {"fallback": np.concatenate([r.order for r in results]), "id": cand.index}
    )
    order = keys.sort_values(["fallback", "id"], kind="stable").index.to_numpy()
    cand = cand.iloc[order]
    values = pd.concat([r.table.values for r in results]).iloc[order]
    outside = pd.concat([r.table.outside_coverage for r in results]).iloc[order]
    cand = gpd.GeoDataFrame(cand, crs=results[0].candidates.crs)
    table = RuleTable(values, evaluated, skipped, not_applicable, outside)
    return cand, table
