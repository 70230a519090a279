"""A scan of a prepared folder, written to a result folder in partitions.

The parent process never holds the candidates' geometries, the layers or the
texts of all candidates at once:

1. *Score* (worker processes, one partition each): read the partition,
   make and evaluate its candidates
   (:func:`kansenkaart.rules.partitioned.evaluate_partition`), score them and
   keep the partition (candidates and rule table) in a scratch file; return
   compact arrays: ids, outcome, score and municipality.
2. *Rank* (parent): ranks overall and per municipality over all candidates,
   and every candidate's row in the output (scored by rank, then unknown,
   then excluded; by id within), from the compact arrays alone.
3. *Assemble* (workers): each partition is assembled with the global ranks
   (:func:`kansenkaart.results.assemble.assemble_candidates`, the same code
   as an in-memory scan: same texts, scores and points) and its rows are
   cut into *output batches* by their output row.
4. *Write* (parent): batch by batch, in output order, rows are appended to
   ``candidates.gpkg`` and ``candidates.csv``; then ``summary.json``.

Everything is written in a temporary folder beside ``--out`` and moved into
place only when all partitions succeeded, so an interrupted run leaves
``--out`` as it was. ``candidates.xlsx`` is not written (Excel holds at most
1,048,576 rows; the CSV and the GeoPackage hold all), nor ``context.gpkg``
(the map needs a smaller area: scan it with ``--area``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
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
import pyogrio
import shapely

from kansenkaart.errors import ConfigError
from kansenkaart.prepare import PreparedDataset, prepared_sources
from kansenkaart.results import build_summary, check_output_dir
from kansenkaart.results.assemble import assemble_candidates
from kansenkaart.results.csvtext import write_csv
from kansenkaart.results.folder import swap_into_place, write_marker
from kansenkaart.results.model import OUTCOME_ORDER
from kansenkaart.results.styles import write_layer_styles
from kansenkaart.results.summary import rule_decided_counts
from kansenkaart.results.write import _table as csv_table
from kansenkaart.rules.definition import ScanDefinition
from kansenkaart.rules.engine import RuleTable
from kansenkaart.rules.partitioned import (
    PartitionJob,
    evaluate_partition,
    plan_jobs,
    release_memory,
    worker_pool,
)
from kansenkaart.scoring.score import rank_candidates, score_candidates

__all__ = ["OUTPUT_BATCH_ROWS", "scan_prepared_to_folder"]

logger = logging.getLogger(__name__)

#: Rows per output batch (the parent holds one batch at a time).
OUTPUT_BATCH_ROWS = 100_000

Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class _ScoreJob:
    job: PartitionJob
    scratch: str


@dataclass(frozen=True)
class _Compact:
    """What the parent needs of a partition to rank it."""

    partition: int
    ids: pa.Array
    outcome: np.ndarray
    score: np.ndarray
    weight_assessed: np.ndarray
    municipality: pa.Array
    decided: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _AssembleJob:
    partition: int
    scratch: str
    rank: np.ndarray
    rank_municipality: np.ndarray
    row: np.ndarray
    batch_rows: int
    map_fields: tuple[str, ...]


def _part_path(scratch: str, partition: int) -> Path:
    return Path(scratch) / f"part-{partition:06d}.pkl"


def _score_partition(item: _ScoreJob) -> _Compact:
    """Phase 1 on a worker: evaluate and score one partition, keep it on disk."""
    result = evaluate_partition(item.job)
    with _part_path(item.scratch, result.partition).open("wb") as fh:
        pickle.dump((result.candidates, result.table), fh, protocol=5)
    scored = score_candidates(result.table)
    decided = {
        r.id: rule_decided_counts(r, result.table, scored) for r in item.job.scan.rules
    }
    # Arrow strings and small codes: the parent holds these for every
    # candidate of the country, so no Python object per value
    outcome = scored["outcome"].map({o: i for i, o in enumerate(OUTCOME_ORDER)})
    return _Compact(
        result.partition,
        pa.array(result.candidates.index.astype(str), type=pa.large_string()),
        outcome.to_numpy(dtype=np.int8),
        scored["score"].to_numpy(dtype=float, na_value=np.nan),
        scored["weight_assessed"].to_numpy(dtype=float, na_value=np.nan),
        pa.array(
            result.candidates["municipality_code"].to_numpy(
                dtype=object, na_value=None
            ),
            type=pa.large_string(),
        ),
        decided,
    )


def _strings(chunks: list[pa.Array]) -> pd.arrays.ArrowStringArray:
    """One Arrow-backed pandas string array of the partitions' arrays."""
    return pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.large_string()))


