"""Run a scan end to end: read -> candidates -> rules -> score -> results.

This module only orchestrates; every step has its own owner module
(:mod:`kansenkaart.sources`, :mod:`kansenkaart.candidates`,
:mod:`kansenkaart.rules`, :mod:`kansenkaart.scoring`,
:mod:`kansenkaart.results`, :mod:`kansenkaart.render`). :func:`run_scan` is
the single entry the CLI calls for one scan (:func:`scan_to_folder` also
writes the result folder); :func:`run_object_scan` and :func:`run_site_scan`
are the Python conveniences with the shipped scan definitions.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from kansenkaart.candidates import assign_municipality, build_candidates, select_in_area
from kansenkaart.datasets import scan_path
from kansenkaart.errors import ConfigError, DataSourceError, PlanCurrencyWarning
from kansenkaart.joins import check_joins
from kansenkaart.model.zoning import plan_currency
from kansenkaart.national import scan_prepared_to_folder
from kansenkaart.prepare import (
    PreparedDataset,
    find_prepared,
    load_prepared_layers,
    open_prepared,
    prepared_sources,
)
from kansenkaart.results import (
    ScanResult,
    build_summary,
    check_output_dir,
    write_results,
)
from kansenkaart.results.assemble import assemble_candidates
from kansenkaart.results.summary import layer_accounting
from kansenkaart.rules.definition import ScanDefinition, load_scan
from kansenkaart.rules.engine import RuleTable, attach_owner_class, evaluate_rules
from kansenkaart.rules.partitioned import evaluate_rules_partitioned
from kansenkaart.rules.predicates import ScanContext
from kansenkaart.scoring.sensitivity import leave_one_rule_out, weight_sensitivity
from kansenkaart.sources.layers import (
    Layers,
    Progress,
    ScanInputs,
    area_polygon,
    check_area,
    load_layers,
)

__all__ = [
    "ENGINES",
    "ScanInputs",
    "ScanResult",
    "load_scan_layers",
    "run_object_scan",
    "run_scan",
    "run_site_scan",
    "scan_candidates",
    "scan_to_folder",
]

logger = logging.getLogger(__name__)

ENGINES = ("auto", "fast", "partitioned", "dask")
#: Candidate-layer rows above which ``auto`` runs a prepared folder on the
#: partitioned engine (below, the fast engine reads it whole).
AUTO_PARTITIONED_ROWS = 2_000_000
#: Spread of the weight perturbation of a sensitivity run (±25 %).
SPREAD_SHARE = 0.25

PathOrPaths = str | Path | Iterable[str | Path]
_F = TypeVar("_F", bound=Callable[..., Any])


def _step(progress: Progress | None, text: str) -> None:
    logger.info(text)
    if progress is not None:
        progress(text)


def _evaluate(
    cand: gpd.GeoDataFrame,
    scan: ScanDefinition,
    ctx: ScanContext,
    *,
    engine: str,
    scheduler: str | None,
    chunk_size: int | None,
    workers: int | None,
) -> RuleTable:
    if engine in ("fast", "auto"):
        if scheduler is not None:
            raise ConfigError("--scheduler needs --engine dask")
        return evaluate_rules(
            cand, scan.rules, ctx, chunk_size=chunk_size, workers=workers
        )
    if engine == "dask":
        from kansenkaart.rules.dask_engine import evaluate_rules_dask  # noqa: PLC0415

        return evaluate_rules_dask(
            cand, scan.rules, ctx, scheduler=scheduler, partition_size=chunk_size
        )
    msg = f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
    raise ConfigError(msg)


@dataclass(frozen=True)
class _Evaluated:
    """Candidates and rule table of a scan, with the sources and map context."""

    candidates: gpd.GeoDataFrame
    table: RuleTable
    sources: tuple[Any, ...]
    context: dict[str, gpd.GeoDataFrame]
    accounting: dict[str, Any] | None = None
    joins: dict[str, Any] | None = None
    plans: list[dict[str, Any]] | None = None
    coverage: Mapping[str, Any] | None = None


def _on_layers(
    scan: ScanDefinition,
    layers: Layers,
    area: str | Path | None,
    ref: pd.Timestamp,
    *,
    progress: Progress | None,
    options: Mapping[str, Any],
) -> _Evaluated:
    """Candidates and rules on layers held in memory (fast or Dask engine)."""
    if options["engine"] == "partitioned":
        msg = (
            "--engine partitioned reads a prepared folder: run `kansenkaart "
            "prepare` and pass the folder as --parcels/--buildings/--zoning"
        )
        raise ConfigError(msg)
    _step(progress, "kandidaten bepalen")
    cand = scan_candidates(scan, layers, area)
    ctx = ScanContext(
        layers=layers,
        regime=scan.regime,
        horizon_years=scan.horizon_years,
        reference_date=ref,
        coverage=layers.coverage,
    )
    joins = check_joins(cand, layers)
    cand = attach_owner_class(cand, ctx)
    _step(progress, f"{len(scan.rules)} regels toepassen op {len(cand)} kandidaten")
    table = _evaluate(cand, scan, ctx, **options)
    context = {
        k: layers[k] for k in ("zoning", "buildings", "municipalities") if k in layers
    }
    accounting = layer_accounting(layers, unit=scan.unit, n_candidates=len(cand))
    plans = _plan_currency(layers)
    return _Evaluated(
        cand,
        table,
        layers.sources,
        context,
        accounting,
        joins,
        plans,
        coverage=layers.coverage,
    )


def _choose_engine(engine: str, dataset: PreparedDataset, scan: ScanDefinition) -> str:
    if engine != "auto":
        return engine
    layer = "buildings" if scan.unit == "buildings" else scan.unit
    rows = dataset.layers.get(layer, {}).get("rows", 0)
    return "partitioned" if rows > AUTO_PARTITIONED_ROWS else "fast"


def _on_prepared(
    scan: ScanDefinition,
    inputs: ScanInputs,
    folder: Path,
    ref: pd.Timestamp,
    *,
    progress: Progress | None,
    options: Mapping[str, Any],
) -> _Evaluated:
    """Candidates and rules on a prepared folder."""
    dataset = open_prepared(folder)
    engine = _choose_engine(options["engine"], dataset, scan)
    coverage = dataset.coverage(inputs, scan.national_layers)
    if engine == "fast":
        _step(progress, f"voorbereide lagen lezen uit {folder}")
        layers = load_prepared_layers(
            dataset, outline_buildings=scan.unit != "buildings", coverage=coverage
        )
        return _on_layers(
            scan,
            layers,
            inputs.area,
            ref,
            progress=progress,
            options={**options, "engine": "fast"},
        )
    small = load_prepared_layers(dataset, kinds=("vector",))
    area = None
    if inputs.area is not None:
        area = np.asarray(area_polygon(inputs.area, small).values)
    _step(progress, f"regels toepassen per deel van {folder} ({engine})")
    mapper = None
    if engine == "dask":
        from kansenkaart.rules.dask_engine import dask_mapper  # noqa: PLC0415

        mapper = dask_mapper(options["scheduler"])
    elif engine != "partitioned":
        msg = f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
        raise ConfigError(msg)
    elif options["scheduler"] is not None:
        raise ConfigError("--scheduler needs --engine dask")
    cand, table = evaluate_rules_partitioned(
        dataset,
        scan,
        ref,
        partition_rows=options["chunk_size"],
        workers=options["workers"],
        area=area,
        mapper=mapper,
        coverage=coverage,
    )
    context = {k: small[k] for k in ("municipalities",) if k in small}
    return _Evaluated(
        cand,
        table,
        prepared_sources(dataset),
        context,
        plans=_warn_old_plans(dataset.index.get("plans", [])),
        coverage=coverage,
    )


def _plan_currency(layers: Layers) -> list[dict[str, Any]]:
    """Status and date of every plan; one warning naming the plans from before
    the Omgevingswet."""
    zoning = layers.vector("zoning")
    if zoning is None:
        return []
    return _warn_old_plans(plan_currency(zoning))


def _warn_old_plans(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old = [f"{p['plan_id']} ({p['plan_date']})" for p in plans if p["before_2024"]]
    if old:
        warnings.warn(
            f"{len(old)} plan(s) date from before 1 January 2024: {', '.join(old)}. "
            "They are now the tijdelijk deel omgevingsplan; check the "
            "municipality's omgevingsplan for later changes.",
            PlanCurrencyWarning,
            stacklevel=4,
        )
    return plans


def load_scan_layers(
    scan: ScanDefinition, inputs: ScanInputs, *, progress: Progress | None = None
) -> Layers:
    """Read a scan's inputs: the layers its file declares, buildings by outline
    only when they are not the candidates."""
    return load_layers(
        inputs,
        declared=scan.layer_kinds,
        national_layers=scan.national_layers,
        outline_buildings=scan.unit != "buildings",
        progress=progress,
    )


def scan_candidates(
    scan: ScanDefinition,
    layers: Mapping[str, Any],
    area: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """A scan's candidates: its unit (with fallback), inside ``area``, with
    their municipality."""
    cand = build_candidates(
        layers,
        unit=scan.unit,
        fallback_unit=scan.fallback_unit,
        grid_size_m=scan.grid_size_m,
        derive_uses=scan.derive_uses,
        scan_name=scan.name,
    )
    municipalities = layers.get("municipalities")
    cand = assign_municipality(
        cand, municipalities if isinstance(municipalities, gpd.GeoDataFrame) else None
    )
    if area is None:
        return cand
    inside = select_in_area(cand, area_polygon(area, layers))
    if len(cand) and not len(inside):
        codes = sorted(cand["municipality_code"].dropna().unique())
        where = (
            f"the candidates lie in {', '.join(codes)}"
            if codes
            else "the candidates lie elsewhere (add --layer municipalities=FILE "
            "to see which municipalities they are in)"
        )
        msg = (
            f"--area {area}: no candidate lies inside this area; {where}. "
            "Give an area that overlaps the inputs."
        )
        raise ConfigError(msg)
    return inside


def _reference_date(scan: ScanDefinition, reference_date: str | None) -> pd.Timestamp:
    return pd.Timestamp(
        reference_date or scan.reference_date or pd.Timestamp("today").date()
    )


def run_scan(
    scan: ScanDefinition | str | Path,
    inputs: ScanInputs,
    *,
    sensitivity_runs: int = 0,
    seed: int = 0,
    reference_date: str | None = None,
    progress: Progress | None = None,
    engine: str = "auto",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Run a scan on the given inputs.

    Parameters
    ----------
    scan : ScanDefinition or path
        A loaded definition or a TOML file.
    inputs : ScanInputs
        Input files by layer.
    sensitivity_runs : int, default 0
        Monte Carlo runs of weight perturbation (±25 %); 0 switches it off.
    seed : int, default 0
        Seed of the sensitivity runs.
    reference_date : str, optional
        "Today" for durations (ISO date); the scan file's or today's date.
    progress : callable, optional
        Called with a short Dutch text at every step.
    engine : {"auto", "fast", "partitioned", "dask"}, default "auto"
        ``fast`` evaluates the rules on this machine in spatial chunks on
        parallel threads; ``dask`` sends spatial partitions (each with the
        layers it needs, plus a halo for rules with a spatial reach) to a
        Dask cluster; ``partitioned`` reads a prepared folder (see
        :mod:`kansenkaart.prepare`; pass it as ``inputs.parcels``) one
        partition at a time on worker processes. With a prepared folder,
        ``dask`` runs the same partitions on the cluster's workers. ``auto``
        is ``partitioned`` for a prepared folder of more than
        :data:`AUTO_PARTITIONED_ROWS` candidate features, else ``fast``. All
        give identical results.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); with
        ``engine="dask"`` and no address, a local cluster is started.
    chunk_size : int, optional
        Candidates per chunk (fast) or per partition (dask, partitioned).
    workers : int, optional
        Threads of the fast engine, processes of the partitioned engine
        (all cores by default).

    Returns
    -------
    ScanResult
        Candidates (every candidate that entered exactly once), summary,
        the rule table and, with sensitivity, the leave-one-rule-out table.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path, scan_path
    >>> inputs = ScanInputs(
    ...     buildings=[data_path("amsterdam_BU03638600_bag_panden.gpkg")])
    >>> result = run_scan(scan_path("objectscan"), inputs,
    ...                   reference_date="2026-01-01")
    >>> result.summary["candidates_in"] == len(result.candidates)
    True
    """
    if not isinstance(scan, ScanDefinition):
        scan = load_scan(scan)
    check_area(inputs.area)
    ref = _reference_date(scan, reference_date)
    options = {
        "engine": engine,
        "scheduler": scheduler,
        "chunk_size": chunk_size,
        "workers": workers,
    }
    folder = find_prepared(inputs)
    if folder is not None:
        done = _on_prepared(
            scan, inputs, folder, ref, progress=progress, options=options
        )
    else:
        layers = load_scan_layers(scan, inputs, progress=progress)
        done = _on_layers(
            scan, layers, inputs.area, ref, progress=progress, options=options
        )
    cand, table = done.candidates, done.table
    sens = loo = None
    if sensitivity_runs:
        _step(progress, f"gevoeligheid: {sensitivity_runs} runs")
        sens = weight_sensitivity(
            table, runs=sensitivity_runs, top_k=scan.top_k, seed=seed
        )
        loo = leave_one_rule_out(table, top_k=scan.top_k)
    _step(progress, "scoren en rangschikken")
    out = assemble_candidates(cand, table, sens, scan.map_fields)
    area_file = Path(str(inputs.area)) if inputs.area is not None else None
    summary = build_summary(
        scan,
        out,
        table,
        sources=done.sources,
        area=area_file if area_file is not None and area_file.exists() else None,
        n_in=len(cand),
        reference_date=ref.date().isoformat(),
        accounting=done.accounting,
        joins=done.joins,
        coverage=done.coverage,
        plans=done.plans,
    )
    if sensitivity_runs:
        summary["sensitivity"] = {
            "runs": sensitivity_runs,
            "seed": seed,
            "spread_share": SPREAD_SHARE,
            "top_k": scan.top_k,
        }
    return ScanResult(out, summary, table, loo, done.context)


def scan_to_folder(
    scan: ScanDefinition | str | Path,
    inputs: ScanInputs,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    map_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> tuple[ScanResult, Path | str]:
    """Run a scan and write its result folder (with ``map.html`` if asked).

    Parameters
    ----------
    scan, inputs
        As for :func:`run_scan`.
    out_dir : str or Path
        The result folder; written all or nothing, checked before any data
        is read.
    overwrite : bool, default False
        Replace a previous result folder (only the files a scan writes; see
        :mod:`kansenkaart.results.folder`).
    map_options : mapping, optional
        Options of :func:`kansenkaart.render.render_map`; the map is written
        into the folder before it is moved into place.
    **options
        The keyword options of :func:`run_scan`.

    Returns
    -------
    tuple of (ScanResult, Path or str)
        The result and the folder written (a PostGIS ``out_dir``: its schema
        URL without password).
    """
    from kansenkaart.io.postgis import is_postgis_url  # noqa: PLC0415

    sources = [Path(p) for _, p in inputs.files() if not is_postgis_url(p)]
    # refuse an unusable or protected --out before any data is read
    if not is_postgis_url(out_dir):  # a database schema: write_frames checks it
        check_output_dir(Path(out_dir), overwrite=overwrite, inputs=sources)
        streamed = _stream_prepared(
            scan, inputs, out_dir, overwrite, map_options, options
        )
        if streamed is not None:
            return streamed
    result = run_scan(scan, inputs, **options)
    finish = None
    if map_options is not None:
        from kansenkaart.render import render_map  # noqa: PLC0415

        def finish(tmp: Path) -> None:
            render_map(tmp, tmp / "map.html", **dict(map_options))

    path = write_results(
        result, out_dir, overwrite=overwrite, finish=finish, inputs=sources
    )
    return result, path


def _stream_prepared(  # noqa: PLR0917 - the options of scan_to_folder
    scan: ScanDefinition | str | Path,
    inputs: ScanInputs,
    out_dir: str | Path,
    overwrite: bool,
    map_options: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> tuple[ScanResult, Path] | None:
    """Write a prepared folder's scan partition by partition, when the
    partitioned engine runs it; None otherwise."""
    folder = find_prepared(inputs)
    if folder is None:
        return None
    if not isinstance(scan, ScanDefinition):
        scan = load_scan(scan)
    dataset = open_prepared(folder)
    if _choose_engine(options.get("engine", "auto"), dataset, scan) != "partitioned":
        return None
    if map_options is not None or options.get("sensitivity_runs"):
        msg = (
            "--map and --sensitivity need all candidates in memory: not with the "
            "partitioned engine. Scan a smaller area (--area) or use --engine fast."
        )
        raise ConfigError(msg)
    if options.get("scheduler") is not None:
        raise ConfigError("--scheduler needs --engine dask")
    area = None
    if inputs.area is not None:
        small = load_prepared_layers(dataset, kinds=("vector",))
        area = np.asarray(area_polygon(inputs.area, small).values)
    path = scan_prepared_to_folder(
        scan,
        dataset,
        out_dir,
        reference_date=_reference_date(scan, options.get("reference_date")),
        overwrite=overwrite,
        partition_rows=options.get("chunk_size"),
        workers=options.get("workers"),
        area=area,
        progress=options.get("progress"),
        coverage=dataset.coverage(inputs, scan.national_layers),
        plans=_warn_old_plans(dataset.index.get("plans", [])),
    )
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:28992")
    return ScanResult(empty, summary), path


def _paths(value: PathOrPaths | None) -> list[Path]:
    if value is None:
        return []
    items = [value] if isinstance(value, str | Path) else list(value)
    return [Path(p) for p in items]


def _named_layers(
    layers: Mapping[str, str | Path] | None, **named: str | Path | None
) -> dict[str, Path]:
    out = {k: Path(v) for k, v in (layers or {}).items()}
    out.update({k: Path(v) for k, v in named.items() if v is not None})
    return out


def _strict_keywords(func: _F) -> _F:
    """Refuse an unknown keyword with a TypeError that names the known ones."""
    params = inspect.signature(func).parameters
    known = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            hints = [
                f"{u!r} (did you mean {close[0]!r}?)" if close else repr(u)
                for u in unknown
                for close in [difflib.get_close_matches(u, known, n=1)]
            ]
            msg = (
                f"{func.__name__}() got unknown keyword(s) {', '.join(hints)}; "
                f"known keywords: {', '.join(known)}"
            )
            raise TypeError(msg)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@_strict_keywords
def run_object_scan(
    buildings: PathOrPaths,
    *,
    zoning: PathOrPaths | None = None,
    natura2000: str | Path | None = None,
    monuments: str | Path | None = None,
    municipalities: str | Path | None = None,
    vacancy: str | Path | None = None,
    layers: Mapping[str, str | Path] | None = None,
    area: str | Path | None = None,
    scan: str | Path | None = None,
    sensitivity_runs: int = 0,
    reference_date: str | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Run the local object scan on buildings.

    Parameters
    ----------
    buildings : path or paths
        BAG / bag-light / LV-BAG XML / 3DBAG files.
    zoning : path or paths, optional
        IMRO plans (for derived uses and the zoning rules).
    natura2000, monuments, municipalities, vacancy : path, optional
        Context layers and the vacancy table.
    layers : mapping of str to path, optional
        Other layers by the name the scan file declares.
    area : str or path, optional
        A CBS code or a polygon file: scan only the candidates inside.
    scan : path, optional
        Scan definition; the shipped ``scans/objectscan.toml`` by default.
    sensitivity_runs : int, default 0
        Monte Carlo runs of weight perturbation.
    reference_date : str, optional
        "Today" for vacancy durations (ISO date).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, dict)
        The candidates and the summary.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> n2k = data_path("natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg")
    >>> cand, summary = run_object_scan(
    ...     data_path("amsterdam_BU03638600_bag_panden.gpkg"),
    ...     natura2000=n2k, reference_date="2026-01-01")
    >>> summary["candidates_in"]
    464
    """
    inputs = ScanInputs(
        buildings=_paths(buildings),
        zoning=_paths(zoning),
        layers=_named_layers(
            layers,
            natura2000=natura2000,
            monuments=monuments,
            municipalities=municipalities,
            vacancy=vacancy,
        ),
        area=area,
    )
    result = run_scan(
        scan or scan_path("objectscan"),
        inputs,
        sensitivity_runs=sensitivity_runs,
        reference_date=reference_date,
    )
    return result.candidates, result.summary


@_strict_keywords
def run_site_scan(
    parcels: PathOrPaths | None = None,
    *,
    zoning: PathOrPaths | None = None,
    buildings: PathOrPaths | None = None,
    natura2000: str | Path | None = None,
    monuments: str | Path | None = None,
    municipalities: str | Path | None = None,
    ownership: str | Path | None = None,
    noise: str | Path | None = None,
    layers: Mapping[str, str | Path] | None = None,
    area: str | Path | None = None,
    scan: str | Path | None = None,
    sensitivity_runs: int = 0,
    reference_date: str | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Run the regional site scan on parcels (zoning areas where they are missing).

    Parameters
    ----------
    parcels : path or paths, optional
        DKK parcels.
    zoning : path or paths, optional
        IMRO plans; their Enkelbestemming areas are candidates where no
        parcels are given.
    buildings : path or paths, optional
        Buildings for cover and distance-to-built-up rules.
    natura2000, monuments, municipalities, ownership, noise : path, optional
        Context layers, the ownership table and a noise raster (Lden).
    layers : mapping of str to path, optional
        Other layers by the name the scan file declares.
    area : str or path, optional
        A CBS code or a polygon file: scan only the candidates inside.
    scan : path, optional
        Scan definition; the shipped ``scans/locatiescan.toml`` by default.
    sensitivity_runs : int, default 0
        Monte Carlo runs of weight perturbation.
    reference_date : str, optional
        "Today" for durations (ISO date).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, dict)
        The candidates and the summary.

    Raises
    ------
    DataSourceError
        When neither parcels nor zoning are given.
    """
    if parcels is None and zoning is None:
        raise DataSourceError("run_site_scan needs parcels or zoning")
    inputs = ScanInputs(
        parcels=_paths(parcels),
        zoning=_paths(zoning),
        buildings=_paths(buildings),
        layers=_named_layers(
            layers,
            natura2000=natura2000,
            monuments=monuments,
            municipalities=municipalities,
            ownership=ownership,
            noise=noise,
        ),
        area=area,
    )
    result = run_scan(
        scan or scan_path("locatiescan"),
        inputs,
        sensitivity_runs=sensitivity_runs,
        reference_date=reference_date,
    )
    return result.candidates, result.summary