def _outcomes(parts: list[_Compact]) -> pd.Categorical:
    codes = np.concatenate([p.outcome for p in parts])
    return pd.Categorical.from_codes(codes, categories=list(OUTCOME_ORDER))


def _ranks(parts: list[_Compact]) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Global ranks and the output row of every candidate (in ``parts`` order)."""
    ids = pd.Index(_strings([p.ids for p in parts]))
    scored = pd.DataFrame(
        {
            "outcome": _outcomes(parts),
            "score": pd.array(np.concatenate([p.score for p in parts]), "Float64"),
            "weight_assessed": pd.array(
                np.concatenate([p.weight_assessed for p in parts]), "Float64"
            ),
        },
        index=ids,
    )
    municipality = pd.Series(_strings([p.municipality for p in parts]), index=ids)
    rank = rank_candidates(scored)
    by_municipality = rank_candidates(scored, by=municipality)
    # the output order of results.model.order_candidates: outcome, rank, id
    by_id = pc.sort_indices(ids.array.__arrow_array__()).to_numpy()
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[by_id] = np.arange(len(ids))
    order = np.lexsort(
        (
            id_rank,
            rank.astype("Float64").fillna(np.inf).to_numpy(dtype=float),
            np.concatenate([p.outcome for p in parts]),
        )
    )
    row = np.empty(len(order), dtype=np.int64)
    row[order] = np.arange(len(order))
    return rank, by_municipality, row


def _batch_dir(scratch: str, batch: int) -> Path:
    return Path(scratch) / f"batch-{batch:06d}"


def _assemble_partition(item: _AssembleJob) -> _Assembled:
    """Phase 3 on a worker: assemble a partition with global ranks, cut it into
    output batches (one pickle per batch it has rows in)."""
    path = _part_path(item.scratch, item.partition)
    with path.open("rb") as fh:
        cand, table = pickle.load(fh)
    path.unlink()
    ranks = (
        pd.Series(item.rank, index=cand.index, name="rank"),
        pd.Series(item.rank_municipality, index=cand.index, name="rank"),
    )
    out = assemble_candidates(cand, table, None, item.map_fields, ranks=ranks)
    # one reordering, then a slice per output batch (a mask per batch took
    # every column once per batch: 90 times at 9M parcels)
    order = np.argsort(item.row, kind="stable")
    rows = item.row[order]
    out = out.iloc[order]
    batch = rows // item.batch_rows
    cuts = np.flatnonzero(np.diff(batch)) + 1
    spans = (
        zip(np.r_[0, cuts], np.r_[cuts, len(rows)], strict=True) if len(rows) else ()
    )
    for a, b in spans:
        piece = out.iloc[a:b].assign(_row=rows[a:b])
        folder = _batch_dir(item.scratch, int(batch[a]))
        folder.mkdir(exist_ok=True)
        with (folder / f"part-{item.partition:06d}.pkl").open("wb") as fh:
            pickle.dump(piece, fh, protocol=5)
    geoms = np.asarray(out.geometry.values)
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    z = shapely.has_z(present)
    return _Assembled(
        len(out),
        frozenset(shapely.get_type_id(present).tolist()),
        bool(z.any()),
        bool(z.all()),
        _crs_text(out.crs),
    )


def _crs_text(crs: Any) -> str | None:
    """The CRS as pyogrio passes it to GDAL (an EPSG code where there is one)."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt("WKT1_GDAL")


def _batch_frame(scratch: str, batch: int) -> gpd.GeoDataFrame:
    """Output batch ``batch``: its rows from every partition, in output order."""
    pieces = []
    for path in sorted(_batch_dir(scratch, batch).glob("part-*.pkl")):
        with path.open("rb") as fh:
            pieces.append(pickle.load(fh))
    frame = pd.concat(pieces).sort_values("_row").drop(columns="_row")
    return gpd.GeoDataFrame(frame, crs=pieces[0].crs)


def _csv_part(scratch: str, batch: int) -> Path:
    return Path(scratch) / f"batch-{batch:06d}.csv"


def _arrow_part(scratch: str, batch: int) -> Path:
    return Path(scratch) / f"batch-{batch:06d}.arrow"


@dataclass(frozen=True)
class _Assembled:
    """What phase 3 tells of a partition: its rows and geometry types."""

    rows: int
    types: frozenset[int]
    has_z: bool
    all_z: bool
    crs: str | None


@dataclass(frozen=True)
class _LayerGeometry:
    """The GeoPackage layer's geometry type, as pyogrio infers it for the
    whole table at once (what an in-memory scan writes)."""

    name: str
    promote: bool


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_MULTI = {
    "Point": "MultiPoint",
    "LineString": "MultiLineString",
    "Polygon": "MultiPolygon",
}
_MAKE_MULTI = {
    shapely.GeometryType.POINT: shapely.multipoints,
    shapely.GeometryType.LINESTRING: shapely.multilinestrings,
    shapely.GeometryType.POLYGON: shapely.multipolygons,
}


def _layer_geometry(parts: Sequence[_Assembled]) -> _LayerGeometry:
    """Geometry type of all candidates together (pyogrio's inference for GPKG).

    Single and multi types of one kind together make the multi type (a
    GeoPackage layer holds one type), with the single geometries promoted.
    """
    names = {_TYPE_NAMES.get(t, "Unknown") for p in parts for t in p.types}
    has_z = any(p.has_z for p in parts)
    if has_z and not all(p.all_z for p in parts if p.types):
        msg = "candidates mix 2D and 3D geometries; a GeoPackage layer holds one"
        raise ConfigError(msg)
    name, promote = "Unknown", False
    if len(names) == 1:
        name = next(iter(names))
    elif len(names) == 2:
        for single, multi in _MULTI.items():
            if names == {single, multi}:
                name, promote = multi, True
    if has_z and name != "Unknown":
        name = f"{name} Z"
    return _LayerGeometry(name, promote)


@dataclass(frozen=True)
class _BatchJob:
    scratch: str
    batch: int
    promote: bool


def _arrow_table(frame: gpd.GeoDataFrame, *, promote: bool) -> pa.Table:
    """The batch as the Arrow table pyogrio writes (geometry as WKB)."""
    geoms = np.asarray(frame.geometry.values).copy()
    if promote:  # each single geometry becomes a multi of one part
        types = shapely.get_type_id(geoms)
        for single, make in _MAKE_MULTI.items():
            hit = types == single
            if hit.any():
                geoms[hit] = make(np.atleast_2d(geoms[hit]), axis=0)
    name = frame.geometry.name
    plain = pd.DataFrame(frame, copy=False).reset_index()
    plain[name] = shapely.to_wkb(geoms)
    table = pa.Table.from_pandas(plain, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type):  # GDAL has no null type
            table = table.set_column(
                i, f.with_type(pa.string()), table[i].cast(pa.string())
            )
    return table.replace_schema_metadata(None)


def _write_batch(item: _BatchJob) -> int:
    """Phase 4 on a worker: one output batch as CSV text and as an Arrow file
    for the GeoPackage; its pieces are removed."""
    frame = _batch_frame(item.scratch, item.batch)
    with _csv_part(item.scratch, item.batch).open("wb") as fh:
        write_csv(csv_table(frame), fh, header=item.batch == 0)
    table = _arrow_table(frame, promote=item.promote)
    tmp = _arrow_part(item.scratch, item.batch).with_suffix(".part")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    tmp.rename(_arrow_part(item.scratch, item.batch))
    shutil.rmtree(_batch_dir(item.scratch, item.batch))
    return len(frame)


def _write_outputs(  # noqa: PLR0917 - the parts of one write
    written: Iterator[int],
    scratch: str,
    batches: int,
    tmp: Path,
    geometry: _LayerGeometry,
    crs: str | None,
) -> int:
    """In the parent: the GeoPackage in one pass over the batches' Arrow files
    (one layer session, so GDAL builds the spatial index once, at the end),
    and the CSV parts appended in order; each part is removed once written."""
    counted = [0]
    csv_out = (tmp / "candidates.csv").open("wb")

    def read(b: int) -> pa.Table:
        counted[0] += next(written)
        path = _arrow_part(scratch, b)
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        path.unlink()
        part = _csv_part(scratch, b)
        with part.open("rb") as fh:
            shutil.copyfileobj(fh, csv_out, 1 << 20)
        part.unlink()
        logger.info("output batch %d of %d written", b + 1, batches)
        return table

    first = read(0)
    schema = first.schema

    def stream() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        for b in range(1, batches):
            table = read(b)
            if table.schema != schema:
                table = table.cast(schema)
            yield from table.to_batches()

    try:
        pyogrio.write_arrow(
            pa.RecordBatchReader.from_batches(schema, stream()),
            tmp / "candidates.gpkg",
            layer="candidates",
            driver="GPKG",
            geometry_name="geometry",
            geometry_type=geometry.name,
            crs=crs,
        )
    finally:
        csv_out.close()
    return counted[0]


def _sum_decided(parts: list[_Compact]) -> dict[str, dict[str, Any]]:
    """The per-rule decided/undecided counts of all partitions, summed."""
    total: dict[str, dict[str, Any]] = {}
    for part in parts:
        for rid, counts in part.decided.items():
            into = total.setdefault(
                rid, {"decided": 0, "undecided": 0, "undecided_reasons": {}}
            )
            into["decided"] += counts["decided"]
            into["undecided"] += counts["undecided"]
            for why, n in counts["undecided_reasons"].items():
                reasons = into["undecided_reasons"]
                reasons[why] = reasons.get(why, 0) + n
    return total


def _summary(
    scan: ScanDefinition,
    parts: list[_Compact],
    rules: tuple[tuple[Any, ...], ...],
    dataset: PreparedDataset,
    reference_date: pd.Timestamp,
    *,
    coverage: Mapping[str, Any],
    plans: list[dict[str, Any]],
) -> dict[str, Any]:
    # the ids are checked for duplicates by Arrow; the summary's tables are
    # indexed by position (a pandas index of every id of the country and its
    # hash table would double the parent's memory)
    ids = pa.chunked_array([p.ids for p in parts], type=pa.large_string())
    if pc.count_distinct(ids).as_py() != len(ids):
        msg = f"accounting failed: {len(ids)} candidates, not all ids distinct"
        raise AssertionError(msg)
    rows = pd.RangeIndex(len(ids))
    compact = pd.DataFrame(
        {
            "outcome": np.asarray(_outcomes(parts)),
            "weight_assessed": np.concatenate([p.weight_assessed for p in parts]),
            "municipality_code": _strings([p.municipality for p in parts]),
        },
        index=rows,
    )
    evaluated, skipped, not_applicable = rules
    table = RuleTable(pd.DataFrame(index=rows), evaluated, skipped, not_applicable)
    summary = build_summary(
        scan,
        compact,
        table,
        sources=prepared_sources(dataset),
        area=None,
        n_in=len(ids),
        reference_date=reference_date.date().isoformat(),
        coverage=coverage,
        plans=plans,
        decided=_sum_decided(parts),
    )
    summary["engine"] = "partitioned"
    summary["not_written"] = {
        "candidates.xlsx": "Excel holds at most 1,048,576 rows; see candidates.csv",
        "context.gpkg": "for a map, scan a smaller area (--area)",
    }
    return summary


def _step(progress: Progress | None, text: str) -> None:
    logger.info(text)
    if progress is not None:
        progress(text)


def scan_prepared_to_folder(
    scan: ScanDefinition,
    dataset: PreparedDataset,
    out_dir: str | Path,
    *,
    reference_date: pd.Timestamp,
    overwrite: bool = False,
    partition_rows: int | None = None,
    workers: int | None = None,
    area: Any = None,
    batch_rows: int | None = None,
    progress: Progress | None = None,
    coverage: Mapping[str, Any] | None = None,
    plans: list[dict[str, Any]] | None = None,
) -> Path:
    """Run a scan on a prepared folder and write its result folder in partitions.

    Parameters
    ----------
    scan : ScanDefinition
        The scan.
    dataset : PreparedDataset
        The opened prepared folder.
    out_dir : str or Path
        The result folder; written all or nothing.
    reference_date : pandas.Timestamp
        "Today" of the scan.
    overwrite : bool, default False
        Replace an existing result folder.
    partition_rows : int, optional
        Candidates per partition.
    workers : int, optional
        Worker processes; the number of CPU cores by default.
    area : geometry array, optional
        Keep only candidates whose representative point lies inside.
    batch_rows : int, optional
        Rows per output batch; :data:`OUTPUT_BATCH_ROWS` by default.
    progress : callable, optional
        Called with a short Dutch text at every step.
    coverage : mapping of str to Coverage, optional
        Where each layer has data; rules are not decided outside it.
    plans : list of dict, optional
        Status and date of every zoning plan, for the summary.

    Returns
    -------
    Path
        The folder written: ``candidates.gpkg``, ``candidates.csv`` (the same
        rows, values and order as an in-memory scan writes) and
        ``summary.json``.
    """
    out = Path(out_dir)
    check_output_dir(out, overwrite=overwrite)
    jobs, rules = plan_jobs(
        dataset,
        scan,
        reference_date,
        partition_rows=partition_rows,
        area=area,
        coverage=coverage,
    )
    if not jobs:
        msg = f"{dataset.path}: no candidates in the prepared folder"
        raise ConfigError(msg)
    n = workers or os.cpu_count() or 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    scratch = tmp / ".partitions"
    tmp.mkdir()  # a new folder of this run: only it is removed on failure
    scratch.mkdir()
    try:
        rows = batch_rows or OUTPUT_BATCH_ROWS

        def summarize(parts: list[_Compact]) -> dict[str, Any]:
            if area is not None and not sum(len(p.ids) for p in parts):
                msg = (
                    "--area: no candidate lies inside this area. Give an area "
                    "that overlaps the inputs."
                )
                raise ConfigError(msg)
            return _summary(
                scan,
                parts,
                rules,
                dataset,
                reference_date,
                coverage=coverage or {},
                plans=list(plans or []),
            )

        summary = _run_phases(scan, jobs, tmp, n, rows, progress, summarize)
        (tmp / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
        write_marker(tmp)
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("results written to %s", out)
    return out


def _run_phases(  # noqa: PLR0917 - the phases share these
    scan: ScanDefinition,
    jobs: list[PartitionJob],
    tmp: Path,
    workers: int,
    batch_rows: int,
    progress: Progress | None,
    summarize: Callable[[list[_Compact]], dict[str, Any]],
) -> dict[str, Any]:
    """Score, rank, assemble and write the candidates; the summary (made from
    the partitions' compact arrays, which are let go before the texts and the
    output batches are made)."""
    scratch = str(tmp / ".partitions")
    _step(progress, f"regels en scores: {len(jobs)} delen op {workers} processen")
    with worker_pool(min(workers, len(jobs))) as run:
        parts = list(run(_score_partition, [_ScoreJob(j, scratch) for j in jobs]))
        assemble = _rank_jobs(parts, scratch, batch_rows, scan.map_fields, progress)
        summary = summarize(parts)
        del parts
        release_memory()
        _step(progress, "teksten per deel")
        assembled = list(run(_assemble_partition, assemble))
        del assemble
        release_memory()
        rows = sum(a.rows for a in assembled)
        geometry = _layer_geometry(assembled)
        crs = next((a.crs for a in assembled if a.crs), None)
        batches = max(1, math.ceil(rows / batch_rows))
        _step(progress, f"schrijven: {rows} kandidaten in {batches} delen")
        # CSV text and Arrow tables on the workers, this process writes them
        written = run(
            _write_batch,
            [_BatchJob(scratch, b, geometry.promote) for b in range(batches)],
        )
        if _write_outputs(written, scratch, batches, tmp, geometry, crs) != rows:
            msg = "output batches lost rows"
            raise AssertionError(msg)
        write_layer_styles(tmp / "candidates.gpkg")
    shutil.rmtree(scratch)
    return summary


def _rank_jobs(
    parts: list[_Compact],
    scratch: str,
    batch_rows: int,
    map_fields: tuple[str, ...],
    progress: Progress | None,
) -> list[_AssembleJob]:
    """Phase 2: global ranks and output rows, cut into one job per partition."""
    _step(progress, "rangschikken")
    rank, by_municipality, row = _ranks(parts)
    bounds = np.cumsum([0, *(len(p.ids) for p in parts)])
    return [
        _AssembleJob(
            p.partition,
            scratch,
            rank.array[a:b],
            by_municipality.array[a:b],
            row[a:b],
            batch_rows,
            map_fields,
        )
        for p, a, b in zip(parts, bounds[:-1], bounds[1:], strict=True)
    ]
